"""Dashboard panels for deals: deals waiting on this organisation, unread inquiries,
licence contracts whose 备案 deadline is near."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..main.panels import Panel, panel_source
from . import recordation
from .inquiries.models import unread_counts
from .models import Deal


def _party(user) -> bool:
    return user.organization.kind.value != "regulator"


@panel_source
def deals_waiting(user) -> list[Panel]:
    if not _party(user):
        return []
    org_id = user.organization_id
    waiting = db.session.scalar(db.select(func.count()).select_from(Deal).where(Deal.waiting_on_org(org_id))) or 0
    due = db.session.scalar(db.select(func.count()).select_from(Deal).where(
        recordation.deadlines_due(org_id, within_days=30))) or 0
    unread = sum(unread_counts(user).values())
    panels = [Panel(_("待我方处理的交易"), waiting, url_for("deals.my_deals", waiting="mine"),
                    _("还价、同意、确认收款或完成"), urgent=True),
              Panel(_("未读咨询"), unread, url_for("inquiries.inbox"), _("企业与挂牌方的往来消息"))]
    if due:
        panels.append(Panel(_("许可合同备案期限临近"), due, url_for("deals.my_deals", kind="licence"),
                            _("许可合同生效之日起 3 个月内须向国家知识产权局备案（专利法实施细则第十五条）"), urgent=True))
    return panels
