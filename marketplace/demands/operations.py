"""Writes on demands: create (draft or published), edit, publish, close. Each checks and flushes;
the request commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from ..accounts.operations import ensure_can_act
from ..dates import business_today, check_date
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..listings.models import Industry, ListingKind
from ..money import parse_money
from ..patents.numbers import NumberError, parse_ipc
from ..types import utcnow
from ..workflow import move_status
from .models import Demand, DemandStatus

WANTABLE_KINDS = [k for k in ListingKind if k != ListingKind.pledge]


@dataclass
class DemandInput:
    title: str = ""
    description: str = ""
    industry: Industry | str = Industry.other
    ipc_hint: str | list[str] = ""
    budget_min: Decimal | str | None = None
    budget_max: Decimal | str | None = None
    wanted_kinds: list[str] = field(default_factory=list)
    deadline: date | None = None


def _budget(value, name: str) -> Decimal | None:
    return parse_money(value, name, allow_zero=True)


def parse_ipc_hint(value) -> list[str]:
    parts = value if isinstance(value, list) else re.split(r"[\s,，;；、]+(?=[A-Ha-h]\d)", (value or "").strip(" ,，;；、"))
    subclasses: list[str] = []
    for part in parts:
        if not part.strip():
            continue
        try:
            subclass = parse_ipc(part).subclass
        except NumberError as error:
            raise DomainError(str(error), field="ipc_hint") from error
        if subclass not in subclasses:
            subclasses.append(subclass)
    if len(subclasses) > 10:
        raise DomainError(_("IPC 提示最多填写 10 个小类。"), field="ipc_hint")
    return subclasses


def clean(data: DemandInput) -> dict:
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("请用一句话写明需要什么技术。"), field="title")
    if len(title) > 200:
        raise DomainError(_("标题过长（最多 200 字）。"), field="title")
    description = (data.description or "").strip()
    if len(description) > 5000:
        raise DomainError(_("需求描述过长（最多 5000 字）。"), field="description")
    try:
        industry = Industry(data.industry)
    except ValueError as error:
        raise DomainError(_("请选择行业。"), field="industry") from error
    budget_min = _budget(data.budget_min, "budget_min")
    budget_max = _budget(data.budget_max, "budget_max")
    if budget_min is not None and budget_max is not None and budget_max < budget_min:
        raise DomainError(_("预算上限不能低于下限。"), field="budget_max")
    kinds = []
    for kind in data.wanted_kinds or []:
        try:
            value = ListingKind(kind)
        except ValueError as error:
            raise DomainError(_("请选择有效的交易方式。"), field="wanted_kinds") from error
        if value not in WANTABLE_KINDS:
            raise DomainError(_("技术需求可选开放许可、许可、转让或作价入股。"), field="wanted_kinds")
        if value.value not in kinds:
            kinds.append(value.value)
    if data.deadline is not None and data.deadline < business_today():
        raise DomainError(_("截止日期不能早于今天。"), field="deadline")
    check_date(data.deadline, "deadline", _("截止日期"), future=True)
    return {"title": title, "description": description, "industry": industry,
            "ipc_hint": parse_ipc_hint(data.ipc_hint), "budget_min": budget_min, "budget_max": budget_max,
            "wanted_kinds": kinds, "deadline": data.deadline}


def create_demand(user, data: DemandInput, *, publish: bool = False) -> Demand:
    """Any member of an enterprise may draft; publishing needs a verified organisation."""
    if not Demand.can_create(user):
        raise PermissionDenied(_("只有企业可以发布技术需求。"))
    values = clean(data)
    demand = Demand(organization_id=user.organization_id, created_by_id=user.id, status=DemandStatus.draft,
                    **values)
    db.session.add(demand)
    db.session.flush()
    if publish:
        publish_demand(demand, user)
    return demand


def update_demand(demand: Demand, user, data: DemandInput) -> Demand:
    if not demand.can_edit(user):
        raise PermissionDenied(_("只有发布需求的企业可以修改未关闭的需求。"))
    for name, value in clean(data).items():
        setattr(demand, name, value)
    db.session.flush()
    return demand


def publish_demand(demand: Demand, user) -> None:
    if not demand.can_edit(user):
        raise PermissionDenied(_("只有发布需求的企业可以发布。"))
    ensure_can_act(user)
    if demand.status != DemandStatus.draft:
        raise DomainError(_("只有草稿可以发布。"))
    move_status(demand, [DemandStatus.draft], DemandStatus.open)
    demand.published_at = demand.watermark = utcnow()
    db.session.flush()


def close_demand(demand: Demand, user) -> None:
    if not (demand.is_owned_by(user) or (user.is_authenticated and user.is_operator)):
        raise PermissionDenied(_("只有发布需求的企业或平台运营人员可以关闭需求。"))
    if demand.status == DemandStatus.closed:
        raise DomainError(_("该需求已关闭。"))
    move_status(demand, [s for s in DemandStatus if s != DemandStatus.closed], DemandStatus.closed)
    demand.closed_at = utcnow()
    db.session.flush()
