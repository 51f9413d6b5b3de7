"""Dashboard panels for finance: the bank's open reviews, the holder's information requests,
the insurer's open quote requests."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func

from ..accounts.models import OrgKind
from ..extensions import db
from ..main.panels import Panel, panel_source
from .machines import PLEDGE_MACHINE, REVIEW_QUEUE_GROUPS, ReviewStatus
from .models import PledgeRequest, PledgeReview
from .policies import QuoteRequest, QuoteStatus


def _count(query) -> int:
    return db.session.scalar(query) or 0


@panel_source
def finance_work(user) -> list[Panel]:
    kind = user.organization.kind
    org_id = user.organization_id
    if kind == OrgKind.bank:
        def in_group(group: str) -> int:
            return _count(db.select(func.count()).select_from(PledgeReview).where(
                PledgeReview.bank_org_id == org_id, PledgeReview.status.in_(PLEDGE_MACHINE.group(group))))

        # Each count links to the queue filtered by the same group of states.
        return [Panel(str(REVIEW_QUEUE_GROUPS["open"]), in_group("open"), url_for("finance.review_queue", status="open"),
                      _("新提交、审查中或待企业补充材料"), urgent=True),
                Panel(str(REVIEW_QUEUE_GROUPS["lending"]), in_group("lending"),
                      url_for("finance.review_queue", status="lending"), _("已批准的贷款：办理质押登记并放款"))]
    if kind == OrgKind.insurer:
        quotes = _count(db.select(func.count()).select_from(QuoteRequest).where(
            QuoteRequest.insurer_org_id == org_id, QuoteRequest.status == QuoteStatus.open))
        return [Panel(_("待报价的询价"), quotes, url_for("finance.insurance_home"), _("企业从专利页面发起的保险询价"),
                      urgent=True)]
    if kind.holds_patents:
        info = _count(db.select(func.count()).select_from(PledgeReview)
                      .join(PledgeRequest, PledgeRequest.id == PledgeReview.request_id)
                      .where(PledgeRequest.holder_org_id == org_id, PledgeReview.status == ReviewStatus.info_requested))
        if info:
            return [Panel(_("银行要求补充材料"), info, url_for("finance.my_requests"), _("在申请页面的对话中答复银行"),
                          urgent=True)]
    return []
