"""Appraisals (评估) attached by verified valuation agencies: amount, method, date, report."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from ..accounts.models import OrgKind
from ..accounts.operations import ensure_can_act
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..files import storage as documents
from ..money import parse_money
from ..notify.operations import notify_organization
from ..patents.models import Patent
from ..patents.numbers import NumberError, canonical_application_number
from ..urls import external_url
from .models import Appraisal, AppraisalMethod
from .operations import _today


def patent_by_number(text: str, field: str) -> Patent:
    """The registry's patent for an application number typed in any accepted form."""
    try:
        app_no = canonical_application_number(text)
    except NumberError as error:
        raise DomainError(str(error), field=field) from error
    patent = db.session.scalar(db.select(Patent).where(Patent.app_no == app_no))
    if patent is None:
        raise DomainError(_("平台上没有申请号为 %(n)s 的专利。", n=f"CN{app_no}"), field=field)
    return patent


def attach_appraisal(user, *, patent_number: str, amount, method: str, appraised_on: date | None, report,
                     on: date | None = None) -> Appraisal:
    ensure_can_act(user)
    if user.organization.kind != OrgKind.agency:
        raise PermissionDenied(_("只有评估机构可以登记评估价值。"))
    patent = patent_by_number(patent_number, "patent_number")
    amount = parse_money(amount, "amount")
    if amount is None:
        raise DomainError(_("请填写评估价值。"), field="amount")
    try:
        method = AppraisalMethod(method)
    except ValueError as error:
        raise DomainError(_("请选择评估方法。"), field="method") from error
    today = _today(on)
    if appraised_on is None or appraised_on > today:
        raise DomainError(_("评估基准日不能晚于今天。"), field="appraised_on")
    if report is None or not getattr(report, "filename", ""):
        raise DomainError(_("请上传评估报告（PDF）。"), field="report")
    checked = documents.check_upload(report, documents.REPORT_KINDS, "report")
    appraisal = Appraisal(patent_id=patent.id, agency_org_id=user.organization_id, amount=amount, method=method,
                          appraised_on=appraised_on, report=documents.save(checked, user), created_by_id=user.id)
    db.session.add(appraisal)
    db.session.flush()
    notify_organization(patent.owner, _("%(org)s 为专利 %(number)s 出具了评估报告（%(method)s）。",
                                        org=user.organization.name, number=patent.number, method=method.label),
                        external_url("finance.valuation", patent_id=patent.id))
    return appraisal
