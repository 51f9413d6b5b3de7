"""Property: every ledger indicator equals a plain computation over the ledger rows.

Hypothesis generates deals, pledge loans and policies of every kind, walked part-way or all the
way along their state machines (with cancellations and rejections), with amounts and dates
across several years; the independent computation below reads the raw rows with SQL and
applies SPEC §7 with loops, sharing no code with the engine."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from marketplace.accounts.models import OrgKind
from marketplace.extensions import db
from marketplace.indicators.definitions import LEDGER_KEYS, REGISTRY
from marketplace.indicators.engine import Context
from marketplace.indicators.periods import Period
from marketplace.ledger.operations import append

from .conftest import HAPPY_PATHS

KINDS = list(HAPPY_PATHS)
SUBJECT_TYPES = {"open_licence": "deal", "licence": "deal", "transfer": "deal", "equity": "deal",
                 "pledge": "pledge_review", "insurance": "insurance_policy"}
ENDINGS = {"open_licence": "cancelled", "licence": "rejected", "transfer": "cancelled", "equity": "rejected",
           "pledge": "withdrawn", "insurance": "lapsed"}
YEARS = (2023, 2024, 2025)

amounts = st.one_of(st.none(), st.decimals(min_value=0, max_value=50_000_000, places=2, allow_nan=False))
subjects = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "steps": st.integers(min_value=1, max_value=6),  # how far along the happy path
    "ends_badly": st.booleans(),
    "replayed": st.integers(min_value=0, max_value=9),  # 0: a concluding entry written twice
    "start": st.dates(min_value=date(YEARS[0], 1, 1), max_value=date(YEARS[-1], 12, 31)),
    "gaps": st.lists(st.integers(min_value=0, max_value=120), min_size=7, max_size=7),
    "amount": amounts,
    "beneficiary": st.integers(min_value=0, max_value=3),
    "holder": st.integers(min_value=0, max_value=3),
    "patents": st.lists(st.integers(min_value=0, max_value=5), max_size=3),
})


@pytest.fixture
def world(make):
    orgs = [make.org(OrgKind.enterprise, is_sme=i % 2 == 0) for i in range(4)]
    owner = make.org(OrgKind.university)
    patents = [make.patent(owner).id for _ in range(6)]
    return orgs, patents


def write(specs, orgs, patents) -> None:
    for n, spec in enumerate(specs, start=1):
        kind = spec["kind"]
        path = HAPPY_PATHS[kind][: spec["steps"]]
        if spec["ends_badly"] and len(path) < len(HAPPY_PATHS[kind]):
            path = [*path, ENDINGS[kind]]
        day, previous = spec["start"], None
        for i, status in enumerate(path):
            day += timedelta(days=spec["gaps"][i])
            times = 2 if spec["replayed"] == 0 and i == len(path) - 1 else 1
            for _ in range(times):
                append(event="created" if previous is None else "transition", subject_type=SUBJECT_TYPES[kind],
                       subject_id=n, deal_kind=kind, from_status=previous, to_status=status, amount=spec["amount"],
                       holder_org=orgs[spec["holder"]], counterparty_org=orgs[(spec["holder"] + 1) % 4],
                       beneficiary_org=orgs[spec["beneficiary"]],
                       patent_ids=[patents[p] for p in spec["patents"]], occurred_on=day)
            previous = status


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
            import json

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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(subjects, max_size=25))
def test_ledger_indicators_equal_a_plain_computation_over_the_rows(app, world, specs):
    orgs, patents = world
    savepoint = db.session.begin_nested()
    try:
        write(specs, orgs, patents)
        ctx = Context(date(2026, 1, 1))
        for period in [Period(y) for y in YEARS] + [q for y in YEARS for q in Period(y).quarters()]:
            expected = independent(period)
            assert set(expected) == set(LEDGER_KEYS)
            for key in LEDGER_KEYS:
                got = REGISTRY[key].compute(period, ctx).value
                assert got == expected[key], (key, period, got, expected[key])
                detail = REGISTRY[key].drilldown(period, ctx)
                assert detail.figure == got, (key, period)
                if detail.measure == "sum":
                    assert sum((e.amount or Decimal(0) for e in detail.entries), Decimal(0)) == got
                elif detail.measure == "count":
                    assert len(detail.entries) == got
    finally:
        savepoint.rollback()
