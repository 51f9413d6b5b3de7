"""Deals through the operations: open licences, negotiation, conclusion, the ledger behind each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.deals import operations as ops
from marketplace.deals.models import Deal, DealKind, DealStatus
from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind, ListingStatus
from marketplace.patents.models import Encumbrance


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def uni(make, ctx):
    return make.user(kind="university")


@pytest.fixture
def sme(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


def ledger_for(deal):
    return db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.subject_type == "deal",
                                                           LedgerEntry.subject_id == deal.id)
                              .order_by(LedgerEntry.seq)).all()


def test_sme_accepts_open_licence_with_discount_and_it_runs_to_recorded(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.open_licence, fee_amount=Decimal("50000"),
                           sme_discount=Decimal("50"))
    deal = ops.accept_open_licence(listing, sme, "我公司接受开放许可。", today=date(2026, 11, 30))
    assert deal.status == DealStatus.accepted and deal.amount == Decimal("25000.00")
    assert deal.recordation_due == date(2027, 2, 28)
    ops.record_payment(deal, uni, paid_on=date.today())
    ops.record_recordation(deal, sme, "2026990000123")
    assert deal.status == DealStatus.recorded
    entries = ledger_for(deal)
    assert [(e.from_status, e.to_status) for e in entries] == [(None, "accepted"), ("accepted", "paid"), ("paid", "recorded")]
    assert all(e.amount == Decimal("25000.00") and e.beneficiary_is_sme for e in entries)
    assert entries[1].actor_org_id == uni.organization_id
    assert listing.status == ListingStatus.published  # many may hold the same open licence
    assert verify_chain().ok


def test_many_enterprises_hold_the_same_open_licence_but_once_each(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.open_licence)
    ops.accept_open_licence(listing, sme, "通知")
    ops.accept_open_licence(listing, make.user(kind="enterprise"), "通知")
    with pytest.raises(DomainError, match="已取得"):
        ops.accept_open_licence(listing, sme, "通知")


@pytest.mark.parametrize("case", ["own", "unverified", "university", "draft", "no_notice"])
def test_open_licence_acceptance_refusals_write_nothing(make, uni, sme, case):
    listing = make.listing(uni, kind=ListingKind.open_licence, publish=case != "draft")
    user, notice, error = sme, "通知", DomainError
    if case == "own":
        user = uni
    elif case == "unverified":
        user, error = make.user(kind="enterprise", status="pending"), NotVerified
    elif case == "university":
        user = make.user(kind="university")
    elif case == "no_notice":
        notice = " "
    with pytest.raises(error):
        ops.accept_open_licence(listing, user, notice)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry)) == 0


def test_negotiated_transfer_moves_the_patent(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    patent = listing.patents[0]
    deal = ops.propose_deal(listing, sme, amount="600000", terms="分两期付款")
    with pytest.raises(PermissionDenied):
        ops.agree(deal, sme)  # one cannot accept one's own offer
    ops.counter_offer(deal, uni, amount="750000")
    ops.counter_offer(deal, sme, amount="700000")
    ops.agree(deal, uni)
    assert listing.status == ListingStatus.in_negotiation
    ops.complete(deal, uni)
    assert deal.status == DealStatus.completed and deal.amount == Decimal("700000")
    assert patent.owner_id == sme.organization_id
    assert listing.status == ListingStatus.closed
    assert [o.amount for o in deal.offers] == [Decimal("600000"), Decimal("750000"), Decimal("700000")]
    assert [e.to_status for e in ledger_for(deal)] == ["proposed", "negotiating", "negotiating", "agreed", "completed"]


def test_transfer_concludes_at_most_once(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    other = make.user(kind="enterprise")
    first = ops.propose_deal(listing, sme, amount="500000")
    second = ops.propose_deal(listing, other, amount="520000")
    ops.agree(second, uni)
    with pytest.raises(DomainError):
        ops.agree(first, uni)


def test_cancelled_agreement_gives_the_listing_back(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    deal = ops.propose_deal(listing, sme, amount="500000")
    ops.agree(deal, uni)
    ops.cancel(deal, sme, "资金未到位")
    assert listing.status == ListingStatus.published and deal.conclusion_key is None
    again = ops.propose_deal(listing, make.user(kind="enterprise"), amount="480000")
    ops.agree(again, uni)
    assert again.status == DealStatus.agreed


def test_exclusive_licence_completion_encumbers_the_patent(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.licence, licence_type="exclusive")
    deal = ops.propose_deal(listing, sme, amount="300000")
    ops.agree(deal, uni)
    ops.complete(deal, uni)
    encumbrance = db.session.scalar(db.select(Encumbrance))
    assert encumbrance.kind.value == "exclusive_licence" and encumbrance.holder_id == sme.organization_id
    with pytest.raises(DomainError, match="独占或排他许可"):
        make.listing(uni, listing.patents, kind=ListingKind.open_licence)


def test_illegal_transitions_are_refused(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    deal = ops.propose_deal(listing, sme, amount="500000")
    with pytest.raises(DomainError):
        ops.complete(deal, uni)  # not agreed yet
    with pytest.raises(DomainError):
        ops.record_payment(deal, uni)  # not an open licence
    stranger = make.user(kind="enterprise")
    with pytest.raises(PermissionDenied):
        ops.cancel(deal, stranger)


@pytest.mark.parametrize("amount", ["-1", "1.234", "1e20", "abc"])
def test_bad_amounts_are_refused_and_nothing_written(make, uni, sme, amount):
    listing = make.listing(uni, kind=ListingKind.transfer)
    with pytest.raises(DomainError):
        ops.propose_deal(listing, sme, amount=amount)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry)) == 0


def test_equity_completion_moves_patents_to_the_investee(make, uni, sme):
    listing = make.listing(uni, kind=ListingKind.equity)
    deal = ops.propose_deal(listing, sme, amount="3000000", terms="占股 10%")
    ops.agree(deal, uni)
    ops.complete(deal, uni)
    assert all(p.owner_id == sme.organization_id for p in listing.patents)
    assert deal.kind == DealKind.equity


@pytest.mark.parametrize("kind", ["bank", "insurer", "agency"])
def test_banks_insurers_and_agencies_do_not_take_licences_or_buy_patents(make, uni, kind):
    listing = make.listing(uni, kind=ListingKind.transfer)
    with pytest.raises(DomainError, match="不持有专利，不能作为许可、转让、入股、投保或出质的一方"):
        ops.propose_deal(listing, make.user(kind=kind), amount="500000")
    assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0


def test_universities_may_buy_a_patent(make, uni):
    listing = make.listing(uni, kind=ListingKind.transfer)
    buyer = make.user(kind="institute")
    assert ops.propose_deal(listing, buyer, amount="500000").status == DealStatus.proposed
