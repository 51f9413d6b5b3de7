"""What entering a deal status does beyond the status itself: conclusion, ownership,
encumbrances, the listing's state, and telling the other side."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db
from ..listings.models import LIVE_STATUSES, ListingStatus
from ..listings.operations import transition as transition_listing
from ..notify.operations import notify_organization
from ..patents.models import (
    Encumbrance,
    EncumbranceKind,
    licence_term_end,
    release_ended_encumbrances,
)
from ..types import utcnow
from ..urls import external_url
from . import recordation
from .models import DEAL_MACHINES, Deal, DealKind, DealStatus
from .operations import check_parties


def on_enter(deal: Deal, status: str, actor, data: dict) -> None:
    if status not in deal.machine.endings:
        # Every step forward (a counter-offer, agreeing, completing, paying, recording) asks
        # again who may be a party, so no deal started by another path can make a bank an owner.
        check_parties(deal.holder, deal.counterparty)
    handler = HANDLERS.get(status)
    if handler is not None:
        handler(deal, actor, data)


def _paid(deal: Deal, actor, data: dict) -> None:
    deal.paid_on = data["paid_on"]
    deal.paid_amount = data.get("amount_paid")


def _recorded(deal: Deal, actor, data: dict) -> None:
    deal.recordation_no = str(data["recordation_no"]).strip()


def _agreed(deal: Deal, actor, data: dict) -> None:
    deal.concluded_at = utcnow()
    if not deal.is_exclusive_conclusion or deal.listing_id is None:
        return
    deal.conclusion_key = deal.listing_id
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("该挂牌已与其他方达成一致，不能再次成交。")) from error
    listing = deal.listing
    if listing.status == ListingStatus.published:
        transition_listing(listing, ListingStatus.in_negotiation)


def _completed(deal: Deal, actor, data: dict) -> None:
    listing = deal.listing
    if deal.kind in (DealKind.transfer, DealKind.equity):
        for patent in deal.patents:
            _end_other_listings(patent, deal)
            patent.owner_id = deal.counterparty_org_id
    if deal.kind == DealKind.licence:
        recordation.start_clock(deal, data["effective_on"])
    if deal.kind == DealKind.licence and deal.is_exclusive_conclusion:
        kind = EncumbranceKind.exclusive_licence if deal.licence_type.value == "exclusive" else EncumbranceKind.sole_licence
        release_ended_encumbrances([patent.id for patent in deal.patents])
        for patent in deal.patents:
            db.session.add(Encumbrance(patent_id=patent.id, kind=kind, holder_id=deal.counterparty_org_id,
                                       source=f"deal:{deal.id}", ends_on=licence_term_end(deal.term_end, patent)))
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError as error:
            raise DomainError(_("专利已有生效的独占或排他许可。")) from error
    if listing is not None and deal.is_exclusive_conclusion and listing.status in LIVE_STATUSES:
        transition_listing(listing, ListingStatus.closed)


def _end_other_listings(patent, deal: Deal) -> None:
    """The old owner's other live offers on a patent that changes hands are withdrawn."""
    from ..listings.models import Listing, ListingPatent

    others = db.session.scalars(
        db.select(Listing).join(ListingPatent)
        .where(ListingPatent.patent_id == patent.id, Listing.status.in_(LIVE_STATUSES), Listing.id != deal.listing_id)
    ).all()
    for listing in others:
        transition_listing(listing, ListingStatus.withdrawn)


def _released(deal: Deal, actor, data: dict) -> None:
    """Rejected or cancelled: an agreed exclusive conclusion gives the listing back."""
    if deal.conclusion_key is not None:
        deal.conclusion_key = None
        listing = deal.listing
        if listing is not None and listing.status == ListingStatus.in_negotiation:
            transition_listing(listing, ListingStatus.published)


HANDLERS = {
    DealStatus.paid.value: _paid,
    DealStatus.recorded.value: _recorded,
    DealStatus.agreed.value: _agreed,
    DealStatus.completed.value: _completed,
    **dict.fromkeys({state for machine in DEAL_MACHINES.values() for state in machine.endings}, _released),
}


def notify(deal: Deal, step, actor) -> None:
    other = deal.counterparty if deal.party_of(actor) == "holder" else deal.holder
    link = external_url("deals.detail", deal_id=deal.id)
    who = actor.organization.name if actor is not None else _("平台")
    notify_organization(other, _("交易 #%(id)d（%(kind)s）：%(who)s %(action)s，当前状态：%(status)s",
                                 id=deal.id, kind=deal.kind.label, who=who, action=str(step.label),
                                 status=deal.status.label), link)
