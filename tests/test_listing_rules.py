"""Listing terms, lifecycle and encumbrance rules, through the operations (no HTTP)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import (
    Listing,
    ListingKind,
    ListingPatent,
    ListingSlot,
    ListingStatus,
    PaymentMethod,
)
from marketplace.listings.operations import (
    ListingInput,
    create_listing,
    expire_listings,
    publish_listing,
    transition,
    withdraw_listing,
)
from marketplace.patents.models import Encumbrance, EncumbranceKind, LegalStatus, PatentType


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="university")


def test_transfer_published_and_slot_taken(make, holder):
    listing = make.listing(holder, kind=ListingKind.transfer)
    assert listing.status == ListingStatus.published and listing.published_at is not None
    assert [item.slot for item in listing.items] == [ListingSlot.transfer]


def test_second_live_transfer_of_a_patent_is_refused(make, holder):
    patent = make.patent(holder.organization)
    make.listing(holder, [patent], kind=ListingKind.transfer)
    with pytest.raises(DomainError, match="已有转让挂牌"):
        make.listing(holder, [patent], kind=ListingKind.transfer)


def test_schema_refuses_two_transfer_slots_even_without_the_operation(make, holder):
    patent = make.patent(holder.organization)
    first = make.listing(holder, [patent], kind=ListingKind.transfer)
    second = make.listing(holder, [patent], kind=ListingKind.transfer, publish=False)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(db.update(ListingPatent).where(ListingPatent.listing_id == second.id)
                           .values(slot=ListingSlot.transfer))
    assert first.items[0].slot == ListingSlot.transfer


def test_open_licence_blocks_exclusive_licence_but_not_ordinary(make, holder):
    patent = make.patent(holder.organization)
    make.listing(holder, [patent], kind=ListingKind.open_licence)
    make.listing(holder, [patent], kind=ListingKind.licence, licence_type="ordinary")
    for licence_type in ("sole", "exclusive"):
        with pytest.raises(DomainError, match="开放许可或独占/排他许可"):
            make.listing(holder, [patent], kind=ListingKind.licence, licence_type=licence_type)


def test_exclusive_licence_encumbrance_blocks_open_licence(make, holder):
    patent = make.patent(holder.organization)
    other = make.org()
    db.session.add(Encumbrance(patent_id=patent.id, kind=EncumbranceKind.exclusive_licence, holder_id=other.id))
    db.session.commit()
    with pytest.raises(DomainError, match="已有独占或排他许可"):
        make.listing(holder, [patent], kind=ListingKind.open_licence)


def test_pledged_patent_cannot_be_transferred(make, holder):
    patent = make.patent(holder.organization)
    bank = make.org("bank")
    db.session.add(Encumbrance(patent_id=patent.id, kind=EncumbranceKind.pledge, holder_id=bank.id))
    db.session.commit()
    with pytest.raises(DomainError, match="已质押"):
        make.listing(holder, [patent], kind=ListingKind.transfer)


def test_patent_of_another_owner_cannot_be_listed(make, holder):
    stranger = make.patent(make.org())
    with pytest.raises(DomainError, match="不属于本机构"):
        make.listing(holder, [stranger])


def test_lapsed_patent_cannot_be_listed(make, holder):
    patent = make.patent(holder.organization, legal_status=LegalStatus.lapsed)
    with pytest.raises(DomainError, match="不在有效期内"):
        make.listing(holder, [patent])


def test_open_licence_needs_a_granted_patent(make, holder):
    patent = make.patent(holder.organization, legal_status=LegalStatus.pending, grant_date=None)
    with pytest.raises(DomainError, match="尚未授权"):
        make.listing(holder, [patent], kind=ListingKind.open_licence)


def test_open_licence_of_a_utility_model_needs_the_evaluation_report(make, holder):
    patent = make.patent(holder.organization, patent_type=PatentType.utility)
    with pytest.raises(DomainError, match="评价报告") as error:
        make.listing(holder, [patent], kind=ListingKind.open_licence)
    assert error.value.field == "evaluation_report_no"
    patent.evaluation_report_no = "2023SR0001234"
    db.session.commit()
    assert make.listing(holder, [patent], kind=ListingKind.open_licence).status == ListingStatus.published


def test_licence_term_cannot_run_past_expiry(make, holder):
    patent = make.patent(holder.organization, app_date=date(2010, 1, 1))  # expires 2029-12-31
    with pytest.raises(DomainError, match="届满日 2029-12-31") as error:
        make.listing(holder, [patent], kind=ListingKind.open_licence, term_end=date(2030, 6, 30))
    assert error.value.field == "term_end"


@pytest.mark.parametrize("values, field", [
    ({"royalty_rate": Decimal("101"), "payment_method": PaymentMethod.royalty, "fee_amount": None}, "royalty_rate"),
    ({"royalty_rate": Decimal("-1"), "payment_method": PaymentMethod.royalty, "fee_amount": None}, "royalty_rate"),
    ({"fee_amount": Decimal("-5")}, "fee_amount"),
    ({"fee_amount": Decimal("1.234")}, "fee_amount"),
    ({"fee_amount": Decimal("99999999999")}, "fee_amount"),
    ({"payment_method": PaymentMethod.free}, "fee_amount"),
    ({"payment_method": PaymentMethod.entry_fee_plus_royalty}, "royalty_rate"),
    ({"term_end": None}, "term_end"),
    ({"payment_method": None}, "payment_method"),
])
def test_open_licence_terms_are_validated(make, holder, values, field):
    patent = make.patent(holder.organization)
    with pytest.raises(DomainError) as error:
        make.listing(holder, [patent], kind=ListingKind.open_licence, **values)
    assert error.value.field == field
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 0


def test_every_kind_validates_its_terms(make, holder):
    cases = [
        (ListingKind.licence, {"licence_type": None}, "licence_type"),
        (ListingKind.transfer, {"asking_price": Decimal("0")}, "asking_price"),
        (ListingKind.equity, {"valuation": None}, "valuation"),
        (ListingKind.equity, {"equity_share": Decimal("0")}, "equity_share"),
        (ListingKind.pledge, {"amount_wanted": None}, "amount_wanted"),
        (ListingKind.pledge, {"term_months": 0}, "term_months"),
        (ListingKind.pledge, {"purpose": ""}, "purpose"),
    ]
    patent = make.patent(holder.organization)
    for kind, values, field in cases:
        with pytest.raises(DomainError) as error:
            make.listing(holder, [patent], kind=kind, **values)
        assert error.value.field == field, (kind, values)


def test_unverified_holder_may_draft_but_not_publish(make, ctx):
    user = make.user(kind="university", status="pending")
    listing = make.listing(user, kind=ListingKind.transfer, publish=False)
    assert listing.status == ListingStatus.draft
    with pytest.raises(NotVerified):
        publish_listing(listing, user)


def test_only_the_owner_publishes_or_withdraws(make, holder):
    listing = make.listing(holder, publish=False)
    outsider = make.user()
    with pytest.raises(PermissionDenied):
        publish_listing(listing, outsider)
    publish_listing(listing, holder)
    with pytest.raises(PermissionDenied):
        withdraw_listing(listing, outsider)
    withdraw_listing(listing, holder)
    assert listing.status == ListingStatus.withdrawn and listing.items[0].slot is None


def test_lifecycle_refuses_illegal_moves(make, holder):
    listing = make.listing(holder, publish=False)
    with pytest.raises(DomainError):
        transition(listing, ListingStatus.closed)  # a draft cannot close
    publish_listing(listing, holder)
    transition(listing, ListingStatus.in_negotiation)
    transition(listing, ListingStatus.closed)
    for target in ListingStatus:
        with pytest.raises(DomainError):
            transition(listing, target)


def test_withdrawn_transfer_frees_the_patent(make, holder):
    patent = make.patent(holder.organization)
    first = make.listing(holder, [patent], kind=ListingKind.transfer)
    withdraw_listing(first, holder)
    db.session.commit()
    assert make.listing(holder, [patent], kind=ListingKind.transfer).status == ListingStatus.published


def test_expire_marks_listings_whose_patents_ran_out(make, holder):
    filed = date.today().replace(year=date.today().year - 20) + timedelta(days=30)
    patent = make.patent(holder.organization, app_date=filed, grant_date=filed + timedelta(days=400))
    listing = make.listing(holder, [patent], kind=ListingKind.transfer)
    last_day = patent.expires_on
    assert expire_listings(today=last_day) == []
    assert expire_listings(today=last_day + timedelta(days=1)) == [listing]
    assert listing.status == ListingStatus.expired
    assert patent.legal_status == LegalStatus.expired
    assert expire_listings(today=last_day + timedelta(days=1)) == []  # safe to run again


def test_bundle_of_patents_of_one_owner(make, holder):
    patents = [make.patent(holder.organization) for _ in range(3)]
    listing = make.listing(holder, patents, kind=ListingKind.licence, licence_type="exclusive")
    assert listing.patents == patents
    assert {item.slot for item in listing.items} == {ListingSlot.exclusivity}


def test_draft_listing_is_rolled_back_whole_on_a_bad_term(make, holder):
    patent = make.patent(holder.organization)
    with pytest.raises(DomainError):
        create_listing(holder, ListingInput(kind=ListingKind.transfer, title="x", patent_ids=[patent.id],
                                            asking_price=Decimal("-1")))
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingPatent)) == 0


def test_term_end_before_start_refused(make, holder):
    patent = make.patent(holder.organization)
    with pytest.raises(DomainError) as error:
        make.listing(holder, [patent], kind=ListingKind.licence, licence_type="ordinary",
                     term_start=date(2026, 1, 1), term_end=date(2026, 1, 1) - timedelta(days=1))
    assert error.value.field == "term_end"


def test_listings_expire_runs_with_the_production_configuration(make, production_cli):
    user = make.user(kind="university")
    listing = make.listing(user)
    listing.patents[0].legal_status = LegalStatus.lapsed
    db.session.commit()
    result = production_cli.invoke(args=["listings", "expire"])
    assert result.exit_code == 0 and "1 listing(s) expired" in result.output, result.output
