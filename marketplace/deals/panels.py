"""Dashboard panels for deals: deals waiting on this organisation, unread inquiries,
open licences whose recordation deadline is near."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_

from ..extensions import db
from ..main.panels import Panel, panel_source
from ..types import business_today
from .inquiries.models import unread_counts
from .models import OPEN_LICENCE_MACHINE, Deal, DealKind


def _party(user) -> bool:
    return user.organization.kind.value != "regulator"


@panel_source
def deals_waiting(user) -> list[Panel]:
    if not _party(user):
        return []
    org_id = user.organization_id
    waiting = db.session.scalar(db.select(func.count()).select_from(Deal).where(Deal.waiting_on_org(org_id))) or 0
    due = db.session.scalar(db.select(func.count()).select_from(Deal).where(
        Deal.kind == DealKind.open_licence, Deal.status.in_(OPEN_LICENCE_MACHINE.group("to_record")),
        or_(Deal.holder_org_id == org_id, Deal.counterparty_org_id == org_id),
        Deal.recordation_due <= business_today() + timedelta(days=30))) or 0
    unread = sum(unread_counts(user).values())
    panels = [Panel(_("待我方处理的交易"), waiting, url_for("deals.my_deals", waiting="mine"),
                    _("还价、同意、确认收款或完成"), urgent=True),
              Panel(_("未读咨询"), unread, url_for("inquiries.inbox"), _("企业与挂牌方的往来消息"))]
    if due:
        panels.append(Panel(_("开放许可备案临近"), due, url_for("deals.my_deals", kind="open_licence"),
                            _("许可生效后 3 个月内须向国家知识产权局备案"), urgent=True))
    return panels
