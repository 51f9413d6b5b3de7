"""Pledge loans through the operations: every transition and refusal, the ledger, encumbrances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from marketplace.dates import business_today as today
from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db
from marketplace.finance import operations as ops
from marketplace.finance.machines import PLEDGE_MACHINE, ReviewStatus
from marketplace.finance.models import PledgeReview, ReviewMessage
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind, ListingStatus
from marketplace.patents.models import Encumbrance, EncumbranceKind, LegalStatus
from marketplace.workflow import apply_transition

from .finance_helpers import (
    AMOUNT,
    STEP_OPERATIONS,
    drive,
    entries_for,
    ledger_count,
    submit,
    upload,
)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


@pytest.fixture
def bank(make, ctx):
    return make.user(kind="bank")


@pytest.fixture
def bank2(make, ctx):
    return make.user(kind="bank")


@pytest.fixture
def patent(make, holder):
    return make.patent(holder.organization, claims_count=8)


def active_pledges(patent):
    return db.session.scalars(db.select(Encumbrance).where(
        Encumbrance.patent_id == patent.id, Encumbrance.kind == EncumbranceKind.pledge,
        Encumbrance.released_at.is_(None))).all()


def test_one_bank_lends_while_the_other_rejects_and_the_ledger_holds_every_step(holder, bank, bank2, patent, make):
    request = submit(holder, [bank, bank2], [patent], uploads=[upload()])
    first, second = request.reviews
    assert request.listing.kind == ListingKind.pledge and request.listing.status == ListingStatus.published
    assert len(request.documents) == 1 and request.score is not None
    ops.start_review(first, bank)
    ops.request_information(first, bank, "请补充近两年财务报表。")
    assert first.status == ReviewStatus.info_requested
    ops.post_message(first, holder, "财务报表已补充。")
    assert first.status == ReviewStatus.under_review  # the holder's answer returns it to the bank
    assert [m.body for m in first.messages] == ["请补充近两年财务报表。", "财务报表已补充。"]
    ops.reject(second, bank2, "授信额度已满。")
    ops.approve(first, bank, amount="4500000", rate="4.35", term_months=12)
    ops.register_pledge(first, bank, registration_no="Y2025350000123", registered_on=today())
    assert [e.holder_id for e in active_pledges(patent)] == [bank.organization_id]
    assert request.listing.status == ListingStatus.closed
    ops.disburse(first, bank, amount="4500000", disbursed_on=today())
    ops.record_repayment(first, bank, repaid_on=today())
    assert first.status == ReviewStatus.repaid and active_pledges(patent) == []

    steps = [(e.from_status, e.to_status) for e in entries_for(first)]
    assert steps == [(None, "submitted"), ("submitted", "under_review"), ("under_review", "info_requested"),
                     ("info_requested", "under_review"), ("under_review", "approved"), ("approved", "registered"),
                     ("registered", "disbursed"), ("disbursed", "repaid")]
    assert [(e.from_status, e.to_status) for e in entries_for(second)] == [(None, "submitted"), ("submitted", "rejected")]
    disbursed = next(e for e in entries_for(first) if e.to_status == "disbursed")
    assert disbursed.subject_type == "pledge_review" and disbursed.deal_kind == "pledge"
    assert disbursed.amount == Decimal("4500000.00")
    assert disbursed.holder_org_id == holder.organization_id == disbursed.beneficiary_org_id
    assert disbursed.counterparty_org_id == bank.organization_id
    assert disbursed.beneficiary_is_sme is True and disbursed.patent_ids == [patent.id]
    assert verify_chain().ok


def test_registration_closes_the_other_banks_open_reviews_by_the_system(holder, bank, bank2, patent):
    request = submit(holder, [bank, bank2], [patent])
    first, second = request.reviews
    drive(first, holder, bank, "approved")
    drive(second, holder, bank2, "approved")
    ops.register_pledge(first, bank, registration_no="Y1", registered_on=today())
    assert second.status == ReviewStatus.withdrawn
    closing = entries_for(second)[-1]
    assert closing.to_status == "withdrawn" and closing.actor_user_id is None and closing.actor_org_id is None
    with pytest.raises(DomainError):
        ops.register_pledge(second, bank2, registration_no="Y2", registered_on=today())


@pytest.mark.parametrize("source, target", sorted(STEP_OPERATIONS))
def test_every_transition_of_the_machine(holder, bank, patent, source, target):
    review = submit(holder, [bank], [patent]).reviews[0]
    drive(review, holder, bank, source)
    before = len(entries_for(review))
    STEP_OPERATIONS[(source, target)](review, holder, bank)
    assert review.status == ReviewStatus(target)
    entries = entries_for(review)
    assert len(entries) == before + 1 and (entries[-1].from_status, entries[-1].to_status) == (source, target)


def test_the_table_and_the_operations_cover_the_same_steps():
    assert {(s.source, s.target) for s in PLEDGE_MACHINE.steps} == set(STEP_OPERATIONS)


NOT_ALLOWED = [(s.value, t.value) for s in ReviewStatus for t in ReviewStatus
               if PLEDGE_MACHINE.step(s.value, t.value) is None]


@pytest.mark.parametrize("source, target", NOT_ALLOWED)
def test_every_step_outside_the_table_is_refused_and_writes_nothing(holder, bank, patent, source, target):
    review = submit(holder, [bank], [patent]).reviews[0]
    drive(review, holder, bank, source)
    count = ledger_count()
    with pytest.raises(DomainError):
        apply_transition(review, target, bank, data={"message": "x", "reason": "x"})
    assert review.status == ReviewStatus(source) and ledger_count() == count


@pytest.mark.parametrize("source, target", sorted(STEP_OPERATIONS))
def test_each_step_is_refused_to_the_other_party(holder, bank, patent, make, source, target):
    review = submit(holder, [bank], [patent]).reviews[0]
    drive(review, holder, bank, source)
    step = PLEDGE_MACHINE.step(source, target)
    wrong = bank if "holder" in step.by else holder
    stranger = make.user(kind="bank")
    count = ledger_count()
    for actor in (wrong, stranger):
        with pytest.raises(PermissionDenied):
            apply_transition(review, target, actor, data={k: "x" for k in step.needs})
    assert review.status == ReviewStatus(source) and ledger_count() == count


@pytest.mark.parametrize("case", ["not_owned", "expired", "lapsed", "pending", "already_pledged", "in_transfer",
                                  "no_bank", "not_a_bank", "unverified_bank", "fake_pdf", "no_amount", "zero_term"])
def test_pledge_request_refusals_write_nothing(make, holder, bank, patent, case):
    patents, banks, uploads, amount, term = [patent], [bank], [], "1000000", 12
    if case == "not_owned":
        patents = [make.patent(make.org())]
    elif case == "expired":
        patents = [make.patent(holder.organization, app_date=date(2004, 1, 5), grant_date=date(2006, 1, 1))]
    elif case == "lapsed":
        patents = [make.patent(holder.organization, legal_status=LegalStatus.lapsed)]
    elif case == "pending":
        patents = [make.patent(holder.organization, legal_status=LegalStatus.pending, grant_date=None)]
    elif case == "already_pledged":
        drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "registered")
    elif case == "in_transfer":
        make.listing(holder, [patent], kind=ListingKind.transfer)
    elif case == "no_bank":
        banks = []
    elif case == "not_a_bank":
        banks = [make.user(kind="enterprise")]
    elif case == "unverified_bank":
        banks = [make.user(kind="bank", status="pending")]
    elif case == "fake_pdf":
        uploads = [upload(b"<html>not a pdf</html>", "报告.pdf")]
    elif case == "no_amount":
        amount = ""
    elif case == "zero_term":
        term = 0
    count, requests = ledger_count(), db.session.scalar(db.select(db.func.count(PledgeReview.id)))
    with pytest.raises(DomainError):
        ops.submit_pledge_request(holder, ops.PledgeInput(
            patent_ids=[p.id for p in patents], amount=amount, term_months=term, purpose="研发",
            bank_ids=[b.organization_id for b in banks], uploads=uploads))
    assert ledger_count() == count
    assert db.session.scalar(db.select(db.func.count(PledgeReview.id))) == requests


def test_an_unverified_holder_may_not_submit(make, bank):
    holder = make.user(kind="enterprise", status="pending")
    with pytest.raises(NotVerified):
        submit(holder, [bank], [make.patent(holder.organization)])


@pytest.mark.parametrize("amount, rate, field", [
    ("5000000.01", "4.35", "amount"), ("0", "4.35", "amount"), ("abc", "4.35", "amount"),
    ("1000000", "-0.01", "rate"), ("1000000", "36.01", "rate"), ("1000000", "4.355", "rate"), ("1000000", "x", "rate"),
])
def test_approval_above_the_request_or_outside_0_to_36_percent_is_refused(holder, bank, patent, amount, rate, field):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "under_review")
    count = ledger_count()
    with pytest.raises(DomainError) as error:
        ops.approve(review, bank, amount=amount, rate=rate, term_months=12)
    assert error.value.field == field
    assert review.status == ReviewStatus.under_review and review.approved_amount is None and ledger_count() == count


@pytest.mark.parametrize("rate", ["0", "36", "36.00"])
def test_rates_at_the_bounds_are_accepted(holder, bank, patent, rate):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "under_review")
    ops.approve(review, bank, amount=str(AMOUNT), rate=rate, term_months=24)
    assert review.rate == Decimal(rate) and review.approved_term_months == 24


@pytest.mark.parametrize("status", ["submitted", "under_review", "info_requested"])
def test_registration_before_approval_is_refused(holder, bank, patent, status):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, status)
    count = ledger_count()
    with pytest.raises(DomainError, match="批准之后"):
        ops.register_pledge(review, bank, registration_no="Y1", registered_on=today())
    assert review.status == ReviewStatus(status) and ledger_count() == count and active_pledges(review.request.patents[0]) == []


@pytest.mark.parametrize("status", ["under_review", "approved"])
def test_disbursement_without_registration_is_refused(holder, bank, patent, status):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, status)
    count = ledger_count()
    with pytest.raises(DomainError, match="质押登记之后"):
        ops.disburse(review, bank, amount="1000000", disbursed_on=today())
    assert review.status == ReviewStatus(status) and review.disbursed_amount is None and ledger_count() == count


@pytest.mark.parametrize("case", ["above_approval", "future_date", "before_registration"])
def test_disbursement_figures_are_checked(holder, bank, patent, case):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "registered")
    amount, day = "4000000", today()
    if case == "above_approval":
        amount = "4000000.01"
    elif case == "future_date":
        day = today() + timedelta(days=1)
    else:
        day = review.registered_on - timedelta(days=1)
    count = ledger_count()
    with pytest.raises(DomainError):
        ops.disburse(review, bank, amount=amount, disbursed_on=day)
    assert review.status == ReviewStatus.registered and ledger_count() == count


def test_rejection_and_registration_need_their_data(holder, bank, patent):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "under_review")
    with pytest.raises(DomainError, match="原因"):
        ops.reject(review, bank, "  ")
    with pytest.raises(DomainError):
        ops.request_information(review, bank, "")
    ops.approve(review, bank, amount="1", rate="3", term_months=6)
    with pytest.raises(DomainError, match="登记号"):
        ops.register_pledge(review, bank, registration_no=" ", registered_on=today())


def test_repayment_releases_the_pledge_and_frees_the_patent(make, holder, bank, patent):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "disbursed")
    with pytest.raises(DomainError, match="已质押"):
        make.listing(holder, [patent], kind=ListingKind.transfer)
    ops.record_repayment(review, bank, repaid_on=today())
    released = db.session.scalars(db.select(Encumbrance).where(Encumbrance.patent_id == patent.id)).all()
    assert len(released) == 1 and released[0].released_at is not None
    assert make.listing(holder, [patent], kind=ListingKind.transfer).status == ListingStatus.published


def test_a_default_leaves_the_pledge_with_the_bank(holder, bank, patent):
    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "defaulted")
    assert [e.holder_id for e in active_pledges(patent)] == [bank.organization_id]
    assert review.decision_reason == "逾期 90 天未还本息。"


def test_a_live_request_blocks_transfer_and_exclusive_licence_until_it_ends(make, holder, bank, bank2, patent):
    request = submit(holder, [bank, bank2], [patent])
    for kind, extra in ((ListingKind.transfer, {}), (ListingKind.licence, {"licence_type": "exclusive"})):
        with pytest.raises(DomainError, match="质押融资"):
            make.listing(holder, [patent], kind=kind, **extra)
    ops.reject(request.reviews[0], bank, "不符合授信政策。")
    assert request.listing.status == ListingStatus.published  # the other bank is still deciding
    ops.withdraw_request(request, holder)
    assert request.listing.status == ListingStatus.withdrawn
    assert make.listing(holder, [patent], kind=ListingKind.transfer).status == ListingStatus.published


def test_messages_stay_in_the_thread_of_the_parties(make, holder, bank, patent):
    review = submit(holder, [bank], [patent]).reviews[0]
    ops.post_message(review, bank, "请问专利是否有在先许可？")
    ops.post_message(review, holder, "没有。")
    assert review.status == ReviewStatus.submitted
    with pytest.raises(PermissionDenied):
        ops.post_message(review, make.user(kind="bank"), "我也想看看")
    assert db.session.scalar(db.select(db.func.count(ReviewMessage.id)).where(ReviewMessage.review_id == review.id)) == 2


def test_the_database_refuses_an_approval_above_the_request_and_a_rate_above_36(holder, bank, patent):
    from sqlalchemy.exc import IntegrityError

    review = drive(submit(holder, [bank], [patent]).reviews[0], holder, bank, "approved")
    for column, value in (("approved_amount", AMOUNT + 1), ("rate", Decimal("36.5"))):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            setattr(review, column, value)
            db.session.flush()
        db.session.refresh(review)


def test_one_review_per_bank_and_request(holder, bank, patent):
    from sqlalchemy.exc import IntegrityError

    request = submit(holder, [bank], [patent])
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PledgeReview(request_id=request.id, bank_org_id=bank.organization_id,
                                    requested_amount=AMOUNT, status=ReviewStatus.submitted))
        db.session.flush()
