"""The machines are the one source of their states and steps: routes, forms, pages, counts and
the importer read them, and a machine that names an unknown state or step fails at once."""

from __future__ import annotations

import inspect
import re
from datetime import date

import pytest
from flask_babel import lazy_gettext as _l

from marketplace.deals import operations as deal_ops
from marketplace.deals.forms import STEP_FORMS as DEAL_STEP_FORMS
from marketplace.deals.models import DEAL_MACHINES
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.finance import insurance as insurance_ops
from marketplace.finance import operations as finance_ops
from marketplace.finance.forms import POLICY_STEP_FORMS, REVIEW_STEP_FORMS
from marketplace.finance.machines import INSURANCE_MACHINE, PLEDGE_MACHINE, ReviewStatus
from marketplace.forms import StepForms
from marketplace.listings import operations as listing_ops
from marketplace.listings.models import (
    LISTING_MACHINE,
    LIVE_STATUSES,
    ListingKind,
    ListingSlot,
    ListingStatus,
)
from marketplace.workflow import Machine, Step, apply_transition

from .finance_helpers import drive, submit
from .support import text

assert deal_ops and finance_ops and insurance_ops  # their operations register with the machines


# --- the machine itself ---------------------------------------------------------------------

def test_states_and_terminal_states_are_read_off_the_steps():
    machine = Machine("m", initial="a", endings={"c"},
                      steps=[Step("a", "b", "holder", _l("x")), Step("b", "c", "holder", _l("y")),
                             Step("b", "d", "holder", _l("z"))])
    assert machine.states == ("a", "b", "c", "d")
    assert machine.terminal == {"c", "d"}
    assert machine.reachable("b", avoiding={"c"}) == ("b", "d")
    assert machine.sources("c") == ("b",)


@pytest.mark.parametrize("bad", [
    {"groups": {"open": ("a", "nowhere")}},
    {"endings": {"nowhere"}},
    {"conclusion": "nowhere"},
])
def test_a_machine_naming_a_state_it_does_not_have_is_refused(bad):
    with pytest.raises(ValueError, match="unknown states"):
        Machine("m", initial="a", steps=[Step("a", "b", "holder", _l("x"))], **bad)


def test_two_steps_of_one_name_from_one_state_are_refused():
    with pytest.raises(ValueError, match="two steps named"):
        Machine("m", initial="a", steps=[Step("a", "b", "holder", _l("x"), name="go"),
                                         Step("a", "c", "holder", _l("y"), name="go")])


def test_forms_and_operations_must_name_real_steps():
    with pytest.raises(ValueError, match="no machine has"):
        StepForms([PLEDGE_MACHINE], {"aprove": object})
    with pytest.raises(ValueError, match="no step named"):
        PLEDGE_MACHINE.operation("aprove")


# --- every step a person takes has an operation, and its form fits the operation ------------

def _person_steps(machine: Machine, role: str) -> set[str]:
    return {s.name for s in machine.steps if role in s.roles}


@pytest.mark.parametrize(("machine", "roles", "forms"), [
    *[(m, ("holder", "counterparty", "offeree"), DEAL_STEP_FORMS) for m in set(DEAL_MACHINES.values())],
    (PLEDGE_MACHINE, ("bank", "holder"), REVIEW_STEP_FORMS),
    (INSURANCE_MACHINE, ("insurer",), POLICY_STEP_FORMS),
], ids=["deal", "deal", "pledge", "insurance"])
def test_each_step_a_party_takes_has_an_operation_taking_its_form(app, machine, roles, forms):
    # The holder answers an information request by writing in the thread (post_message).
    taken = set().union(*(_person_steps(machine, r) for r in roles)) - {"answer"}
    assert taken <= set(machine.operations), taken - set(machine.operations)
    with app.test_request_context():
        for name in taken:
            parameters = inspect.signature(machine.operations[name]).parameters
            for field in forms.form(name, formdata=None):
                if field.type != "CSRFTokenField":
                    assert field.short_name in parameters, (name, field.short_name)


# --- "open review": one definition, the dashboard count and the list it opens agree ------------

def _queue_rows(client, url: str) -> int:
    return text(client.get(url)).count('href="/finance/reviews/')


def _panel(client, title: str) -> tuple[int, str]:
    html = client.get("/dashboard").get_data(as_text=True)
    match = re.search(r'<a[^>]*href="([^"]+)"[^>]*>(?:(?!</a>).)*?' + re.escape(title)
                      + r'(?:(?!</a>).)*?<span class="display-6[^"]*">(\d+)</span>', html, re.S)
    assert match, title
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def test_each_bank_dashboard_count_equals_the_list_it_links_to(client, make, as_user):
    holder = make.user(kind="enterprise", is_sme=True)
    bank = make.user(kind="bank")
    for status in ReviewStatus:
        request = submit(holder, [bank], [make.patent(holder.organization)])
        drive(request.reviews[0], holder, bank, status.value)
    db.session.commit()
    client = as_user(bank)
    for group, title in (("open", "待审查的质押申请"), ("lending", "待登记 / 待放款")):
        count, url = _panel(client, title)
        assert count == len(PLEDGE_MACHINE.group(group)) == _queue_rows(client, url), group
        assert f"status={group}" in url


def test_the_bank_page_offers_exactly_the_banks_steps_from_here(client, make, as_user):
    holder = make.user(kind="enterprise", is_sme=True)
    bank = make.user(kind="bank")
    review = submit(holder, [bank], [make.patent(holder.organization)]).reviews[0]
    db.session.commit()
    page = text(as_user(bank).get(f"/finance/reviews/{review.id}"))
    offered = set(re.findall(r'data-testid="action-([\w-]+)"', page))
    assert offered == {s.name for s in review.available_steps(bank)} == {"start", "reject"}
    drive(review, holder, bank, "approved")
    db.session.commit()
    page = text(as_user(bank).get(f"/finance/reviews/{review.id}"))
    assert set(re.findall(r'data-testid="action-([\w-]+)"', page)) == {"register"}
    assert "其他银行对本申请的审批将自动关闭" in page  # the step's hint, from the machine


def test_a_step_name_the_machine_does_not_have_is_not_a_route(client, make, as_user):
    holder = make.user(kind="enterprise", is_sme=True)
    bank = make.user(kind="bank")
    review = submit(holder, [bank], [make.patent(holder.organization)]).reviews[0]
    db.session.commit()
    client = as_user(bank)
    assert client.post(f"/finance/reviews/{review.id}/approved").status_code == 404  # a state, not a step
    assert client.post(f"/finance/reviews/{review.id}/answer").status_code == 404  # the holder's step
    assert client.post(f"/finance/reviews/{review.id}/start").status_code == 302
    assert review.status == ReviewStatus.under_review


# --- listings run on the same engine ----------------------------------------------------------

def test_listing_steps_offered_to_owner_operator_and_others(make, operator):
    uni = make.user(kind="university")
    draft = make.listing(uni, publish=False)
    published = make.listing(uni)
    names = {s.name for s in draft.available_steps(uni)}
    assert names == {"publish", "withdraw"}
    assert {s.name for s in published.available_steps(uni)} == {"withdraw"}  # not close, expire…
    assert {s.name for s in published.available_steps(operator)} == {"withdraw"}
    assert published.available_steps(make.user(kind="enterprise")) == []


def test_listing_transitions_go_through_the_machine(make):
    uni = make.user(kind="university")
    listing = make.listing(uni, kind=ListingKind.transfer)
    assert listing.status == ListingStatus.published and listing.published_at is not None
    assert {item.slot for item in listing.items} == {ListingSlot.transfer}
    with pytest.raises(DomainError, match="当前状态下不能"):
        apply_transition(listing, ListingStatus.draft.value, uni)  # no step back to draft
    with pytest.raises(PermissionDenied):
        listing_ops.withdraw_listing(listing, make.user(kind="enterprise"))
    listing_ops.transition(listing, ListingStatus.in_negotiation)  # the platform, as a deal is agreed
    listing_ops.withdraw_listing(listing, uni)
    assert listing.status == ListingStatus.withdrawn and listing.ended_at is not None
    assert {item.slot for item in listing.items} == {None}  # the patents are free again
    assert tuple(ListingStatus(s) for s in LISTING_MACHINE.group("live")) == LIVE_STATUSES


def test_an_unverified_holder_may_withdraw_its_draft_but_not_publish_it(make):
    user = make.user(kind="university", status="pending")
    draft = make.listing(user, publish=False)
    with pytest.raises(PermissionDenied):
        listing_ops.publish_listing(draft, user)
    listing_ops.withdraw_listing(draft, user)
    assert draft.status == ListingStatus.withdrawn


def test_publishing_writes_no_ledger_entry(make):
    """Listings are offers, not deals: the ledger (and the indicators read from it) is unchanged."""
    from marketplace.ledger.models import LedgerEntry

    before = db.session.scalar(db.select(db.func.count(LedgerEntry.id)))
    uni = make.user(kind="university")
    listing_ops.withdraw_listing(make.listing(uni), uni)
    assert db.session.scalar(db.select(db.func.count(LedgerEntry.id))) == before


# --- one publication path ---------------------------------------------------------------------

def test_the_importer_publishes_through_the_forms_operation(make, monkeypatch):
    from marketplace.patents import importer
    from marketplace.patents.import_reader import SourceRow
    from marketplace.patents.operations import PatentInput

    calls = []
    real = importer.publish_listing

    def spy(listing, user, **kwargs):
        calls.append((listing, user))
        return real(listing, user, **kwargs)

    monkeypatch.setattr(importer, "publish_listing", spy)
    uni = make.user(kind="university")
    rows = [SourceRow(1, PatentInput(app_no="201710601862.3", title="一种锂电池正极材料", patent_type="invention",
                                     app_date=date(2017, 7, 20), grant_date=date(2019, 1, 1), legal_status="granted",
                                     ipc_codes="H01M4/36", applicants=uni.organization.name))]
    report = importer.import_patents(uni.organization, rows, publish_kind="transfer", user=uni)
    assert report.counts["published"] == 1 and len(calls) == 1 and calls[0][1] is uni
    listing = calls[0][0]
    assert listing.status == ListingStatus.published and listing.published_at is not None
    assert listing.created_by_id == uni.id and {i.slot for i in listing.items} == {ListingSlot.transfer}
