"""The demo's deals (every kind in every state over two years, a verifiable ledger) and the
daily recordation reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text as sql

from marketplace.deals import operations as ops
from marketplace.deals.inquiries.models import Thread, total_unread
from marketplace.deals.models import NEGOTIATED_MACHINE, OPEN_LICENCE_MACHINE, Deal, DealReminder
from marketplace.deals.recordation import send_reminders
from marketplace.demo import run_demo
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind
from marketplace.notify.models import Notification


def statuses(machine) -> set[str]:
    return {machine.initial} | {s.target for s in machine.steps}


def test_demo_has_every_kind_in_every_state_over_two_years_and_a_ledger_that_verifies(app, runner):
    with app.test_request_context():
        ctx = run_demo()
        db.session.commit()
    deals = db.session.scalars(db.select(Deal)).all()
    seen = {(d.kind.value, d.status.value) for d in deals}
    expected = {("open_licence", s) for s in statuses(OPEN_LICENCE_MACHINE)}
    expected |= {(k, s) for k in ("licence", "transfer", "equity") for s in statuses(NEGOTIATED_MACHINE)}
    assert expected <= seen
    assert len(deals) >= 40
    all_days = db.session.scalars(db.select(LedgerEntry.occurred_on).order_by(LedgerEntry.seq)).all()
    days = db.session.scalars(db.select(LedgerEntry.occurred_on).where(LedgerEntry.subject_type == "deal")
                              .order_by(LedgerEntry.seq)).all()
    today = ctx.now.date()
    assert days == sorted(days)  # the deals step appends in simulated date order
    assert today - days[0] >= timedelta(days=600) and days[-1] <= today
    assert len({(d.year, (d.month - 1) // 3) for d in days}) >= 7  # spread over the quarters
    old = [d for d in deals if d.created_at.date() < today - timedelta(days=365)]
    assert old, "created_at follows the simulated dates"
    assert db.session.scalar(db.select(db.func.count()).select_from(Thread)) >= 5
    assert any(total_unread(user) for user in ctx.users.values())
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.read_at.is_(None), Notification.text.like("交易%"))) == 0

    result = verify_chain()
    assert result.ok and result.checked == len(all_days)
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and f"{len(all_days)} entries checked" in ok.output

    # Edit one row directly in the database: the check names it.
    target = len(days) // 2
    with db.session.begin_nested() as savepoint:
        db.session.execute(sql("UPDATE ledger_entry SET amount = amount + 1 WHERE seq = :s"), {"s": target})
        db.session.expire_all()
        broken = runner.invoke(args=["ledger", "verify"])
        assert broken.exit_code == 1 and f"#{target}" in broken.output
        savepoint.rollback()
    db.session.expire_all()
    assert verify_chain().ok
    # Delete one: the check names the missing entry.
    db.session.execute(sql("DELETE FROM ledger_entry WHERE seq = :s"), {"s": target + 3})
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and result.broken_seq == target + 3
    broken = runner.invoke(args=["ledger", "verify"])
    assert broken.exit_code == 1 and f"#{target + 3}" in broken.output


@pytest.fixture
def licence(app, make):
    with app.test_request_context():
        holder = make.user(kind="university")
        licensee = make.user(kind="enterprise", is_sme=True)
        listing = make.listing(holder, kind=ListingKind.open_licence)
        deal = ops.accept_open_licence(listing, licensee, "通知", today=date(2026, 1, 10))
        db.session.commit()
        yield deal, holder, licensee


def notes(user) -> list[str]:
    return db.session.scalars(db.select(Notification.text).where(Notification.user_id == user.id,
                                                                 Notification.text.like("开放许可交易 #%"))).all()


def test_open_licences_get_one_reminder_that_says_it_is_a_recommendation(app, licence):
    """细则 §87 sets no 备案 deadline for open licences: one reminder, worded as advice, never "overdue"."""
    deal, holder, licensee = licence
    due = deal.recordation_due
    assert due == date(2026, 4, 10)
    with app.test_request_context():
        assert send_reminders(due - timedelta(days=15)) == []
        assert send_reminders(due - timedelta(days=14)) == [(deal, "recommended")]
        assert send_reminders(due - timedelta(days=14)) == []  # run twice the same day
        assert send_reminders(due + timedelta(days=1)) == []
        assert send_reminders(due + timedelta(days=90)) == []
    assert len(notes(holder)) == 1 and len(notes(licensee)) == 1
    assert "建议" in notes(licensee)[0] and "不是法定期限" in notes(licensee)[0] and "逾期" not in notes(licensee)[0]
    assert db.session.scalar(db.select(db.func.count()).select_from(DealReminder)) == 1


def test_recorded_licences_are_not_reminded_and_the_command_is_safe_to_repeat(app, runner, make, licence):
    deal, holder, licensee = licence
    late = (deal.recordation_due + timedelta(days=5)).isoformat()
    first = runner.invoke(args=["deals", "remind", "--today", late])
    assert first.exit_code == 0 and "1 reminder(s) sent" in first.output and f"deal #{deal.id} recommended" in first.output
    again = runner.invoke(args=["deals", "remind", "--today", late])
    assert again.exit_code == 0 and "0 reminder(s) sent" in again.output
    with app.test_request_context():
        other = ops.accept_open_licence(deal.listing, make.user(kind="enterprise"), "通知", today=date(2026, 1, 10))
        ops.record_payment(other, holder, paid_on=date(2026, 1, 20))
        ops.record_recordation(other, holder, "2026990000009")
        db.session.commit()
    assert "0 reminder(s) sent" in runner.invoke(args=["deals", "remind", "--today", late]).output


def test_deals_remind_runs_with_the_production_configuration(licence, production_cli):
    deal, holder, licensee = licence
    late = (deal.recordation_due + timedelta(days=5)).isoformat()
    result = production_cli.invoke(args=["deals", "remind", "--today", late])
    assert result.exit_code == 0 and "1 reminder(s) sent" in result.output, result.output
    assert production_cli.invoke(args=["mail", "flush"]).exit_code == 0
    [message] = [m for m in production_cli.inbox.to(licensee.email) if "已过" in m.get_content()]
    assert f"https://ip.example.cn/deals/{deal.id}" in message.get_content()
