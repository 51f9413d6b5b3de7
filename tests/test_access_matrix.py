"""Access matrix: every GET route with an id (and the main list pages) × every kind of viewer,
and a stranger's POST to every state-changing route. One world, built by tests/access_world.py.

Outcomes: a status code, "login" (302 to the sign-in page) or "redirect" (302 elsewhere: a bank
sent from the request page to its own review, the holder from a review to its request).
Another organisation's private object is a 404; an operator-only page is a 403 for others."""

from __future__ import annotations

import io

import pytest

from marketplace.accounts.models import Invitation, Organization
from marketplace.deals.inquiries.models import Message, Thread
from marketplace.deals.models import Deal, DealDocument, DealOffer
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.files.models import StoredFile
from marketplace.finance.models import Appraisal, PledgeDocument, PledgeReview, ReviewMessage
from marketplace.finance.policies import InsurancePolicy, QuoteRequest
from marketplace.indicators.models import IndicatorValue
from marketplace.ledger.models import LedgerEntry
from marketplace.listings.models import Listing, ListingKind
from marketplace.patents.import_jobs import ImportJob
from marketplace.patents.models import Patent
from marketplace.search.models import SavedSearch

from .access_routes import GET_ROUTES
from .access_world import VIEWERS, build_world, sign_in_as
from .finance_helpers import PDF


def row(default, **overrides) -> dict:
    """The expected outcome per viewer: anonymous visitors default to the sign-in redirect
    unless the default is a public 200."""
    expected = {viewer: default for viewer in VIEWERS}
    if default != 200:
        expected["anonymous"] = "login"
    expected.update(overrides)
    return expected


EXPECTED = {
    "home": row(200),
    "statistics": row(200),
    "listings.browse": row(200),
    "listings.browse_pledge": row(200),
    "listings.detail[open_licence]": row(200),
    "listings.detail[licence]": row(200),
    "listings.detail[transfer]": row(200),
    "listings.detail[equity]": row(200),
    "listings.detail[pledge]": row(404, anonymous=404, uni=200, bank_a=200, bank_b=200, operator=200),
    "listings.detail[draft]": row(404, anonymous=404, uni=200, operator=200),
    "listings.edit[draft]": row(404, anonymous='login', uni=200, operator=403),
    "listings.edit[published]": row(403, anonymous='login', uni=200),
    "listings.publish[draft]": row(404, anonymous='login', uni=200, operator=403),
    "listings.withdraw[published]": row(403, anonymous='login', uni=200, operator=200),
    "listings.mine": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, operator=403),
    "listings.new": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, operator=403),
    "deals.accept": row(200, anonymous='login'),
    "deals.propose": row(200, anonymous='login', uni=404),
    "inquiries.ask": row(200, anonymous='login'),
    "search.page": row(200),
    "api.search_api": row(200),
    "search.saved_list": row(200, anonymous='login'),
    "demands.mine": row(200, anonymous='login'),
    "demands.new": row(403, anonymous='login', sme=200, other=200, unverified=200),
    # A published demand is meant to be read by holders; only its enterprise edits it.
    "demands.detail": row(200, anonymous='login'),
    "demands.edit": row(403, anonymous='login', sme=200),
    "demands.answers": row(200, anonymous='login'),
    "demands.for_listing": row(403, anonymous='login', uni=200),
    "patents.detail[listed]": row(200),
    "patents.detail[unlisted]": row(404, anonymous=404, uni=200, operator=200),
    "patents.detail[pledged]": row(404, anonymous=404, sme=200, bank_a=200, operator=200),
    "patents.edit": row(404, anonymous='login', uni=200, operator=403),
    "patents.mine": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, operator=403),
    "patents.new": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, operator=403),
    # An ownership claim: the claimant and the operator only.
    "patents.claim": row(404, anonymous='login', uni=200, operator=200),
    "patents.claim_evidence": row(404, anonymous='login', uni=200, operator=200),
    "patents.claims_queue": row(403, anonymous='login', operator=200),
    "finance.valuation[unlisted]": row(404, anonymous='login', uni=200, operator=200),
    "finance.valuation[pledged]": row(404, anonymous='login', sme=200, bank_a=200, agency=200, operator=200),
    "patent_import.start": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, operator=403),
    "patent_import.job": row(404, anonymous='login', uni=200),
    "patent_import.status": row(404, anonymous='login', uni=200),
    "patent_import.report_csv": row(404, anonymous='login', uni=200),
    "deals.my_deals": row(200, anonymous='login'),
    "deals.detail[open_licence]": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.detail[licence]": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.detail[transfer]": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.detail[equity]": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.record": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.document": row(404, anonymous='login', uni=200, sme=200, operator=200),
    "deals.document[other deal's]": row(404, anonymous='login'),
    "inquiries.inbox": row(200, anonymous='login'),
    "inquiries.thread": row(404, anonymous='login', uni=200, other=200),
    "finance.my_requests": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, agency=403, operator=403),
    "finance.new_request": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, agency=403, operator=403),
    "finance.request_detail[a]": row(404, anonymous='login', sme=200, bank_a='redirect', operator=200),
    "finance.request_detail[b]": row(404, anonymous='login', sme=200, bank_b='redirect', operator=200),
    "finance.document": row(404, anonymous='login', sme=200, bank_a=200),
    "finance.document[other request's]": row(404, anonymous='login'),
    "finance.review_queue": row(403, anonymous='login', bank_a=200, bank_b=200),
    "finance.review_detail[a]": row(404, anonymous='login', sme='redirect', bank_a=200, operator=200),
    "finance.review_detail[b]": row(404, anonymous='login', sme='redirect', bank_b=200, operator=200),
    "finance.appraisals": row(403, anonymous='login', agency=200),
    "finance.appraisal_report": row(404, anonymous='login', sme=200, bank_a=200, agency=200, operator=200),
    "finance.insurance_home": row(200, anonymous='login', bank_a=403, bank_b=403, agency=403, operator=403),
    "finance.new_quote": row(200, anonymous='login', bank_a=403, bank_b=403, insurer=403, agency=403, operator=403),
    "finance.new_policy": row(403, anonymous='login', insurer=200),
    "finance.new_policy[quote]": row(403, anonymous='login', insurer=200),
    "finance.policy_detail": row(404, anonymous='login', sme=200, insurer=200, operator=200),
    "main.dashboard": row(200, anonymous='login'),
    "notify.inbox": row(200, anonymous='login'),
    "accounts.my_org": row(200, anonymous='login'),
    "accounts.profile": row(200, anonymous='login'),
    "accounts.operator_orgs": row(403, anonymous='login', operator=200),
    "accounts.operator_org": row(403, anonymous='login', operator=200),
    "accounts.operator_users": row(403, anonymous='login', operator=200),
    "ledger.index": row(403, anonymous='login', operator=200),
    "ledger.export_csv": row(403, anonymous='login', operator=200),
    "indicators.dashboard": row(403, anonymous='login', operator=200),
    "indicators.drilldown": row(403, anonymous='login', operator=200),
    "indicators.trend_data": row(403, anonymous='login', operator=200),
    "indicators.values": row(403, anonymous='login', operator=200),
    "indicators.report_page": row(403, anonymous='login', operator=200),
    "indicators.report_csv": row(403, anonymous='login', operator=200),
    "indicators.report_xlsx": row(403, anonymous='login', operator=200),}

# GET endpoints left out of the matrix, and why.
NOT_IN_MATRIX = {
    "static": "files", "main.healthz": "public probe", "accounts.login": "public form",
    "accounts.register": "public form", "accounts.forgot_password": "public form",
    "accounts.reset_password": "token page (test_auth)", "accounts.join": "token page (test_invitations)",
    "accounts.change_password": "own account (test_auth)", "patent_import.template_csv": "static template",
    "patent_import.template_xlsx": "static template",
}


@pytest.fixture
def world(app, client, make):
    return build_world(app, client, make)


def outcome(response):
    if response.status_code == 302:
        return "login" if "/login" in response.headers["Location"] else "redirect"
    return response.status_code


def snapshot() -> list:
    """Everything a request could change: statuses and owners of the objects, counts of the rest.
    (Read receipts and notifications being marked read are not business changes.)"""
    db.session.expire_all()
    state: list = []
    for model, columns in ((Listing, ("status", "title", "owner_id")), (Deal, ("status", "amount", "terms")),
                           (PledgeReview, ("status", "approved_amount")), (InsurancePolicy, ("status", "policy_no")),
                           (QuoteRequest, ("status",)), (Organization, ("status", "name")),
                           (Patent, ("title", "owner_id", "legal_status")), (Demand, ("status", "title"))):
        objects = db.session.scalars(db.select(model).order_by(model.id)).all()
        state.append([(obj.id, *(str(getattr(obj, column)) for column in columns)) for obj in objects])
    for model in (LedgerEntry, Message, Thread, DealDocument, DealOffer, PledgeDocument, ReviewMessage, StoredFile,
                  Appraisal, ImportJob, Invitation, IndicatorValue, SavedSearch):
        state.append((model.__name__, db.session.scalar(db.select(db.func.count()).select_from(model))))
    return state


def test_the_matrix_covers_every_get_route(app):
    named = {name.split("[")[0] for name in GET_ROUTES} | {"main.home", "indicators.statistics"}
    assert set(EXPECTED) == set(GET_ROUTES)
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if "GET" in rule.methods and rule.endpoint not in named and rule.endpoint not in NOT_IN_MATRIX]
    assert missing == []


@pytest.mark.parametrize("route", list(GET_ROUTES))
def test_get_matrix(client, world, route):
    url = GET_ROUTES[route](world)
    before = snapshot()
    wrong = {}
    for viewer in VIEWERS:
        sign_in_as(client, world, viewer)
        got = outcome(client.get(url))
        if got != EXPECTED[route][viewer]:
            wrong[viewer] = f"got {got}, expected {EXPECTED[route][viewer]}"
    assert wrong == {}, url
    assert snapshot() == before, f"GET {url} changed the database"


def test_private_names_stay_off_pages_of_strangers(client, world):
    """A 200 is not enough: the lists a stranger may open do not show the others' objects."""
    pages = ["/listings", "/listings?kind=pledge", "/deals", "/inquiries", "/finance/", "/finance/reviews",
             "/finance/insurance", "/dashboard", "/notifications/", "/statistics"]
    for viewer, secrets in (("uni2", ["矩阵草稿", "矩阵未挂牌专利", "矩阵质押专利", "矩阵小微企业"]),
                            ("bank_b", ["矩阵草稿", "矩阵质押专利"]),
                            ("anonymous", ["矩阵草稿", "矩阵小微企业", "矩阵质押专利"])):
        sign_in_as(client, world, viewer)
        for page in pages:
            html = client.get(page).get_data(as_text=True)
            for secret in secrets:
                assert secret not in html, (viewer, page, secret)


# --- POST: a stranger changes nothing ---------------------------------------------------------

def _draft(w):
    return w["draft"].id


def _published(w):
    return w["listing"][ListingKind.transfer].id


POSTS = [
    # (name, viewer, url, form data, expected status)
    ("demands.edit", "other", lambda w: f"/demands/{w['demand'].id}/edit", {"title": "篡改"}, 403),
    ("demands.close", "other", lambda w: f"/demands/{w['demand'].id}/close", {}, 403),
    ("demands.close[bank]", "bank_a", lambda w: f"/demands/{w['demand'].id}/close", {}, 403),
    ("listings.edit[draft]", "uni2", lambda w: f"/listings/{_draft(w)}/edit", {"title": "篡改"}, 404),
    ("listings.edit[published]", "sme", lambda w: f"/listings/{_published(w)}/edit", {"title": "篡改"}, 403),
    ("listings.publish[draft]", "uni2", lambda w: f"/listings/{_draft(w)}/publish", {}, 404),
    ("listings.withdraw[draft]", "sme", lambda w: f"/listings/{_draft(w)}/withdraw", {}, 404),
    ("listings.withdraw[published]", "uni2", lambda w: f"/listings/{_published(w)}/withdraw", {}, 403),
    ("listings.withdraw[pledge request]", "bank_b",
     lambda w: f"/listings/{w['request_a'].listing_id}/withdraw", {}, 404),
    ("listings.new", "bank_a", lambda w: "/listings/new?kind=transfer", {"title": "银行挂牌"}, 403),
    ("patents.edit", "uni2", lambda w: f"/patents/{w['unlisted_patent'].id}/edit", {"title": "篡改"}, 404),
    ("patents.new", "insurer", lambda w: "/patents/new", {"app_no": "201710601862.3", "title": "保险专利"}, 403),
    ("patent_import.start", "bank_a", lambda w: "/patents/import",
     {"file": (io.BytesIO("申请号,专利名称\nCN202211740332.4,一种方法\n".encode()), "p.csv")}, 403),
    ("deals.act[negotiating]", "other", lambda w: f"/deals/{w['deal_id']['transfer']}/steps/negotiating",
     {"negotiating-amount": "1", "negotiating-terms": "x"}, 404),
    ("deals.act[cancelled]", "uni2", lambda w: f"/deals/{w['deal_id']['licence']}/steps/cancelled",
     {"cancelled-reason": "x"}, 404),
    ("deals.act[paid]", "bank_a", lambda w: f"/deals/{w['deal_id']['open_licence']}/steps/paid",
     {"paid-paid_on": "2025-01-01", "paid-amount_paid": "1"}, 404),
    ("deals.act[paid] by the licensee", "sme", lambda w: f"/deals/{w['deal_id']['open_licence']}/steps/paid",
     {"paid-paid_on": "2025-01-01", "paid-amount_paid": "1"}, 403),
    ("deals.act[agreed] by the operator", "operator", lambda w: f"/deals/{w['deal_id']['equity']}/steps/agreed",
     {}, 403),
    ("deals.upload_document", "other", lambda w: f"/deals/{w['deal_id']['transfer']}/documents",
     {"label": "合同", "file": (io.BytesIO(PDF), "x.pdf")}, 404),
    ("inquiries.thread", "sme", lambda w: f"/inquiries/{w['thread'].id}", {"body": "插话"}, 404),
    ("finance.add_documents", "bank_b", lambda w: f"/finance/requests/{w['request_a'].id}/documents",
     {"documents": (io.BytesIO(PDF), "x.pdf")}, 404),
    ("finance.withdraw_request", "bank_b", lambda w: f"/finance/requests/{w['request_a'].id}/withdraw", {}, 404),
    ("finance.withdraw_request by the bank", "bank_a",
     lambda w: f"/finance/requests/{w['request_a'].id}/withdraw", {}, 403),
    ("finance.review_action[start]", "bank_b", lambda w: f"/finance/reviews/{w['review_a'].id}/start", {}, 404),
    ("finance.review_action[approve]", "sme", lambda w: f"/finance/reviews/{w['review_a'].id}/approve",
     {"approve-amount": "1", "approve-rate": "1", "approve-term_months": "12"}, 403),
    ("finance.review_action[start] by the operator", "operator",
     lambda w: f"/finance/reviews/{w['review_a'].id}/start", {}, 404),
    ("finance.post_message", "bank_b", lambda w: f"/finance/reviews/{w['review_a'].id}/messages",
     {"message": "窥探"}, 404),
    ("finance.withdraw_review", "bank_b", lambda w: f"/finance/reviews/{w['review_a'].id}/withdraw", {}, 404),
    ("finance.withdraw_review by the bank", "bank_a", lambda w: f"/finance/reviews/{w['review_a'].id}/withdraw",
     {}, 403),
    ("finance.decline_quote", "other", lambda w: f"/finance/insurance/quotes/{w['quote'].id}/decline",
     {"reason": "x"}, 404),
    ("finance.issue_policy", "other", lambda w: f"/finance/insurance/policies/{w['policy'].id}/issue",
     {"policy_no": "HACK-1"}, 404),
    ("finance.issue_policy by the insured", "sme", lambda w: f"/finance/insurance/policies/{w['policy'].id}/issue",
     {"policy_no": "HACK-1"}, 403),  # a party who sees the policy but may not issue it
    ("finance.withdraw_quote", "other", lambda w: f"/finance/insurance/policies/{w['policy'].id}/withdraw", {}, 404),
    ("finance.appraisals", "bank_a", lambda w: "/finance/appraisals",
     {"patent_number": "x", "amount": "1", "method": "income"}, 403),
    ("finance.new_policy", "sme", lambda w: "/finance/insurance/policies/new", {"premium": "1"}, 403),
    ("finance.new_request", "bank_a", lambda w: "/finance/requests/new", {"amount": "1"}, 403),
    ("accounts.operator_verify", "uni", lambda w: f"/operator/organisations/{w['unverified'].organization_id}/verify",
     {}, 403),
    ("accounts.operator_reject", "unverified",
     lambda w: f"/operator/organisations/{w['unverified'].organization_id}/reject", {"reason": "x"}, 403),
    ("accounts.invite by a member", "bank_a", lambda w: "/org/invitations", {"email": "x@example.cn"}, 403),
    ("indicators.values", "uni", lambda w: "/operator/indicators/values?year=2025",
     {"training_person_times": "5"}, 403),
]


@pytest.mark.parametrize("name, viewer, url, data, status", POSTS, ids=[p[0] for p in POSTS])
def test_a_strangers_post_changes_nothing(client, world, name, viewer, url, data, status):
    before = snapshot()
    sign_in_as(client, world, viewer)
    response = client.post(url(world), data=data, content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert snapshot() == before


# --- an unverified organisation drafts but does not act ---------------------------------------

UNVERIFIED_ACTS = [
    ("deals.accept", lambda w: f"/listings/{w['listing'][ListingKind.open_licence].id}/accept",
     {"notice": "接受", "confirm": "y"}),
    ("deals.propose", lambda w: f"/listings/{w['listing'][ListingKind.licence].id}/propose",
     {"amount": "1000", "terms": "x"}),
    ("inquiries.ask", lambda w: f"/listings/{w['listing'][ListingKind.licence].id}/inquire", {"body": "请问"}),
    ("patent_import.start[publish]", lambda w: "/patents/import",
     {"file": (io.BytesIO("申请号,专利名称\nCN202211740332.4,一种方法\n".encode()), "p.csv"),
      "publish": "open_licence"}),
    ("finance.new_quote", lambda w: "/finance/insurance/quotes/new",
     lambda w: {"insurer_id": str(w["insurer"].organization_id), "policy_type": "enforcement"}),
]


@pytest.mark.parametrize("name, url, data", UNVERIFIED_ACTS, ids=[a[0] for a in UNVERIFIED_ACTS])
def test_an_unverified_organisation_cannot_act(client, world, name, url, data):
    before = snapshot()
    sign_in_as(client, world, "unverified")
    response = client.post(url(world), data=data(world) if callable(data) else data, content_type="multipart/form-data")
    assert response.status_code in (200, 403, 422), response.status_code  # refused, with the reason
    assert "尚未通过平台审核" in response.get_data(as_text=True) or response.status_code == 403
    assert snapshot() == before
