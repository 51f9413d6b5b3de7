"""The ledger: every deal event, appended, chained by SHA-256, never updated or deleted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import Money, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class LedgerEntry(db.Model):
    """One event. The columns indicators need are first-class (kind, status reached, amount,
    parties, patents, date); `details` keeps the rest. `entry_hash` covers every column."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("length(entry_hash) = 64 AND length(prev_hash) = 64", name="hash_lengths"),
        Index("ix_ledger_subject", "subject_type", "subject_id"),
        Index("ix_ledger_kind_status_date", "deal_kind", "to_status", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # 1, 2, 3 … without gaps
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)  # the business date (Asia/Shanghai)
    event: Mapped[str] = mapped_column(String(40))  # created | transition
    subject_type: Mapped[str] = mapped_column(String(30))  # deal | pledge_review | insurance_policy
    subject_id: Mapped[int]
    deal_kind: Mapped[str] = mapped_column(String(30))  # open_licence, licence, transfer, equity, pledge, insurance
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    holder_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))  # licensor, assignor, borrower, insured
    counterparty_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))  # licensee, assignee, bank, insurer
    counterparty_is_sme: Mapped[bool] = mapped_column(default=False)
    beneficiary_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))  # the enterprise served
    beneficiary_is_sme: Mapped[bool] = mapped_column(default=False)
    patent_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<LedgerEntry #{self.seq} {self.deal_kind} {self.subject_type}:{self.subject_id} → {self.to_status}>"


class LedgerHead(db.Model):
    """One row: the last entry's seq and hash. Appenders lock it first, so entries are
    chained one at a time, and deleting the last entry is noticed."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise LedgerIsAppendOnly("ledger entries are never updated")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise LedgerIsAppendOnly("ledger entries are never deleted")
