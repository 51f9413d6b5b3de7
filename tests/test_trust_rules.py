"""Issue 10 "trust at the seams": each rule is written once and holds on every path.

- Who holds patents (OrgKind.holds_patents): only universities, institutes and enterprises own
  patents and become licensees, assignees, equity partners, insured holders or pledgors — on
  every deal path, including a holder proposing from an inquiry thread.
- A step marked `system` is the platform's alone: no signed-in user takes it through a route.
- Who sees a listing (listings/visibility.py): the page, the market list, search, the API,
  digests and statistics give one answer.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.accounts.models import PATENT_HOLDER_KINDS, OrgKind, OrgRole
from marketplace.deals import operations as deal_ops
from marketplace.deals.inquiries import operations as inquiry_ops
from marketplace.deals.models import Deal, DealKind, DealOffer, DealPatent, DealStatus
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.finance import insurance as insurance_ops
from marketplace.finance.machines import PolicyStatus, PolicyType
from marketplace.finance.operations import business_today as today
from marketplace.finance.policies import InsurancePolicy
from marketplace.ledger.models import LedgerEntry
from marketplace.listings import visibility
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from marketplace.listings.operations import ListingInput, create_listing, withdraw_listing
from marketplace.patents.models import Patent
from marketplace.patents.operations import PatentInput, save_patent
from marketplace.workflow import Machine, Step, Workflowed, check_transition

from .conftest import login
from .finance_helpers import ledger_count, submit

NON_HOLDERS = ("bank", "insurer", "agency", "regulator")

pytestmark = pytest.mark.usefixtures("fresh_index")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def uni(make, ctx):
    return make.user(make.org(OrgKind.university), role=OrgRole.admin)


def _non_holder(make, kind: str):
    return make.user(operator=True) if kind == "regulator" else make.user(kind=kind)


# --- who holds patents ----------------------------------------------------------------------

def test_only_universities_institutes_and_enterprises_hold_patents():
    assert {k for k in OrgKind if k.holds_patents} == set(PATENT_HOLDER_KINDS) == {
        OrgKind.university, OrgKind.institute, OrgKind.enterprise}


@pytest.mark.parametrize("kind", NON_HOLDERS)
@pytest.mark.parametrize("listing_kind", [ListingKind.licence, ListingKind.transfer, ListingKind.equity])
def test_a_holder_cannot_propose_from_an_inquiry_to_a_non_holder(client, make, uni, kind, listing_kind):
    """The reported hole: a bank asked, the university proposed a transfer, the bank became owner."""
    listing = make.listing(uni, kind=listing_kind)
    asker = _non_holder(make, kind)
    thread = inquiry_ops.open_thread(listing, asker, "请问转让条件？")
    db.session.commit()
    with pytest.raises(DomainError, match="不持有专利"):
        deal_ops.propose_deal(listing, uni, amount="100000", counterparty_org=asker.organization, thread=thread)
    db.session.rollback()

    before = ledger_count()
    login(client, uni)
    page = client.get(f"/inquiries/{thread.id}").get_data(as_text=True)
    assert 'data-testid="thread-propose"' not in page and "不持有专利" in page
    form = client.get(f"/listings/{listing.id}/propose?thread={thread.id}").get_data(as_text=True)
    assert 'data-testid="propose-refusal"' in form
    response = client.post(f"/listings/{listing.id}/propose",
                           data={"thread_id": str(thread.id), "amount": "100000", "terms": "x"})
    assert response.status_code == 409
    assert "不持有专利" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0
    assert ledger_count() == before
    assert all(p.owner_id == uni.organization_id for p in listing.patents)


@pytest.mark.parametrize("kind", NON_HOLDERS)
def test_a_non_holder_cannot_propose_or_accept_from_a_listing(client, make, uni, kind):
    user = _non_holder(make, kind)
    transfer = make.listing(uni, kind=ListingKind.transfer)
    open_licence = make.listing(uni, kind=ListingKind.open_licence)
    login(client, user)
    response = client.post(f"/listings/{transfer.id}/propose", data={"amount": "100000", "terms": "x"})
    assert response.status_code == 409 and "不持有专利" in response.get_data(as_text=True)
    response = client.post(f"/listings/{open_licence.id}/accept", data={"notice": "接受", "confirm": "y"})
    assert response.status_code in (403, 409)
    assert db.session.scalar(db.select(db.func.count()).select_from(Deal)) == 0


def _legacy_deal(holder, counterparty_org, listing, status=DealStatus.proposed, by_org_id=None) -> Deal:
    """A deal between a holder and a non-holder as the first version let one be written."""
    deal = Deal(kind=DealKind.transfer, status=status, listing_id=listing.id, holder_org_id=holder.organization_id,
                counterparty_org_id=counterparty_org.id, amount=Decimal("100000"))
    deal.items = [DealPatent(patent_id=p.id) for p in listing.patents]
    deal.offers = [DealOffer(version=1, by_org_id=by_org_id or holder.organization_id, amount=Decimal("100000"))]
    db.session.add(deal)
    db.session.commit()
    return deal


@pytest.mark.parametrize("step", ["counter", "agree", "complete"])
def test_a_deal_with_a_non_holder_moves_no_further(make, uni, step):
    """Counter-offers, agreeing and completing ask the party rule again: no path makes a bank an owner."""
    bank = make.user(kind="bank")
    listing = make.listing(uni, kind=ListingKind.transfer)
    status = DealStatus.agreed if step == "complete" else DealStatus.proposed
    deal = _legacy_deal(uni, bank.organization, listing, status=status)
    before = ledger_count()
    with pytest.raises(DomainError, match="不持有专利"):
        if step == "counter":
            deal_ops.counter_offer(deal, bank, amount="90000")
        elif step == "agree":
            deal_ops.agree(deal, bank)
        else:
            deal_ops.complete(deal, uni)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).status == status
    assert ledger_count() == before
    assert all(db.session.get(Patent, p.id).owner_id == uni.organization_id for p in listing.patents)


@pytest.mark.parametrize("kind", NON_HOLDERS)
def test_non_holders_are_neither_insured_nor_pledgors_nor_patent_owners(make, uni, kind):
    user = _non_holder(make, kind)
    insurer = make.user(kind="insurer")
    bank = make.user(kind="bank")
    patent = make.patent(uni.organization)
    if kind != "insurer":  # an insurer does not insure itself (refused on its own ground)
        with pytest.raises(DomainError, match="不持有专利"):
            insurance_ops.record_policy(insurer, insurance_ops.PolicyInput(
                insured_org_id=user.organization_id, patent_ids=[patent.id], policy_type=PolicyType.enforcement,
                premium="1000", coverage="100000", starts_on=today(), ends_on=today() + timedelta(days=365)))
    with pytest.raises(PermissionDenied):
        insurance_ops.request_quote(user, insurer_id=insurer.organization_id, patent_ids=[patent.id],
                                    policy_type=PolicyType.enforcement)
    with pytest.raises(DomainError, match="不持有专利"):
        submit(user, [bank], [patent])
    with pytest.raises(DomainError, match="不持有专利"):
        save_patent(user.organization, PatentInput(app_no="201710601862.3", title="一种方法"))
    with pytest.raises(DomainError, match="不持有专利"):
        create_listing(user, ListingInput(kind=ListingKind.transfer, title="x", patent_ids=[]))


@pytest.mark.parametrize("kind", ["bank", "insurer", "agency"])
def test_non_holders_get_no_patent_or_listing_pages(client, make, kind):
    login(client, make.user(kind=kind))
    for url in ("/patents/mine", "/patents/new", "/listings/mine", "/listings/new", "/patents/import",
                "/finance/", "/finance/requests/new", "/finance/insurance/quotes/new"):
        assert client.get(url).status_code == 403, url


# --- system steps ---------------------------------------------------------------------------

@pytest.fixture
def issued_policy(make, ctx):
    insurer = make.user(kind="insurer")
    insured = make.user(kind="enterprise", role=OrgRole.admin)
    patent = make.patent(insured.organization)
    policy = insurance_ops.record_policy(insurer, insurance_ops.PolicyInput(
        insured_org_id=insured.organization_id, patent_ids=[patent.id], policy_type=PolicyType.enforcement,
        premium="12000", coverage="1000000", starts_on=today(), ends_on=today() + timedelta(days=365),
        issue_now=True, policy_no="PA-TRUST-1"))
    db.session.commit()
    return policy, insurer, insured


def _policy_entries(policy) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.subject_type == "insurance_policy", LedgerEntry.subject_id == policy.id))


@pytest.mark.parametrize("who", ["insured", "operator", "other insurer"])
def test_the_insured_and_the_operator_cannot_end_a_policy(client, make, issued_policy, who):
    policy, _insurer, insured = issued_policy
    user = {"insured": lambda: insured, "operator": lambda: make.user(operator=True),
            "other insurer": lambda: make.user(kind="insurer")}[who]()
    before = _policy_entries(policy)
    login(client, user)
    page = client.get(f"/finance/insurance/policies/{policy.id}")
    assert "终止保单" not in page.get_data(as_text=True)
    response = client.post(f"/finance/insurance/policies/{policy.id}/withdraw")
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(InsurancePolicy, policy.id).status == PolicyStatus.issued
    assert _policy_entries(policy) == before
    with pytest.raises(PermissionDenied):
        insurance_ops.withdraw_quote(db.session.get(InsurancePolicy, policy.id), user)


def test_the_insurer_ends_a_policy_with_one_ledger_entry(client, issued_policy):
    policy, insurer, _insured = issued_policy
    before = _policy_entries(policy)
    login(client, insurer)
    assert "终止保单" in client.get(f"/finance/insurance/policies/{policy.id}").get_data(as_text=True)
    response = client.post(f"/finance/insurance/policies/{policy.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(InsurancePolicy, policy.id).status == PolicyStatus.lapsed
    assert _policy_entries(policy) == before + 1
    entry = db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.subject_type == "insurance_policy",
                                                            LedgerEntry.subject_id == policy.id)
                               .order_by(LedgerEntry.seq.desc())).first()
    assert entry.to_status == "lapsed" and entry.details["reason"] == "ended_by_insurer"


def test_the_scheduled_job_lapses_a_policy_past_its_end(runner, issued_policy):
    policy, _insurer, _insured = issued_policy
    policy.starts_on, policy.ends_on = today() - timedelta(days=400), today() - timedelta(days=2)
    db.session.commit()
    before = _policy_entries(policy)
    result = runner.invoke(args=["finance", "lapse-policies"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(InsurancePolicy, policy.id).status == PolicyStatus.lapsed
    assert _policy_entries(policy) == before + 1


class _Subject(Workflowed):
    """A bare subject: the user holds `roles`, the machine has a system-only and a shared step."""

    machine = Machine("probe", [Step("a", "b", "system", "x"), Step("a", "c", "holder|system", "y"),
                                Step("a", "d", "holder", "z")], initial="a")

    def __init__(self, roles):
        self.status, self._roles = "a", roles

    def roles_of(self, user):
        return set(self._roles)


@pytest.mark.parametrize("roles", [set(), {"holder"}, {"system"}, {"holder", "counterparty"}])
def test_a_system_step_is_never_a_signed_in_users(make, ctx, roles):
    user = make.user()
    with pytest.raises(PermissionDenied):
        check_transition(_Subject(roles), "b", user)
    assert check_transition(_Subject(roles), "b", None).target == "b"  # the platform takes it


def test_a_shared_step_needs_the_users_role_and_the_platform_only_takes_system_steps(make, ctx):
    user = make.user()
    assert check_transition(_Subject({"holder"}), "c", user).target == "c"
    with pytest.raises(PermissionDenied):
        check_transition(_Subject(set()), "c", user)
    assert check_transition(_Subject(set()), "c", None).target == "c"
    with pytest.raises(PermissionDenied):
        check_transition(_Subject(set()), "d", None)  # not the platform's step


def test_no_machine_leaves_a_step_to_the_system_alone_that_a_route_offers():
    """Every step a page offers (available_steps) names a role a user can hold."""
    from marketplace.deals.models import NEGOTIATED_MACHINE, OPEN_LICENCE_MACHINE
    from marketplace.finance.machines import INSURANCE_MACHINE, PLEDGE_MACHINE

    user_roles = {"holder", "counterparty", "offeree", "either", "bank", "insurer", "insured"}
    for machine in (NEGOTIATED_MACHINE, OPEN_LICENCE_MACHINE, PLEDGE_MACHINE, INSURANCE_MACHINE):
        for step in machine.steps:
            assert set(step.by.split("|")) <= user_roles | {"system"}, (machine.name, step)
    # Ending an issued policy: the insurer or the end-date job, never the insured.
    step = INSURANCE_MACHINE.step("issued", "lapsed")
    assert set(step.by.split("|")) == {"insurer", "system"}


# --- who sees a listing ---------------------------------------------------------------------

@pytest.fixture
def pledge_world(make, ctx):
    w = {"uni": make.user(make.org(OrgKind.university), role=OrgRole.admin),
         "sme": make.user(make.org(OrgKind.enterprise, is_sme=True), role=OrgRole.admin),
         "bank_a": make.user(kind="bank"), "bank_b": make.user(kind="bank"),
         "insurer": make.user(kind="insurer"), "other": make.user(kind="enterprise"),
         "operator": make.user(operator=True)}
    request = submit(w["sme"], [w["bank_a"]], [make.patent(w["sme"].organization)])
    w["sent_to_a"] = db.session.get(Listing, request.listing_id)
    w["general_need"] = make.listing(w["uni"], kind=ListingKind.pledge)
    w["transfer"] = make.listing(w["uni"], kind=ListingKind.transfer)
    w["draft"] = make.listing(w["uni"], kind=ListingKind.transfer, publish=False)
    w["withdrawn"] = make.listing(w["uni"], kind=ListingKind.licence)
    withdraw_listing(w["withdrawn"], w["uni"])
    db.session.commit()
    return w


SEES = {  # viewer → listings it sees
    None: {"transfer"},
    "uni": {"transfer", "general_need", "draft", "withdrawn"},
    "sme": {"transfer", "sent_to_a"},
    "bank_a": {"transfer", "sent_to_a", "general_need"},
    "bank_b": {"transfer", "general_need"},
    "insurer": {"transfer"},
    "other": {"transfer"},
    "operator": {"transfer", "sent_to_a", "general_need", "draft", "withdrawn"},
}
LISTINGS = ("sent_to_a", "general_need", "transfer", "draft", "withdrawn")


@pytest.mark.parametrize("viewer", list(SEES))
def test_one_visibility_rule_for_the_page_the_sql_and_search(client, pledge_world, viewer):
    w = pledge_world
    user = w[viewer] if viewer else None
    from flask_login import AnonymousUserMixin

    as_seen = user or AnonymousUserMixin()
    ids = {name: w[name].id for name in LISTINGS}
    expected = {ids[name] for name in SEES[viewer]}
    assert {i for name, i in ids.items() if w[name].can_view(as_seen)} == expected
    assert visibility.visible_ids(as_seen, ids.values()) == expected
    assert visibility.visible_ids(None, ids.values()) == {ids["transfer"]}
    with client.session_transaction() as session:
        session.clear()
    if user:
        login(client, user)
    for name, listing_id in ids.items():
        got = client.get(f"/listings/{listing_id}").status_code
        assert (got == 200) is (listing_id in expected), (name, got)
    live = {ids[n] for n in ("sent_to_a", "general_need", "transfer")}
    found = {r["id"] for r in client.get("/api/v1/search?per_page=50").get_json()["results"]}
    assert found == expected & live
    market = client.get("/listings?kind=pledge").get_data(as_text=True)
    for name in ("sent_to_a", "general_need"):
        assert (f'/listings/{ids[name]}"' in market) is (ids[name] in expected), name


def test_search_shows_public_kinds_of_indexed_listings_because_every_indexed_listing_is_shown():
    from marketplace.listings.models import LIVE_STATUSES

    assert set(LIVE_STATUSES) <= set(visibility.SHOWN_STATUSES)


def test_a_search_document_the_database_does_not_confirm_stays_hidden(client, make, pledge_world, app):
    """Fail closed: a pledge document whose listing is gone (or never committed) is shown to nobody."""
    from marketplace.search.index import get_index
    from marketplace.search.schema import document

    listing = pledge_world["general_need"]
    ghost = document(listing) | {"id": "987654321", "name": "幽灵融资需求"}
    get_index(app.config["SEARCH_INDEX_DIR"]).apply([ghost], [])
    for viewer in ("bank_a", "operator", "uni"):
        login(client, pledge_world[viewer])
        ids = {r["id"] for r in client.get("/api/v1/search?kind=pledge&per_page=50").get_json()["results"]}
        assert 987654321 not in ids and listing.id in ids, viewer


def test_public_statistics_count_only_what_the_public_sees(client, pledge_world):
    from marketplace.indicators.public import listing_counts

    html = client.get("/statistics").get_data(as_text=True)
    assert 'data-testid="stat-listings">1<' in html

    kinds, _industries = listing_counts()
    counted = {value: n for value, _label, n in kinds}
    assert "pledge" not in counted and counted["transfer"] == 1
    assert sum(counted.values()) == 1  # the transfer: drafts, withdrawn and pledge needs are not public


def test_saved_search_digests_follow_the_rule(make, pledge_world):
    from marketplace.search.alerts import _new_listings

    w = pledge_world
    epoch = w["transfer"].published_at - timedelta(days=1)
    assert w["sent_to_a"].id in _new_listings(epoch, w["bank_a"])
    assert w["sent_to_a"].id not in _new_listings(epoch, w["bank_b"])
    assert w["general_need"].id in _new_listings(epoch, w["bank_b"])
    assert not ({w["sent_to_a"].id, w["general_need"].id} & set(_new_listings(epoch, w["other"])))


def test_a_withdrawn_listing_is_no_longer_shown_to_others(pledge_world):
    assert pledge_world["withdrawn"].status == ListingStatus.withdrawn
    assert not pledge_world["withdrawn"].can_view(pledge_world["other"])


@pytest.mark.parametrize("kind, offered", [("enterprise", True), ("university", False), ("bank", False)])
def test_the_search_page_offers_a_demand_to_those_who_may_post_one(client, make, ctx, kind, offered):
    """Demand.can_create decides, not a kind retyped in the template."""
    login(client, make.user(kind=kind))
    html = client.get("/search", query_string={"q": "量子隧穿 茶叶"}).get_data(as_text=True)
    assert ('href="/demands/new"' in html) is offered
