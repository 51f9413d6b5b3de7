"""What entering a pledge-review status does beyond the status: the loan's figures, the
pledge on the patents (from registration until repayment), the other banks' reviews, the
pledge listing, and telling the other side."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..dates import business_today
from ..errors import DomainError
from ..extensions import db
from ..listings.models import LIVE_STATUSES, ListingStatus
from ..listings.operations import transition as transition_listing
from ..notify.operations import notify_organization
from ..patents.models import Encumbrance, EncumbranceKind, release_ended_encumbrances
from ..types import utcnow
from ..urls import external_url
from .machines import PLEDGE_MACHINE, ReviewStatus
from .models import PledgeReview


def on_enter(review: PledgeReview, status: str, actor, data: dict) -> None:
    handler = HANDLERS.get(status)
    if handler is not None:
        handler(review, actor, data)


def _approved(review: PledgeReview, actor, data: dict) -> None:
    review.approved_amount = data["approved_amount"]
    review.rate = data["rate"]
    review.approved_term_months = int(data["term_months"])


def _registered(review: PledgeReview, actor, data: dict) -> None:
    review.registration_no = data["registration_no"]
    review.registered_on = data["registered_on"]
    release_ended_encumbrances([item.patent_id for item in review.request.items])
    # A pledge has no end date: it stands until it is released (注销) after repayment, and a
    # defaulted loan leaves it with the bank. The loan's term is the review's, not the pledge's.
    for item in review.request.items:
        db.session.add(Encumbrance(patent_id=item.patent_id, kind=EncumbranceKind.pledge,
                                   holder_id=review.bank_org_id, source=f"pledge_review:{review.id}",
                                   starts_on=review.registered_on))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # the partial unique index: one active pledge per patent
        raise DomainError(_("其中的专利已质押给其他机构，不能重复登记。")) from error
    listing = review.request.listing
    if listing.status in LIVE_STATUSES:
        transition_listing(listing, ListingStatus.closed)


def _disbursed(review: PledgeReview, actor, data: dict) -> None:
    review.disbursed_amount = data["disbursed_amount"]
    review.disbursed_on = data["disbursed_on"]


def _repaid(review: PledgeReview, actor, data: dict) -> None:
    review.repaid_on = data["repaid_on"]
    release_pledge(review)


def _closed(review: PledgeReview, actor, data: dict) -> None:
    """Rejected, withdrawn or defaulted. Before registration there is no pledge to release;
    a default leaves the pledge with the bank, which may now enforce it."""
    review.closed_on = data.get("closed_on") or business_today()
    review.decision_reason = str(data.get("reason") or "")
    _end_listing_if_unused(review)


def release_pledge(review: PledgeReview) -> None:
    now = utcnow()
    for encumbrance in db.session.scalars(db.select(Encumbrance).where(
            Encumbrance.source == f"pledge_review:{review.id}", Encumbrance.released_at.is_(None))):
        encumbrance.released_at = now


def _end_listing_if_unused(review: PledgeReview) -> None:
    """When no bank is still considering the request and none took the pledge, the patents
    are free again: the pledge listing is withdrawn."""
    request = review.request
    if any(r.status.is_pending for r in request.reviews):
        return
    listing = request.listing
    if listing.status in LIVE_STATUSES:
        transition_listing(listing, ListingStatus.withdrawn)


HANDLERS = {
    ReviewStatus.approved.value: _approved,
    ReviewStatus.registered.value: _registered,
    ReviewStatus.disbursed.value: _disbursed,
    ReviewStatus.repaid.value: _repaid,
    **dict.fromkeys(PLEDGE_MACHINE.endings, _closed),  # rejected, withdrawn, defaulted
}


def notify(review: PledgeReview, step, actor) -> None:
    request = review.request
    if actor is not None and actor.organization_id == review.bank_org_id:
        other, link = request.holder, external_url("finance.request_detail", request_id=request.id)
    else:
        other, link = review.bank, external_url("finance.review_detail", review_id=review.id)
    who = actor.organization.name if actor is not None else _("平台")
    notify_organization(other, _("质押融资申请 #%(id)d：%(who)s %(action)s，当前状态：%(status)s",
                                 id=request.id, who=who, action=str(step.label), status=review.status.label), link)
