"""Append to the ledger in the caller's transaction, and verify the whole chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import update

from ..dates import business_date
from ..extensions import db
from ..types import to_money, utcnow
from .models import GENESIS_HASH, LedgerEntry, LedgerHead

# The columns the hash covers, in order. Adding one means a new hash version.
HASHED_FIELDS = (
    "seq", "recorded_at", "occurred_on", "event", "subject_type", "subject_id", "deal_kind", "from_status",
    "to_status", "amount", "actor_user_id", "actor_org_id", "holder_org_id", "counterparty_org_id",
    "counterparty_is_sme", "beneficiary_org_id", "beneficiary_is_sme", "patent_ids", "details",
)


def _canonical(value):
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(to_money(value))
    return value


def compute_hash(entry: LedgerEntry) -> str:
    content = {name: _canonical(getattr(entry, name)) for name in HASHED_FIELDS}
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((entry.prev_hash + payload).encode("utf-8")).hexdigest()


def lock_head() -> LedgerHead:
    """Take the head row's write lock before reading it (PostgreSQL row lock, SQLite write lock).
    Transitions take it first, before any other row, so writers of the ledger lock in one order."""
    bumped = db.session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(last_seq=LedgerHead.last_seq))
    if bumped.rowcount == 0:
        head = LedgerHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
        return head
    head = db.session.get(LedgerHead, 1, populate_existing=True, with_for_update=True)
    return head


def append(*, event: str, subject_type: str, subject_id: int, deal_kind: str, to_status: str,
           from_status: str | None = None, amount: Decimal | None = None, actor=None,
           holder_org=None, counterparty_org=None, beneficiary_org=None, patent_ids=(),
           details: dict | None = None, occurred_on: date | None = None) -> LedgerEntry:
    """Append one entry, chained to the previous one. The caller's transaction commits it
    together with the change it records, or neither."""
    now = utcnow()
    head = lock_head()
    entry = LedgerEntry(
        seq=head.last_seq + 1, recorded_at=now,
        occurred_on=occurred_on or business_date(now), event=event,
        subject_type=subject_type, subject_id=subject_id, deal_kind=deal_kind,
        from_status=from_status, to_status=to_status,
        amount=to_money(amount) if amount is not None else None,
        actor_user_id=getattr(actor, "id", None), actor_org_id=getattr(actor, "organization_id", None),
        holder_org_id=getattr(holder_org, "id", None),
        counterparty_org_id=getattr(counterparty_org, "id", None),
        counterparty_is_sme=bool(getattr(counterparty_org, "is_sme", False)),
        beneficiary_org_id=getattr(beneficiary_org, "id", None),
        beneficiary_is_sme=bool(getattr(beneficiary_org, "is_sme", False)),
        patent_ids=sorted(int(p) for p in patent_ids), details=_jsonable(details or {}),
        prev_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    db.session.add(entry)
    head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    db.session.flush()
    return entry


def _jsonable(details: dict) -> dict:
    return json.loads(json.dumps({k: _canonical(v) for k, v in details.items()}, default=str, ensure_ascii=False))


@dataclass
class VerifyResult:
    checked: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and not self.problem

    @property
    def warning(self) -> str | None:
        """What every figure and export drawn from the ledger carries while the chain does not verify."""
        if self.ok:
            return None
        if self.broken_seq:
            return _("交易台账链式校验未通过（自第 %(seq)d 条起）：取自台账的数字可能已被篡改，请勿直接引用，"
                     "并联系平台技术人员核查。", seq=self.broken_seq)
        return _("交易台账链式校验未通过：取自台账的数字可能已被篡改，请勿直接引用，并联系平台技术人员核查。")


def _entries(batch: int = 2000) -> Iterator[LedgerEntry]:
    last = 0
    while True:
        rows = db.session.scalars(
            db.select(LedgerEntry).where(LedgerEntry.seq > last).order_by(LedgerEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        for row in rows:  # keep memory flat without detaching the caller's objects (current_user…)
            db.session.expunge(row)


def verify_chain() -> VerifyResult:
    """Walk every entry in order: each hash must match its content and link to the previous."""
    head = db.session.get(LedgerHead, 1)
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in _entries():
        if entry.seq != expected_seq:
            return VerifyResult(checked, expected_seq, f"entry #{expected_seq} is missing (next is #{entry.seq})")
        if entry.prev_hash != expected_prev:
            return VerifyResult(checked, entry.seq, f"entry #{entry.seq} does not link to entry #{entry.seq - 1}")
        if compute_hash(entry) != entry.entry_hash:
            return VerifyResult(checked, entry.seq, f"entry #{entry.seq} was altered: its content does not match its hash")
        expected_prev, expected_seq, checked = entry.entry_hash, expected_seq + 1, checked + 1
    last_seq = head.last_seq if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if last_seq != checked or last_hash != expected_prev:
        return VerifyResult(checked, checked + 1 if last_seq > checked else last_seq,
                            f"the ledger head records entry #{last_seq} but the chain ends at #{checked}")
    return VerifyResult(checked)
