"""备案 where the law puts it: licence contracts count down 3 months from taking effect (细则 §15)
and are reminded; open licences get a recommendation (细则 §87). 备案 numbers are checked, and a
mistyped one is corrected by a party with the correction in the ledger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.dates import business_today
from marketplace.deals import operations as ops
from marketplace.deals.models import Deal, DealStatus
from marketplace.deals.recordation import canonical_recordation_number, send_reminders
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind
from marketplace.notify.models import Notification
from tests.support import field_error, text


@pytest.fixture
def uni(make):
    return make.user(kind="university")


@pytest.fixture
def sme(make):
    return make.user(kind="enterprise", is_sme=True)


@pytest.fixture
def licence_deal(app, make, uni, sme):
    """An ordinary licence contract that took effect (was completed) on 2026-01-10."""
    with app.test_request_context():
        deal = ops.propose_deal(make.listing(uni, kind=ListingKind.licence), sme, amount="200000")
        ops.agree(deal, uni, occurred_on=date(2026, 1, 5))
        ops.complete(deal, uni, occurred_on=date(2026, 1, 10))
        db.session.commit()
    return deal


def entries(deal: Deal) -> list[LedgerEntry]:
    return db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.subject_type == "deal",
                                                           LedgerEntry.subject_id == deal.id)
                              .order_by(LedgerEntry.seq)).all()


# --- the number ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("2023990000123", "2023990000123"),
    (" 2023 9900 00123 ", "2023990000123"),
    ("２０２３９９００００１２３", "2023990000123"),  # full-width digits
    ("备案号：2021320000456", "2021320000456"),
    ("x2024990000007", "X2024990000007"),
])
def test_recordation_numbers_are_canonical(app, typed, stored):
    assert canonical_recordation_number(typed, today=date(2026, 6, 1)) == stored


@pytest.mark.parametrize("typed, message", [
    ("abc", "格式不对"),
    ("1", "格式不对"),
    ("20239900001234", "格式不对"),  # one digit too many
    ("1970990000123", "年份 1970 不对"),
    ("2031990000123", "年份 2031 不对"),  # not yet
    ("", "请填写备案号"),
])
def test_bad_recordation_numbers_are_refused_with_a_reason(app, typed, message):
    with pytest.raises(DomainError) as refused:
        canonical_recordation_number(typed, today=date(2026, 6, 1))
    assert message in refused.value.message and refused.value.field == "recordation_no"


def test_abc_does_not_close_an_open_licence(app, make, uni, sme, as_user):
    with app.test_request_context():
        deal = ops.accept_open_licence(make.listing(uni, kind=ListingKind.open_licence), sme, "通知")
        ops.record_payment(deal, uni)
        db.session.commit()
    before = len(entries(deal))
    response = as_user(sme).post(f"/deals/{deal.id}/steps/recorded", data={"recorded-recordation_no": "abc"})
    assert response.status_code == 422  # a refused field: the form re-renders with what was typed
    assert "格式不对" in field_error(response, "recorded-recordation_no")
    assert 'value="abc"' in response.get_data(as_text=True)  # what was typed is kept
    deal = db.session.get(Deal, deal.id)
    assert deal.status == DealStatus.paid and deal.recordation_no == "" and len(entries(deal)) == before


# --- licence contracts: a deadline -------------------------------------------------------------

def test_a_licence_contract_counts_down_three_months_from_taking_effect(licence_deal, as_user, sme):
    assert licence_deal.recordation_due == date(2026, 4, 10)
    assert licence_deal.recordation_is_deadline
    completed = entries(licence_deal)[-1]
    assert completed.to_status == "completed" and completed.details["effective_on"] == "2026-01-10"
    page = text(as_user(sme).get(f"/deals/{licence_deal.id}"))
    assert "备案期限" in page and "第十五条" in page and 'data-testid="recordation-form"' in page


def test_licence_contracts_are_reminded_before_and_after_the_deadline(app, licence_deal, uni, sme):
    due = licence_deal.recordation_due
    with app.test_request_context():
        assert send_reminders(due - timedelta(days=15)) == []
        assert send_reminders(due - timedelta(days=14)) == [(licence_deal, "due_soon")]
        assert send_reminders(due - timedelta(days=2)) == []
        assert send_reminders(due + timedelta(days=1)) == [(licence_deal, "overdue")]
        assert send_reminders(due + timedelta(days=2)) == []
    notes = db.session.scalars(db.select(Notification.text).where(Notification.user_id == sme.id,
                                                                 Notification.text.like("许可合同交易%"))).all()
    assert len(notes) == 2 and "还剩 14 天" in notes[0] and "已过 1 天" in notes[1] and "第十五条" in notes[1]


def test_a_recorded_licence_contract_is_not_reminded(app, licence_deal, sme, as_user):
    response = as_user(sme).post(f"/deals/{licence_deal.id}/recordation",
                                 data={"recordation_no": "2026990000321"})
    assert response.status_code == 302
    deal = db.session.get(Deal, licence_deal.id)
    assert deal.recordation_no == "2026990000321" and deal.recordation_days_left is None
    assert entries(deal)[-1].event == "recordation"
    with app.test_request_context():
        assert send_reminders(deal.recordation_due + timedelta(days=30)) == []


def test_a_licence_number_needs_a_completed_licence(app, make, uni, sme):
    with app.test_request_context():
        deal = ops.propose_deal(make.listing(uni, kind=ListingKind.licence), sme, amount="200000")
        from marketplace.deals.recordation import record_licence_number

        with pytest.raises(DomainError, match="生效"):
            record_licence_number(deal, sme, "2026990000321")


def test_a_transfer_has_no_recordation_date(app, make, uni, sme):
    with app.test_request_context():
        deal = ops.propose_deal(make.listing(uni, kind=ListingKind.transfer), sme, amount="800000")
        ops.agree(deal, uni)
        ops.complete(deal, uni)
    assert deal.recordation_due is None and deal.recordation_days_left is None


# --- corrections ---------------------------------------------------------------------------------

def test_a_party_corrects_a_mistyped_number_and_the_ledger_keeps_both(app, make, uni, sme, as_user):
    with app.test_request_context():
        deal = ops.accept_open_licence(make.listing(uni, kind=ListingKind.open_licence), sme, "通知")
        ops.record_payment(deal, uni)
        ops.record_recordation(deal, sme, "2026990000123")
        db.session.commit()
    holder = as_user(uni)
    bad = holder.post(f"/deals/{deal.id}/recordation", data={"recordation_no": "abc", "reason": "少输一位"})
    assert bad.status_code == 422 and "格式不对" in field_error(bad, "recordation_no")
    assert db.session.get(Deal, deal.id).recordation_no == "2026990000123"
    ok = holder.post(f"/deals/{deal.id}/recordation", data={"recordation_no": "2026990000132", "reason": "数字顺序输错"})
    assert ok.status_code == 302
    deal = db.session.get(Deal, deal.id)
    assert deal.recordation_no == "2026990000132" and deal.status == DealStatus.recorded
    last = entries(deal)[-1]
    assert last.event == "recordation_corrected" and last.actor_org_id == uni.organization_id
    assert last.details == {"from": "2026990000123", "to": "2026990000132", "reason": "数字顺序输错"}
    assert verify_chain().ok
    page = text(holder.get(f"/deals/{deal.id}"))
    assert "更正备案号 2026990000123 → 2026990000132" in page
    note = db.session.scalar(db.select(Notification.text).where(Notification.user_id == sme.id,
                                                                Notification.text.like("%更正为%")))
    assert note is not None


def test_only_the_parties_correct_a_number(app, make, licence_deal, sme, as_user):
    with app.test_request_context():
        from marketplace.deals.recordation import correct_number, record_licence_number

        record_licence_number(licence_deal, sme, "2026990000321")
        db.session.commit()
        outsider = make.user(kind="enterprise")
        with pytest.raises(DomainError, match="交易双方"):
            correct_number(licence_deal, outsider, "2026990000322")
    assert as_user(outsider).post(f"/deals/{licence_deal.id}/recordation",
                                  data={"recordation_no": "2026990000322"}).status_code == 404
    assert db.session.get(Deal, licence_deal.id).recordation_no == "2026990000321"


def test_a_correction_to_the_same_number_is_refused(app, licence_deal, sme):
    with app.test_request_context():
        from marketplace.deals.recordation import correct_number, record_licence_number

        record_licence_number(licence_deal, sme, "2026990000321")
        with pytest.raises(DomainError, match="相同"):
            correct_number(licence_deal, sme, " 2026 9900 00321")


def test_open_licence_advice_is_never_overdue(app, make, uni, sme, as_user):
    with app.test_request_context():
        deal = ops.accept_open_licence(make.listing(uni, kind=ListingKind.open_licence), sme, "通知",
                                       today=business_today() - timedelta(days=200))
        db.session.commit()
    assert not deal.recordation_is_deadline
    page = text(as_user(sme).get(f"/deals/{deal.id}"))
    assert "逾期" not in page and "建议" in page and "非法定期限" in page
