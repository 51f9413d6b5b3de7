"""The public listing page: what a buyer sees, and who may see which listing."""

from __future__ import annotations

import pytest

from marketplace.listings.models import ListingKind


@pytest.fixture
def holder(make):
    return make.user(kind="university")


def test_public_page_shows_terms_patents_and_expiry(app, client, make, holder):
    with app.test_request_context():
        listing = make.listing(holder, kind=ListingKind.open_licence)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    patent = listing.patents[0]
    assert listing.title in html
    assert patent.number in html and "G06F16/35" in html
    assert "¥50,000.00" in html
    assert "届满日" in html and "2043年2月28日" in html


@pytest.mark.parametrize("viewer, status", [
    ("anonymous", 404), ("enterprise", 404), ("bank", 200), ("owner", 200), ("operator", 200),
])
def test_pledge_listings_are_seen_by_banks_and_the_owner_only(app, client, make, holder, as_user, viewer, status):
    with app.test_request_context():
        listing = make.listing(holder, kind=ListingKind.pledge)
    users = {"enterprise": lambda: make.user(), "bank": lambda: make.user(kind="bank"),
             "owner": lambda: holder, "operator": lambda: make.user(operator=True)}
    if viewer != "anonymous":
        as_user(users[viewer]())
    assert client.get(f"/listings/{listing.id}").status_code == status


def test_drafts_are_hidden_from_everyone_but_the_owner(app, client, make, holder, as_user):
    with app.test_request_context():
        listing = make.listing(holder, publish=False)
    assert client.get(f"/listings/{listing.id}").status_code == 404
    as_user(make.user())
    assert client.get(f"/listings/{listing.id}").status_code == 404
    as_user(holder)
    assert client.get(f"/listings/{listing.id}").status_code == 200


def test_unknown_listing_is_404(client):
    assert client.get("/listings/999999").status_code == 404
