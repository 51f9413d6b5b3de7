"""Shared set-up for the finance tests: a holder, two banks, and requests driven to any state."""

from __future__ import annotations

import io
from decimal import Decimal

from werkzeug.datastructures import FileStorage

from marketplace.dates import business_today as today
from marketplace.extensions import db
from marketplace.finance import operations as ops
from marketplace.finance.machines import ReviewStatus
from marketplace.ledger.models import LedgerEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FAKE_PDF = b"<html><script>alert(1)</script></html>"


def upload(content: bytes = PDF, name: str = "营业执照.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/pdf")


def ledger_count() -> int:
    return db.session.scalar(db.select(db.func.count(LedgerEntry.id)))


def entries_for(review) -> list[LedgerEntry]:
    return db.session.scalars(db.select(LedgerEntry).where(
        LedgerEntry.subject_type == "pledge_review", LedgerEntry.subject_id == review.id).order_by(LedgerEntry.seq)).all()


def submit(holder, banks, patents, amount="5000000", uploads=None):
    return ops.submit_pledge_request(holder, ops.PledgeInput(
        patent_ids=[p.id for p in patents], amount=amount, term_months=12, purpose="研发投入与流动资金",
        bank_ids=[b.organization_id for b in banks], uploads=uploads or []))


# How each status is reached from `submitted`, one operation per step.
def _start(review, holder, bank):
    ops.start_review(review, bank)


def _info(review, holder, bank):
    ops.request_information(review, bank, "请补充近两年财务报表。")


def _answer(review, holder, bank):
    ops.post_message(review, holder, "已上传财务报表。")


def _approve(review, holder, bank):
    ops.approve(review, bank, amount="4000000", rate="4.35", term_months=12)


def _register(review, holder, bank):
    ops.register_pledge(review, bank, registration_no="Y2025350000123", registered_on=today())


def _disburse(review, holder, bank):
    ops.disburse(review, bank, amount="4000000", disbursed_on=today())


def _repay(review, holder, bank):
    ops.record_repayment(review, bank, repaid_on=today())


def _default(review, holder, bank):
    ops.record_default(review, bank, "逾期 90 天未还本息。")


def _reject(review, holder, bank):
    ops.reject(review, bank, "企业经营数据不足。")


def _withdraw(review, holder, bank):
    ops.withdraw_review(review, holder, "已获其他融资。")


STEP_OPERATIONS = {
    ("submitted", "under_review"): _start, ("under_review", "info_requested"): _info,
    ("info_requested", "under_review"): _answer, ("under_review", "approved"): _approve,
    ("approved", "registered"): _register, ("registered", "disbursed"): _disburse,
    ("disbursed", "repaid"): _repay, ("disbursed", "defaulted"): _default,
    **{(s, "rejected"): _reject for s in ("submitted", "under_review", "info_requested")},
    **{(s, "withdrawn"): _withdraw for s in ("submitted", "under_review", "info_requested", "approved")},
}

PATHS = {
    "submitted": [], "under_review": [_start], "info_requested": [_start, _info],
    "approved": [_start, _approve], "registered": [_start, _approve, _register],
    "disbursed": [_start, _approve, _register, _disburse],
    "repaid": [_start, _approve, _register, _disburse, _repay],
    "defaulted": [_start, _approve, _register, _disburse, _default],
    "rejected": [_reject], "withdrawn": [_withdraw],
}


def drive(review, holder, bank, status: str):
    for step in PATHS[status]:
        step(review, holder, bank)
    assert review.status == ReviewStatus(status)
    db.session.flush()
    return review


AMOUNT = Decimal("5000000.00")
