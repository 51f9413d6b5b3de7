"""A transfer concludes at most once: two buyers clicking "agree" at the same moment produce one
agreed deal and one clear refusal.

On PostgreSQL this runs real concurrent requests: a separate app and engine on a second database
(outside the rolled-back test transaction), two threads with their own test clients, released
together by a barrier. On SQLite the second click is checked to be a clean refusal, not a 500."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.deals import operations as ops
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import Listing, ListingKind, ListingStatus

from . import conftest
from .conftest import Factory, login, reset_database

REFUSAL = "该挂牌已与其他方达成一致"


@pytest.fixture
def own_app(tmp_path_factory):
    """Its own PostgreSQL database (TEST_DATABASE_URL's name + "2"), schema from the migrations."""
    race_url = conftest.side_postgres_url()
    if race_url is None:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    app = create_app(conftest.test_config(tmp_path_factory, race_url))
    reset_database(app)
    yield app
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


def _two_offers_on_one_transfer(make: Factory):
    """A transfer listing; two buyers' offers, each countered by the holder, so both buyers may agree."""
    holder = make.user(kind="university")
    buyers = [make.user(kind="enterprise", is_sme=True), make.user(kind="enterprise")]
    listing = make.listing(holder, kind=ListingKind.transfer)
    deals = []
    for n, buyer in enumerate(buyers):
        deal = ops.propose_deal(listing, buyer, amount=str(500000 + n * 10000))
        ops.counter_offer(deal, holder, amount=str(600000 + n * 10000))
        deals.append(deal)
    db.session.commit()
    return listing, buyers, deals


@pytest.mark.postgres
def test_two_buyers_agreeing_at_the_same_moment_conclude_once(own_app):
    with own_app.app_context(), own_app.test_request_context():
        listing, buyers, deals = _two_offers_on_one_transfer(Factory(rng_seed=5))
        listing_id, deal_ids = listing.id, [d.id for d in deals]
        buyer_ids = [b.id for b in buyers]
        db.session.remove()

    from marketplace.accounts.models import User

    clients = []
    with own_app.app_context():
        for buyer_id in buyer_ids:
            client = own_app.test_client()
            login(client, db.session.get(User, buyer_id))
            clients.append(client)
        db.session.remove()
    barrier = threading.Barrier(2)
    results: dict[int, tuple[int, str]] = {}
    errors: list[BaseException] = []

    def click(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = clients[n].post(f"/deals/{deal_ids[n]}/steps/agreed")
            results[n] = (response.status_code, response.get_data(as_text=True))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and len(results) == 2, errors

    codes = sorted(code for code, _ in results.values())
    assert codes == [302, 409], results
    refused = next(body for code, body in results.values() if code == 409)
    assert REFUSAL in refused

    with own_app.app_context():
        agreed = db.session.scalars(db.select(Deal).where(Deal.status == DealStatus.agreed)).all()
        assert len(agreed) == 1 and agreed[0].conclusion_key == listing_id
        loser = next(i for i in deal_ids if i != agreed[0].id)
        assert db.session.get(Deal, loser).status == DealStatus.negotiating
        assert db.session.get(Listing, listing_id).status == ListingStatus.in_negotiation
        agreed_entries = db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.to_status == "agreed")).all()
        assert [e.subject_id for e in agreed_entries] == [agreed[0].id]
        result = verify_chain()
        assert result.ok and result.checked == 5  # 2 proposals, 2 counter-offers, 1 agreement
        db.session.remove()


def test_the_second_agreement_is_a_clean_refusal_on_any_database(app, make, as_user):
    with app.test_request_context():
        listing, buyers, deals = _two_offers_on_one_transfer(make)
    assert as_user(buyers[0]).post(f"/deals/{deals[0].id}/steps/agreed").status_code == 302
    entries = db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry))
    response = as_user(buyers[1]).post(f"/deals/{deals[1].id}/steps/agreed")
    assert response.status_code == 409
    assert REFUSAL in response.get_data(as_text=True)
    assert db.session.get(Deal, deals[1].id).status == DealStatus.negotiating
    assert db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry)) == entries
    assert db.session.get(Deal, deals[0].id).amount == Decimal("600000.00")
