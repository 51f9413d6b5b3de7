"""Who sees a listing (SPEC §3 "Who sees what"): the one rule, written once as SQL.

Every surface asks it: the listing page (`Listing.can_view`), the market list, search and the
search API (results, facet counts, totals), demand matching and digests, the patent pages, the
public statistics (the dashboard counts reviews and deals, not listings). A new surface imports
`visible_to`; it never restates it.

- The owner (and the platform operator) sees every listing of its own, in any status.
- Others see a listing only once it is out: published, in negotiation, or closed by a deal.
- A pledge listing is a financing need, for banks only. One that stands behind a pledge request
  is seen by the banks the request was sent to, no other bank; a general need not sent to
  particular banks is seen by every bank.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select, true

from ..accounts.models import OrgKind
from ..extensions import db
from .models import Listing, ListingKind, ListingStatus

# Statuses in which a listing is shown beyond its owner (drafts, withdrawn, expired: owner only).
SHOWN_STATUSES = (ListingStatus.published, ListingStatus.in_negotiation, ListingStatus.closed)
# Kinds whose shown listings have an audience (financing needs: banks); the others are public.
AUDIENCE_KINDS = (ListingKind.pledge,)


def _signed_in(viewer) -> bool:
    return bool(viewer is not None and getattr(viewer, "is_authenticated", False))


def _pledge_for_bank(bank_org_id: int):
    """A pledge listing this bank may see: behind a request sent to it, or behind no request."""
    from ..finance.models import PledgeRequest, PledgeReview

    behind_request = select(PledgeRequest.id).where(PledgeRequest.listing_id == Listing.id)
    sent_to_bank = behind_request.join(PledgeReview, PledgeReview.request_id == PledgeRequest.id).where(
        PledgeReview.bank_org_id == bank_org_id)
    return and_(Listing.kind == ListingKind.pledge, or_(~behind_request.exists(), sent_to_bank.exists()))


def _restricted():
    """Listings not everyone may see: not out yet (or no longer), or a financing need."""
    return or_(Listing.status.not_in(SHOWN_STATUSES), Listing.kind.in_(AUDIENCE_KINDS))


def visible_to(viewer):
    """SQL condition on `Listing`: the listings `viewer` (a user, an anonymous user or None) may see."""
    public = ~_restricted()
    if not _signed_in(viewer):
        return public
    if viewer.is_operator:
        return true()
    seen = [public, Listing.owner_id == viewer.organization_id]
    if viewer.organization.kind == OrgKind.bank:
        seen.append(and_(Listing.status.in_(SHOWN_STATUSES), _pledge_for_bank(viewer.organization_id)))
    return or_(*seen)


def can_view(listing: Listing, viewer) -> bool:
    """The rule for one listing (asked by `Listing.can_view`)."""
    if listing.id is None:
        return False
    return bool(visible_ids(viewer, [listing.id]))


def visible_ids(viewer, listing_ids) -> set[int]:
    """Which of these listings the viewer may see (one query for a page of them)."""
    ids = list(listing_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Listing.id).where(Listing.id.in_(ids), visible_to(viewer))))


def visible_audience_ids(viewer, among) -> set[int]:
    """The listings of an audience kind satisfying `among` (e.g. "indexed for search") that the
    viewer may see. Search shows every other indexed listing (live, of a public kind: everyone's)
    and, of the audience kinds, only these: a document whose listing the database does not
    confirm stays hidden. Asking for the audience kinds alone lets the database answer from its
    (status, kind) index instead of reading every live listing."""
    return set(db.session.scalars(select(Listing.id).where(
        among, Listing.kind.in_(AUDIENCE_KINDS), visible_to(viewer))))
