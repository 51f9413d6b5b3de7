"""The indicators' oracle: SPEC §7 applied with loops to the raw ledger rows, sharing no code with
the engine. Used by the indicator property test and the stateful invariant test."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.indicators.periods import Period


def independent(period: Period) -> dict:
    """SPEC §7 over the raw rows: the first concluding row of each subject, on its date."""
    rows = db.session.execute(text(
        "SELECT seq, occurred_on, subject_type, subject_id, deal_kind, to_status, amount, beneficiary_org_id, "
        "beneficiary_is_sme, patent_ids FROM ledger_entry ORDER BY seq")).mappings().all()
    concluding = {"open_licence": ("deal", "accepted"), "licence": ("deal", "completed"),
                  "transfer": ("deal", "completed"), "equity": ("deal", "completed"),
                  "pledge": ("pledge_review", "disbursed"), "insurance": ("insurance_policy", "issued")}
    seen, firsts = set(), []
    for row in rows:
        subject = (row["subject_type"], row["subject_id"])
        if concluding.get(row["deal_kind"]) == (row["subject_type"], row["to_status"]) and subject not in seen:
            seen.add(subject)
            firsts.append(row)

    def day(row):
        value = row["occurred_on"]
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def money(row):
        return Decimal(str(row["amount"])) if row["amount"] is not None else Decimal("0")

    def patents_of(row):
        value = row["patent_ids"]
        if isinstance(value, str):
            value = json.loads(value)
        return value or []

    inside = [r for r in firsts if period.start <= day(r) <= period.end]
    expected = {}
    for kind in ("open_licence", "licence", "transfer", "equity"):
        of_kind = [r for r in inside if r["deal_kind"] == kind]
        expected[f"deals_{kind}_count"] = len(of_kind)
        expected[f"deals_{kind}_amount"] = sum((money(r) for r in of_kind), Decimal("0"))
    loans = [r for r in inside if r["deal_kind"] == "pledge"]
    expected["pledge_loan_count"] = len(loans)
    expected["pledge_loan_amount"] = sum((money(r) for r in loans), Decimal("0"))
    small = len([r for r in loans if money(r) < Decimal("10000000")])
    expected["small_pledge_loan_share"] = (
        round(Decimal(100) * small / len(loans), 2) if loans else None)
    insured = set()
    for r in inside:
        if r["deal_kind"] == "insurance":
            insured.update(patents_of(r))
    expected["insured_patents"] = len(insured)
    served = [r for r in inside if r["deal_kind"] != "insurance" and r["beneficiary_org_id"] is not None]
    expected["enterprises_served"] = len({r["beneficiary_org_id"] for r in served})
    expected["smes_served"] = len({r["beneficiary_org_id"] for r in served if r["beneficiary_is_sme"]})
    return expected
