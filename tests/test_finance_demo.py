"""The demo's finance step: every pledge state at both banks, insured patents, a sound ledger."""

from __future__ import annotations

from decimal import Decimal

from marketplace.demo import run_demo
from marketplace.extensions import db
from marketplace.finance.machines import ReviewStatus
from marketplace.finance.models import Appraisal, PledgeReview
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain


def test_demo_fills_every_pledge_state_at_both_banks_and_keeps_the_ledger_sound(app):
    with app.app_context():
        ctx = run_demo()
        for key in ("bank_xingmin", "bank_rongcheng"):
            states = set(db.session.scalars(db.select(PledgeReview.status).where(
                PledgeReview.bank_org_id == ctx.orgs[key].id)))
            assert states == set(ReviewStatus), key
        disbursed = db.session.scalars(db.select(LedgerEntry).where(
            LedgerEntry.deal_kind == "pledge", LedgerEntry.to_status == "disbursed")).all()
        assert sum((e.amount for e in disbursed), Decimal(0)) > Decimal("50000000")
        assert len({e.occurred_on.year for e in disbursed}) >= 2
        insured = {p for e in db.session.scalars(db.select(LedgerEntry).where(
            LedgerEntry.deal_kind == "insurance", LedgerEntry.to_status == "issued")) for p in e.patent_ids}
        assert len(insured) >= 60
        assert db.session.scalar(db.select(db.func.count(Appraisal.id))) > 10
        assert verify_chain().ok
