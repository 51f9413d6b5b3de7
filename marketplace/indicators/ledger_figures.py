"""Deal, pledge-loan and insurance figures, computed from the ledger alone (SPEC §5, §7).

A subject counts once, on the business date (`occurred_on`) of the first entry in which it
reaches its kind's concluding status:

    open licence            deal              → accepted   (the licence exists from the notice)
    licence/transfer/equity deal              → completed
    pledge loan             pledge_review     → disbursed  (amount = yuan disbursed)
    insurance               insurance_policy  → issued     (patent_ids = the insured patents)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, or_

from ..deals.models import DEAL_MACHINES, Deal
from ..extensions import db
from ..finance.machines import INSURANCE_MACHINE, PLEDGE_MACHINE
from ..finance.models import PledgeReview
from ..finance.policies import InsurancePolicy
from ..ledger.models import LedgerEntry
from .periods import Period

# The entry that concludes each kind: its subject and the machine's conclusion state.
CONCLUSIONS: dict[str, tuple[str, str]] = {
    **{kind.value: (Deal.ledger_subject_type, machine.conclusion) for kind, machine in DEAL_MACHINES.items()},
    "pledge": (PledgeReview.ledger_subject_type, PLEDGE_MACHINE.conclusion),
    "insurance": (InsurancePolicy.ledger_subject_type, INSURANCE_MACHINE.conclusion),
}
DEAL_KINDS = ("open_licence", "licence", "transfer", "equity")
SERVED_KINDS = (*DEAL_KINDS, "pledge")  # beneficiaries of these are the enterprises served
SMALL_LOAN_LIMIT = Decimal("10000000")  # ¥10 million: the plan's small-loan line


class LedgerFacts:
    """The concluding entries, read once and shared by every ledger indicator of a request."""

    def __init__(self) -> None:
        self._conclusions: list[LedgerEntry] | None = None

    def conclusions(self) -> list[LedgerEntry]:
        if self._conclusions is None:
            wanted = or_(*(and_(LedgerEntry.deal_kind == kind, LedgerEntry.subject_type == subject,
                                LedgerEntry.to_status == status)
                           for kind, (subject, status) in CONCLUSIONS.items()))
            rows = db.session.scalars(db.select(LedgerEntry).where(wanted).order_by(LedgerEntry.seq)).all()
            seen: set[tuple[str, int]] = set()
            first: list[LedgerEntry] = []
            for entry in rows:
                subject = (entry.subject_type, entry.subject_id)
                if subject not in seen:
                    seen.add(subject)
                    first.append(entry)
            self._conclusions = first
        return self._conclusions

    def concluded(self, kinds: tuple[str, ...], period: Period) -> list[LedgerEntry]:
        return [e for e in self.conclusions() if e.deal_kind in kinds and period.contains(e.occurred_on)]

    def years(self) -> list[int]:
        return sorted({e.occurred_on.year for e in self.conclusions()})


def amount_of(entry: LedgerEntry) -> Decimal:
    return entry.amount if entry.amount is not None else Decimal("0.00")


def total_amount(entries: list[LedgerEntry]) -> Decimal:
    return sum((amount_of(e) for e in entries), Decimal("0.00"))


def distinct_patents(entries: list[LedgerEntry]) -> list[int]:
    return sorted({int(p) for e in entries for p in (e.patent_ids or [])})


def distinct_beneficiaries(entries: list[LedgerEntry], sme_only: bool = False) -> list[int]:
    return sorted({e.beneficiary_org_id for e in entries
                   if e.beneficiary_org_id is not None and (e.beneficiary_is_sme or not sme_only)})


def small_loan_share(entries: list[LedgerEntry]) -> Decimal | None:
    """Per cent of disbursed loans (by count) under ¥10 million; None without any loan."""
    if not entries:
        return None
    small = sum(1 for e in entries if amount_of(e) < SMALL_LOAN_LIMIT)
    return (Decimal(100) * small / len(entries)).quantize(Decimal("0.01"))


@dataclass
class Drilldown:
    """The entries behind one ledger figure, and how the figure is made from them."""

    entries: list[LedgerEntry]
    measure: str  # sum | count | distinct_patents | distinct_beneficiaries | share
    figure: object
    amount_total: Decimal = Decimal("0.00")
    items: list[int] = field(default_factory=list)  # the distinct patents or organisations counted
    marked: set[int] = field(default_factory=set)  # entry ids counted in a share's numerator
