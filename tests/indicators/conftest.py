"""Fixtures for the indicator tests: ledger entries as the deal and finance features write them."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from marketplace import dates
from marketplace.indicators.ledger_figures import CONCLUSIONS
from marketplace.ledger.operations import append

_subjects = itertools.count(10_000)

HAPPY_PATHS = {
    "open_licence": ["accepted", "paid", "recorded"],
    "licence": ["proposed", "negotiating", "agreed", "completed"],
    "transfer": ["proposed", "agreed", "completed"],
    "equity": ["proposed", "negotiating", "agreed", "completed"],
    "pledge": ["submitted", "under_review", "approved", "registered", "disbursed", "repaid"],
    "insurance": ["quoted", "issued"],
}


def conclude(kind: str, on: date, amount=None, *, holder=None, counterparty=None, beneficiary=None,
             patents=(), subject_id: int | None = None, to_status: str | None = None, details=None):
    """One entry in which a subject of `kind` reaches its concluding status (or `to_status`)."""
    subject_type, status = CONCLUSIONS[kind]
    return append(event="transition", subject_type=subject_type, subject_id=subject_id or next(_subjects),
                  deal_kind=kind, to_status=to_status or status,
                  amount=Decimal(str(amount)) if amount is not None else None, holder_org=holder,
                  counterparty_org=counterparty, beneficiary_org=beneficiary, patent_ids=patents,
                  details=details or {}, occurred_on=on)


@pytest.fixture
def today(monkeypatch):
    """Freeze the business date: `today(date(2025, 7, 1))`."""
    def freeze(day: date):
        monkeypatch.setattr(dates, "business_now", lambda: datetime.combine(day, time(12), dates.SHANGHAI))
        return day

    freeze(date(2025, 7, 1))
    return freeze
