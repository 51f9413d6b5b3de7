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

from marketplace.accounts.models import OrgKind
from marketplace.extensions import db
from marketplace.indicators.definitions import LEDGER_KEYS, REGISTRY
from marketplace.indicators.engine import Context
from marketplace.indicators.periods import Period
from marketplace.ledger.operations import append

from .conftest import HAPPY_PATHS
from .oracle import independent

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
