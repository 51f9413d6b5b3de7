"""`flask demo`: generated patents with valid numbers, and listings of every kind that obey every rule."""

from __future__ import annotations

from marketplace.demo import run_demo
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from marketplace.listings.operations import check_offerable
from marketplace.patents.models import Patent, PatentType
from marketplace.patents.numbers import canonical_application_number, canonical_ipc_list


def test_demo_creates_patents_and_listings_of_every_kind(app):
    with app.test_request_context():
        run_demo()  # how long it takes is not a unit test's business (STYLE: speed lives in bench/)
        patents = db.session.scalars(db.select(Patent)).all()
        listings = db.session.scalars(db.select(Listing)).all()

        assert len(patents) >= 250
        assert {p.patent_type for p in patents} == set(PatentType)
        for patent in patents:
            assert canonical_application_number(patent.app_no) == patent.app_no
            assert canonical_ipc_list(patent.ipc_codes) == patent.ipc_codes
            assert patent.grant_date is None or patent.grant_date >= patent.app_date
            assert patent.title and patent.abstract
        assert len({p.title for p in patents}) > len(patents) * 0.6  # the generator varies its titles

        assert {listing.kind for listing in listings} == set(ListingKind)
        statuses = {listing.status for listing in listings}
        assert {ListingStatus.draft, ListingStatus.published, ListingStatus.in_negotiation,
                ListingStatus.withdrawn, ListingStatus.expired} <= statuses
        assert len({listing.industry for listing in listings}) >= 8
        published = [listing for listing in listings if listing.status == ListingStatus.published]
        assert len(published) > len(listings) / 2
        for listing in published:
            check_offerable(listing)
        open_licences = [li for li in listings if li.kind == ListingKind.open_licence]
        assert all(li.owner.kind.value in ("university", "institute", "enterprise") for li in open_licences)
        assert any(p.patent_type == PatentType.utility and p.evaluation_report_no
                   for li in open_licences for p in li.patents)
        assert all(li.owner.kind.value == "enterprise" for li in listings if li.kind == ListingKind.pledge)
