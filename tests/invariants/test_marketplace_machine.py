"""The marketplace as a state machine (issue 10 item 7): random organisations of every kind act
through the web routes, and after every step the rules of SPEC §3–§5 hold on every surface.

Hypothesis drives registered patents, listings of every kind (published or left as drafts), search
(the page and /api/v1/search), inquiries, open licence acceptances, proposals from both sides,
counter-offers, agreement, completion, pledge requests to chosen banks and the banks' review steps,
insurance policies, their issue and lapse (by people, and by the scheduled job), and withdrawals.
Most actions are tried by the party they belong to and by anyone else, so refusals are exercised too.

Each example starts from the same cast (one signed-in client per organisation kind) in a savepoint
that is rolled back afterwards, with an empty search index of its own. Invariants (checks.py) read the
raw tables; each step also searches as one viewer, in turn, for the marker every title carries.

A failure prints the shrunk steps, e.g. ``state.new_listing(who='uni', kind='transfer', …)``: replay
them by hand on the demo to see the broken rule."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from marketplace.accounts.models import Organization
from marketplace.dates import business_today
from marketplace.extensions import db
from marketplace.finance.insurance import lapse_policies
from marketplace.search import index as search_index

from ..conftest import Factory
from . import checks
from .world import (
    ACTORS,
    HOLDERS,
    REVIEW_DATA,
    STEP_DATA,
    build_cast,
    created_id,
    listing_form,
    patent_form,
    policy_form,
)

# What a POST may answer (issue 10 item 4): success redirects (and anonymous visitors are sent to
# sign in); a bad request 400, no right 403, a stranger 404, a domain conflict 409, a refused form 422.
POST_ANSWERS = {302, 303, 400, 403, 404, 409, 422}
KINDS = ("open_licence", "licence", "transfer", "equity", "pledge")
FORWARD_REVIEW = {"submitted": "start", "under_review": "approve", "info_requested": "reject",
                  "approved": "register", "registered": "disburse", "disbursed": "repay"}

picks = st.integers(min_value=0, max_value=30)


class Marketplace(RuleBasedStateMachine):
    cast: dict = {}
    connection = None
    index_root = None
    examples = 0

    def __init__(self):
        super().__init__()
        Marketplace.examples += 1
        self.savepoint = self.connection.begin_nested()
        self.original_session = db.session
        db.session = scoped_session(sessionmaker(bind=self.connection, class_=Session,
                                                 join_transaction_mode="create_savepoint"))
        self.index_dir = self.index_root / f"example-{self.examples}"
        self.cast["uni"].client.application.config["SEARCH_INDEX_DIR"] = str(self.index_dir)
        self.turn = 0
        self.ledger_seen = -1
        self.today = business_today()
        self.factory = Factory()
        self.by_org = {actor.org_id: name for name, actor in self.cast.items() if actor.org_id is not None}

    def teardown(self):
        try:
            search_index.get_index(str(self.index_dir)).close()
            search_index._indexes.pop(str(self.index_dir.resolve()), None)
            shutil.rmtree(self.index_dir, ignore_errors=True)
        finally:
            db.session.remove()
            db.session = self.original_session
            self.savepoint.rollback()

    # --- driving the site -------------------------------------------------------------------

    def post(self, who: str, url: str, data: dict | None = None):
        response = self.cast[who].client.post(url, data=data or {})
        assert response.status_code < 500, f"POST {url} as {who} answered {response.status_code}"
        assert response.status_code in POST_ANSWERS or not checks.enabled("answers"), (
            f"POST {url} as {who} answered {response.status_code} (issue 10: success redirects; a refused form "
            f"is 422, a conflict 409, a stranger 404, no right 403)")
        return response

    def ids(self, sql: str, **params) -> list[int]:
        return [r["id"] for r in checks.rows(sql, **params)]

    def one(self, sql: str, pick: int, **params):
        found = checks.rows(sql, **params)
        return found[pick % len(found)] if found else None

    def party(self, who: str, roles: dict) -> str:
        """A role of the subject (holder, bank…) names the organisation playing it; others are themselves."""
        if who in roles:
            return self.by_org.get(roles[who], "anonymous")
        return who

    def search_as(self, who: str, surface: str) -> None:
        if not checks.enabled("search"):
            return
        actor = self.cast[who]
        if surface == "api":
            response = actor.client.get(f"/api/v1/search?q={checks.MARKER}&per_page=50")
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            checks.check_search_api(actor.viewer, response.get_json())
        else:
            response = actor.client.get(f"/search?q={checks.MARKER}&per_page=50")
            assert response.status_code == 200
            checks.check_search_page(actor.viewer, response.get_data(as_text=True))

    # --- patents and listings -----------------------------------------------------------------

    @initialize()
    def a_patent_for_every_holder(self):
        """Registered directly (the form is a rule of its own): every example starts with something to offer."""
        for who in HOLDERS:
            actor = self.cast[who]
            form = patent_form(actor)
            self.factory.patent(db.session.get(Organization, actor.org_id), app_no=form["app_no"],
                                title=form["title"], applicants=actor.org_name)

    @rule(who=st.sampled_from(ACTORS))
    def register_patent(self, who):
        actor = self.cast[who]
        self.post(who, "/patents/new", patent_form(actor))

    @rule(who=st.sampled_from(ACTORS), kind=st.sampled_from(KINDS), pick=picks, publish=st.booleans(),
          licence_type=st.sampled_from(["ordinary", "sole", "exclusive"]))
    def new_listing(self, who, kind, pick, publish, licence_type):
        owner = self.cast[who].org_id or 0
        patent = (self.one("SELECT id FROM patent WHERE owner_id = :o ORDER BY id", pick, o=owner)
                  or self.one("SELECT id FROM patent ORDER BY id", pick))
        response = self.post(who, f"/listings/new?kind={kind}", listing_form(kind, patent["id"], licence_type))
        listing_id = created_id(response, r"/listings/(\d+)$")
        if listing_id is not None and publish:
            self.post(who, f"/listings/{listing_id}/publish")

    @precondition(lambda self: self.ids("SELECT id FROM listing"))
    @rule(who=st.sampled_from(["owner", *ACTORS]), pick=picks, action=st.sampled_from(["publish", "withdraw"]))
    def publish_or_withdraw(self, who, pick, action):
        listing = self.one("SELECT id, owner_id FROM listing ORDER BY id", pick)
        self.post(self.party(who, {"owner": listing["owner_id"]}), f"/listings/{listing['id']}/{action}")

    @rule(who=st.sampled_from(ACTORS), surface=st.sampled_from(["api", "page"]))
    def search(self, who, surface):
        self.search_as(who, surface)

    # --- deals ------------------------------------------------------------------------------

    @precondition(lambda self: self.ids("SELECT id FROM listing"))
    @rule(who=st.sampled_from(ACTORS), pick=picks)
    def inquire(self, who, pick):
        listing = self.one("SELECT id FROM listing ORDER BY id", pick)
        self.post(who, f"/listings/{listing['id']}/inquire", {"body": "请问许可条件？"})

    @precondition(lambda self: self.ids("SELECT id FROM listing WHERE kind = 'open_licence'"))
    @rule(who=st.sampled_from(ACTORS), pick=picks)
    def accept_open_licence(self, who, pick):
        listing = self.one("SELECT id FROM listing WHERE kind = 'open_licence' ORDER BY id", pick)
        self.post(who, f"/listings/{listing['id']}/accept", {"notice": "书面通知：接受开放许可。", "confirm": "y"})

    @precondition(lambda self: self.ids("SELECT id FROM listing WHERE kind IN ('licence', 'transfer', 'equity')"))
    @rule(who=st.sampled_from(ACTORS), pick=picks)
    def propose(self, who, pick):
        listing = self.one("SELECT id FROM listing WHERE kind IN ('licence', 'transfer', 'equity') ORDER BY id", pick)
        self.post(who, f"/listings/{listing['id']}/propose", {"amount": "180000", "terms": "按挂牌条件"})

    @precondition(lambda self: self.ids("SELECT id FROM listing WHERE kind IN ('licence', 'transfer', 'equity')"))
    @rule(asker=st.sampled_from(ACTORS[:-1]), pick=picks)
    def holder_proposes_after_inquiry(self, asker, pick):
        """The asker writes first; the holder then proposes to it from the inquiry thread."""
        listing = self.one("SELECT id, owner_id FROM listing WHERE kind IN ('licence', 'transfer', 'equity') "
                           "ORDER BY id", pick)
        self.post(asker, f"/listings/{listing['id']}/inquire", {"body": "我们有兴趣，请报价。"})
        thread = self.one("SELECT id FROM inquiry_thread WHERE listing_id = :l AND asker_org_id = :a", 0,
                          l=listing["id"], a=self.cast[asker].org_id)
        if thread is not None:
            holder = self.party("owner", {"owner": listing["owner_id"]})
            self.post(holder, f"/listings/{listing['id']}/propose?thread={thread['id']}",
                      {"thread_id": str(thread["id"]), "amount": "500000", "terms": "据咨询提议"})

    @precondition(lambda self: self.ids("SELECT id FROM deal"))
    @rule(who=st.sampled_from(["holder", "counterparty", *ACTORS]), pick=picks,
          step=st.sampled_from(list(STEP_DATA)))
    def deal_step(self, who, pick, step):
        deal = self.one("SELECT id, holder_org_id, counterparty_org_id FROM deal ORDER BY id", pick)
        actor = self.party(who, {"holder": deal["holder_org_id"], "counterparty": deal["counterparty_org_id"]})
        self.post(actor, f"/deals/{deal['id']}/steps/{step}", STEP_DATA[step]())

    @precondition(lambda self: self.ids("SELECT id FROM deal WHERE status IN ('proposed', 'negotiating', 'agreed', "
                                        "'accepted', 'paid')"))
    @rule(pick=picks)
    def advance_deal(self, pick):
        """The party the deal waits on takes its next forward step."""
        from marketplace.deals.models import Deal

        deal = db.session.get(Deal, self.one(
            "SELECT id FROM deal WHERE status IN ('proposed', 'negotiating', 'agreed', 'accepted', 'paid') ORDER BY id",
            pick)["id"])
        for _side, org_id in (("holder", deal.holder_org_id), ("counterparty", deal.counterparty_org_id)):
            roles = deal.roles_of_org(org_id)
            steps = [s for s in deal.machine.steps_from(deal.status_value)
                     if s.allows(roles) and s.target not in deal.machine.endings and s.target != "negotiating"]
            if steps:
                self.post(self.by_org[org_id], f"/deals/{deal.id}/steps/{steps[0].target}",
                          STEP_DATA[steps[0].target]())
                return

    # --- pledge loans -------------------------------------------------------------------------

    @rule(who=st.sampled_from(ACTORS), pick=picks,
          banks=st.sets(st.sampled_from(["bank_a", "bank_b"]), min_size=1))
    def pledge_request(self, who, pick, banks):
        owner = self.cast[who].org_id or 0
        patent = (self.one("SELECT id FROM patent WHERE owner_id = :o ORDER BY id", pick, o=owner)
                  or self.one("SELECT id FROM patent ORDER BY id", pick))
        self.post(who, "/finance/requests/new", {
            "patent_ids": [str(patent["id"])], "amount": "3000000", "term_months": "12", "purpose": "流动资金",
            "industry": "ai", "bank_ids": [str(self.cast[b].org_id) for b in sorted(banks)]})

    @precondition(lambda self: self.ids("SELECT id FROM pledge_review"))
    @rule(who=st.sampled_from(["bank", "holder", *ACTORS]), pick=picks, action=st.sampled_from(list(REVIEW_DATA)))
    def review_step(self, who, pick, action):
        review = self.one("SELECT rv.id, rv.bank_org_id, pr.holder_org_id FROM pledge_review rv "
                          "JOIN pledge_request pr ON pr.id = rv.request_id ORDER BY rv.id", pick)
        actor = self.party(who, {"bank": review["bank_org_id"], "holder": review["holder_org_id"]})
        self.post(actor, f"/finance/reviews/{review['id']}/{action}", REVIEW_DATA[action]())

    @precondition(lambda self: self.ids("SELECT id FROM pledge_review WHERE status IN ('submitted', "
                                        "'under_review', 'info_requested', 'approved', 'registered', 'disbursed')"))
    @rule(pick=picks)
    def advance_review(self, pick):
        review = self.one("SELECT id, bank_org_id, status FROM pledge_review WHERE status IN ('submitted', "
                          "'under_review', 'info_requested', 'approved', 'registered', 'disbursed') ORDER BY id", pick)
        action = FORWARD_REVIEW[review["status"]]
        self.post(self.by_org[review["bank_org_id"]], f"/finance/reviews/{review['id']}/{action}",
                  REVIEW_DATA[action]())

    @precondition(lambda self: self.ids("SELECT id FROM pledge_review"))
    @rule(who=st.sampled_from(["holder", *ACTORS]), pick=picks)
    def withdraw_review(self, who, pick):
        review = self.one("SELECT rv.id, pr.holder_org_id FROM pledge_review rv "
                          "JOIN pledge_request pr ON pr.id = rv.request_id ORDER BY rv.id", pick)
        actor = self.party(who, {"holder": review["holder_org_id"]})
        self.post(actor, f"/finance/reviews/{review['id']}/withdraw", {"reason": "已获其他融资"})

    # --- insurance ----------------------------------------------------------------------------

    @rule(who=st.sampled_from(["insurer", *ACTORS]), insured=st.sampled_from(ACTORS[:-1]), pick=picks,
          issue_now=st.booleans())
    def record_policy(self, who, insured, pick, issue_now):
        patent = (self.one("SELECT app_no FROM patent WHERE owner_id = :o ORDER BY id", pick,
                           o=self.cast[insured].org_id)
                  or self.one("SELECT app_no FROM patent ORDER BY id", pick))
        self.post(who, "/finance/insurance/policies/new",
                  policy_form(self.cast[insured].org_id, patent["app_no"], issue_now))

    @precondition(lambda self: self.ids("SELECT id FROM insurance_policy"))
    @rule(who=st.sampled_from(["insurer", "insured", *ACTORS]), pick=picks,
          action=st.sampled_from(["issue", "withdraw"]))
    def policy_step(self, who, pick, action):
        policy = self.one("SELECT id, insurer_org_id, insured_org_id FROM insurance_policy ORDER BY id", pick)
        actor = self.party(who, {"insurer": policy["insurer_org_id"], "insured": policy["insured_org_id"]})
        data = {"policy_no": f"PX{policy['id']}"} if action == "issue" else {}
        self.post(actor, f"/finance/insurance/policies/{policy['id']}/{action}", data)

    @precondition(lambda self: self.ids("SELECT id FROM insurance_policy WHERE status != 'lapsed'"))
    @rule(days=st.sampled_from([1, 400]))
    def scheduled_lapse(self, days):
        """`flask finance lapse-policies` on a later day: policies past their end lapse."""
        from datetime import timedelta

        lapse_policies(self.today + timedelta(days=days))
        db.session.commit()

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def search_shows_each_viewer_only_what_it_may_see(self):
        self.turn += 1
        self.search_as(ACTORS[self.turn % len(ACTORS)], "api")

    @invariant()
    def only_holders_hold_patents(self):
        if checks.enabled("owners"):
            checks.check_owners()

    @invariant()
    def only_holders_are_deal_parties(self):
        if checks.enabled("parties"):
            checks.check_parties()

    @invariant()
    def a_transfer_concludes_once(self):
        if checks.enabled("conclusions"):
            checks.check_conclusions()

    @invariant()
    def no_exclusive_licence_beside_an_open_licence(self):
        if checks.enabled("open-licence"):
            checks.check_open_licence_exclusivity(self.today)

    @invariant()
    def ledger_verifies_and_indicators_add_up(self):
        seq = checks.rows("SELECT COALESCE(MAX(seq), 0) AS seq FROM ledger_entry")[0]["seq"]
        if seq != self.ledger_seen:
            self.ledger_seen = seq
            if checks.enabled("ledger"):
                checks.check_ledger()
            if checks.enabled("indicators"):
                checks.check_indicators(self.today)


SETTINGS = settings(max_examples=200, stateful_step_count=10, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def cast(app, make):
    with app.test_request_context():
        return build_cast(app, make)


def test_marketplace_invariants(app, cast, tmp_path):
    Marketplace.cast = cast
    Marketplace.connection = db.session.get_bind()
    Marketplace.index_root = tmp_path
    previous = app.config["SEARCH_INDEX_DIR"]
    try:
        run_state_machine_as_test(Marketplace, settings=SETTINGS)
    finally:
        app.config["SEARCH_INDEX_DIR"] = previous
