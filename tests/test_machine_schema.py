"""The database's CHECK constraints on status columns allow what the machines allow.

The schema is built by the migrations (conftest); each constraint is read back from the
database (SQLite or PostgreSQL, whichever the suite runs on) and evaluated there for every
status the enum knows and one it does not, so a machine that gains or loses a state without
its migration fails here."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from marketplace.deals.models import DEAL_MACHINES, DealKind, DealStatus
from marketplace.extensions import db
from marketplace.finance.machines import (
    APPROVED_STATES,
    DISBURSED_STATES,
    INSURANCE_MACHINE,
    PLEDGE_MACHINE,
    REGISTERED_STATES,
    PolicyStatus,
    ReviewStatus,
)
from marketplace.listings.models import LISTING_MACHINE, ListingStatus

UNKNOWN = "no_such_state"


def _check_text(connection, table: str, name: str) -> str:
    for constraint in inspect(connection).get_check_constraints(table):
        if constraint["name"] == name:
            return constraint["sqltext"]
    raise AssertionError(f"{table} has no CHECK constraint {name}")


def passing(table: str, name: str, statuses, **fixed) -> set[str]:
    """The statuses a row (every other column NULL, `fixed` columns set) may have under the
    constraint `name`, as the database evaluates it (NULL passes, as in a CHECK)."""
    connection = db.session.connection()
    expression = _check_text(connection, table, name)
    dialect = connection.dialect
    columns = []
    for column in inspect(connection).get_columns(table):
        kind = column["type"].compile(dialect=dialect)
        value = ":status" if column["name"] == "status" else (
            f":{column['name']}" if column["name"] in fixed else "NULL")
        columns.append(f"CAST({value} AS {kind}) AS {column['name']}")
    query = text(f"SELECT COUNT(*) FROM (SELECT {', '.join(columns)}) AS t WHERE NOT ({expression})")
    return {status for status in statuses
            if connection.execute(query, {"status": status, **fixed}).scalar() == 0}


def candidates(enum) -> list[str]:
    return [member.value for member in enum] + [UNKNOWN]


@pytest.mark.parametrize(("enum", "machines"), [
    (DealStatus, list(DEAL_MACHINES.values())),
    (ReviewStatus, [PLEDGE_MACHINE]),
    (PolicyStatus, [INSURANCE_MACHINE]),
    (ListingStatus, [LISTING_MACHINE]),
], ids=["deal", "pledge_review", "insurance_policy", "listing"])
def test_each_status_enum_is_exactly_the_states_of_its_machines(enum, machines):
    assert {member.value for member in enum} == {state for machine in machines for state in machine.states}


@pytest.mark.parametrize(("table", "name", "states"), [
    ("deal", "ck_deal_dealstatus", {s for m in DEAL_MACHINES.values() for s in m.states}),
    ("pledge_review", "ck_pledge_review_reviewstatus", set(PLEDGE_MACHINE.states)),
    ("insurance_policy", "ck_insurance_policy_policystatus", set(INSURANCE_MACHINE.states)),
    ("listing", "ck_listing_listingstatus", set(LISTING_MACHINE.states)),
])
def test_the_status_column_allows_exactly_the_machine_states(app, table, name, states):
    every = {s for m in DEAL_MACHINES.values() for s in m.states} | set(PLEDGE_MACHINE.states) \
        | set(INSURANCE_MACHINE.states) | set(LISTING_MACHINE.states) | {UNKNOWN}
    assert passing(table, name, every) == states


@pytest.mark.parametrize("kind", list(DealKind))
def test_a_deal_status_fits_its_kind_as_the_kind_machine_says(app, kind):
    allowed = passing("deal", "ck_deal_status_fits_kind", candidates(DealStatus), kind=kind.value)
    assert allowed == set(DEAL_MACHINES[kind].states)


@pytest.mark.parametrize(("table", "name", "needing"), [
    ("pledge_review", "ck_pledge_review_approval_terms", APPROVED_STATES),
    ("pledge_review", "ck_pledge_review_registration_recorded", REGISTERED_STATES),
    ("pledge_review", "ck_pledge_review_disbursement_recorded", DISBURSED_STATES),
    ("pledge_review", "ck_pledge_review_repayment_recorded", PLEDGE_MACHINE.reachable("repaid")),
    ("insurance_policy", "ck_insurance_policy_issued_has_number", ("issued",)),
])
def test_the_states_that_must_carry_their_data_are_the_machine_stages(app, table, name, needing):
    """With the stage's data missing (NULL), exactly the states from that stage on are refused."""
    enum = ReviewStatus if table == "pledge_review" else PolicyStatus
    states = [member.value for member in enum]
    assert set(states) - passing(table, name, states) == set(needing)


def test_a_changed_machine_would_be_caught(app):
    """The comparison can fail: the database refuses a state the machine does not have."""
    assert UNKNOWN not in passing("listing", "ck_listing_listingstatus", candidates(ListingStatus))
    assert passing("deal", "ck_deal_status_fits_kind", ["paid"], kind="transfer") == set()
