"""One way a request ends (marketplace.web): a refused form re-renders with 422, every message
beside its field and what was typed kept; a domain conflict is 409 with its Chinese message;
success redirects; the request commits once, and nothing an operation flushed outlives a
request that was refused or failed."""

from __future__ import annotations

import io

import pytest
from flask import template_rendered
from flask_wtf import FlaskForm
from markupsafe import escape

from marketplace.accounts import operations as account_ops
from marketplace.accounts.models import OrgRole
from marketplace.demands import operations as demand_ops
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.finance import insurance as insurance_ops
from marketplace.finance import operations as pledge_ops
from marketplace.listings.models import ListingKind
from marketplace.search.models import SavedSearch

from .access_world import build_world, sign_in_as
from .finance_helpers import FAKE_PDF, PDF
from .test_access_matrix import snapshot

L = ListingKind
LONG = "打字内容" * 1300  # longer than any text field allows: refused by the form, and must come back


def _invitation(w) -> str:
    _invitation, token = account_ops.create_invitation(w["uni"], "invited@example.cn", OrgRole.member)
    db.session.commit()
    return f"/join/{token}"


def _reset(w) -> str:
    return f"/password/reset/{account_ops.make_reset_token(w['other'])}"


# (name, viewer, url, posted data, values typed that must come back in the page)
REFUSED_FORMS = [
    ("accounts.register", "anonymous", lambda w: "/register",
     {"org_name": "打字机构名称", "kind": "enterprise", "user_name": "打字姓名", "email": "not-an-email"},
     ["打字机构名称", "打字姓名", "not-an-email"]),
    ("accounts.login", "anonymous", lambda w: "/login", {"email": "typed@example.cn", "password": "wrong"},
     ["typed@example.cn"]),
    ("accounts.login[empty]", "anonymous", lambda w: "/login", {"email": "typed@example.cn"}, ["typed@example.cn"]),
    ("accounts.forgot_password", "anonymous", lambda w: "/password/forgot", {"email": "not-an-email"},
     ["not-an-email"]),
    ("accounts.reset_password", "anonymous", _reset, {"password": "Corr3ct-Horse-43", "confirm": "other"}, []),
    ("accounts.change_password", "uni", lambda w: "/account/password",
     {"current_password": "wrong", "password": "Corr3ct-Horse-43", "confirm": "Corr3ct-Horse-43"}, []),
    ("accounts.profile", "uni", lambda w: "/account/profile", {"name": "", "phone": "打字电话"}, ["打字电话"]),
    ("accounts.invite", "uni", lambda w: "/org/invitations", {"email": "not-an-email", "org_role": "member"},
     ["not-an-email"]),
    ("accounts.join", "anonymous", _invitation, {"name": "打字新成员", "password": "x", "confirm": "y"},
     ["打字新成员"]),
    ("accounts.operator_reject", "operator",
     lambda w: f"/operator/organisations/{w['unverified'].organization_id}/reject", {"reason": LONG}, [LONG]),
    ("accounts.operator_aliases", "operator",
     lambda w: f"/operator/organisations/{w['uni'].organization_id}/aliases", {"aliases": "打" * 2001}, ["打" * 2001]),
    ("patents.new", "uni", lambda w: "/patents/new", {"app_no": "打字号码", "title": "打字专利名称"},
     ["打字号码", "打字专利名称"]),
    ("patents.edit", "uni", lambda w: f"/patents/{w['unlisted_patent'].id}/edit",
     {"app_no": "打字号码", "title": "打字专利名称"}, ["打字号码", "打字专利名称"]),
    ("patent_import.start", "uni", lambda w: "/patents/import", {"publish": ""}, []),
    ("patent_import.start[bad file]", "uni", lambda w: "/patents/import",
     {"file": (io.BytesIO(b"\x00\x01"), "p.exe"), "publish": ""}, []),
    ("listings.new", "uni", lambda w: "/listings/new?kind=transfer", {"title": "打字挂牌标题"}, ["打字挂牌标题"]),
    ("listings.edit", "uni", lambda w: f"/listings/{w['draft'].id}/edit", {"title": "打字挂牌标题"},
     ["打字挂牌标题"]),
    ("deals.accept", "other", lambda w: f"/listings/{w['listing'][L.open_licence].id}/accept",
     {"notice": "打字书面通知"}, ["打字书面通知"]),
    ("deals.propose", "other", lambda w: f"/listings/{w['listing'][L.licence].id}/propose",
     {"amount": "打字金额", "terms": "打字条件说明"}, ["打字金额", "打字条件说明"]),
    ("deals.act[negotiating]", "uni", lambda w: f"/deals/{w['deal_id']['transfer']}/steps/negotiating",
     {"negotiating-amount": "打字金额", "negotiating-terms": "打字还价条件"}, ["打字金额", "打字还价条件"]),
    ("deals.upload_document", "uni", lambda w: f"/deals/{w['deal_id']['transfer']}/documents", {"label": "合同"},
     []),
    ("deals.upload_document[bad file]", "uni", lambda w: f"/deals/{w['deal_id']['transfer']}/documents",
     {"label": "合同", "file": (io.BytesIO(FAKE_PDF), "合同.pdf")}, []),
    ("inquiries.thread", "other", lambda w: f"/inquiries/{w['thread'].id}", {"body": LONG}, [LONG]),
    ("inquiries.ask", "sme", lambda w: f"/listings/{w['listing'][L.licence].id}/inquire", {"body": LONG}, [LONG]),
    ("finance.new_request", "sme", lambda w: "/finance/requests/new",
     {"amount": "打字金额", "term_months": "12", "purpose": "打字资金用途", "industry": "other"},
     ["打字金额", "打字资金用途"]),
    ("finance.add_documents", "sme", lambda w: f"/finance/requests/{w['request_a'].id}/documents",
     {"documents": (io.BytesIO(FAKE_PDF), "报表.pdf")}, []),
    ("finance.review_action[reject]", "bank_a", lambda w: f"/finance/reviews/{w['review_a'].id}/reject",
     {"reject-reason": LONG}, [LONG]),
    # A step the review is not at: its form is not on the page, its messages are listed on top.
    ("finance.review_action[approve]", "bank_a", lambda w: f"/finance/reviews/{w['review_a'].id}/approve",
     {"approve-amount": "", "approve-rate": "4.35", "approve-term_months": "12"}, []),
    ("finance.post_message[bank]", "bank_a", lambda w: f"/finance/reviews/{w['review_a'].id}/messages",
     {"message": LONG}, [LONG]),
    ("finance.post_message[holder]", "sme", lambda w: f"/finance/reviews/{w['review_a'].id}/messages",
     {"message": LONG}, [LONG]),
    ("finance.appraisals", "agency", lambda w: "/finance/appraisals",
     {"patent_number": "CN000000000000.0", "amount": "100000", "method": "income", "appraised_on": "2025-01-02",
      "report": (io.BytesIO(PDF), "r.pdf")}, ["CN000000000000.0"]),
    ("finance.new_quote", "sme", lambda w: "/finance/insurance/quotes/new",
     {"policy_type": "enforcement", "coverage_wanted": "打字保额", "message": "打字询价说明"},
     ["打字保额", "打字询价说明"]),
    ("finance.new_policy", "insurer", lambda w: "/finance/insurance/policies/new",
     {"insured_org_id": "0", "patent_numbers": "打字号码", "policy_type": "enforcement", "premium": "100",
      "coverage": "1000", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}, ["打字号码"]),
    ("finance.policy_step[issue]", "insurer", lambda w: f"/finance/insurance/policies/{w['policy'].id}/issue",
     {"policy_no": "打" * 61}, ["打" * 61]),
    ("indicators.values", "operator", lambda w: "/operator/indicators/values?year=2024",
     {"training_person_times": "-5", "publicity_events": "8", "note": "打字备注"}, ["打字备注"]),
    ("indicators.import_values", "operator", lambda w: "/operator/indicators/values/import?year=2024",
     {"note": "打字导入说明"}, ["打字导入说明"]),
    ("demands.new", "sme", lambda w: "/demands/new", {"title": "", "description": "打字需求描述"}, ["打字需求描述"]),
    ("demands.edit", "sme", lambda w: f"/demands/{w['demand'].id}/edit",
     {"title": "", "description": "打字需求描述"}, ["打字需求描述"]),
]


# POST routes with nothing to type (a button), and routes covered elsewhere.
NOT_FORMS = {"deals.recordation",  # needs a completed licence contract: its 422 is in test_recordation.py
             "accounts.logout", "accounts.operator_verify", "notify.read_all", "listings.publish",
             "listings.withdraw", "finance.withdraw_request", "finance.withdraw_review", "finance.decline_quote",
             "search.save", "search.delete_saved", "demands.publish", "demands.close",
             # ownership claims: their refusals (422 beside the field) are in tests/test_title.py
             "patents.claim", "patents.decide_claim"}


@pytest.fixture
def world(app, client, make):
    return build_world(app, client, make)


@pytest.fixture
def rendered_forms(app):
    """Every form handed to a template during the request, so its messages can be looked for."""
    forms: list[FlaskForm] = []

    def record(sender, template, context, **extra):
        for value in context.values():
            candidates = value.values() if isinstance(value, dict) else [value]
            forms.extend(c for c in candidates if isinstance(c, FlaskForm))

    template_rendered.connect(record, app)
    yield forms
    template_rendered.disconnect(record, app)


def messages(form: FlaskForm) -> list[str]:
    found = [str(m) for m in form.form_errors]
    for name, errors in form.errors.items():
        if name is not None:
            found.extend(str(m) for m in errors)
    return found


def test_every_post_form_route_is_in_the_refusal_table(app):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    covered = {name.split("[")[0] for name, *_rest in REFUSED_FORMS}
    assert posted - NOT_FORMS == covered


@pytest.mark.parametrize("name, viewer, url, data, typed", REFUSED_FORMS, ids=[f[0] for f in REFUSED_FORMS])
def test_a_refused_form_answers_422_with_every_message_and_what_was_typed(client, world, rendered_forms,
                                                                          name, viewer, url, data, typed):
    target = url(world)
    before = snapshot()
    sign_in_as(client, world, viewer)
    response = client.post(target, data=data(world) if callable(data) else data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:800]
    for value in typed:
        assert str(escape(value)) in html, value[:40]
    shown = [message for form in rendered_forms for message in messages(form)]
    assert shown, "the refusal says why"
    for message in shown:
        assert str(escape(message)) in html, message
    assert snapshot() == before


# --- conflicts: the request's state does not allow the step --------------------------------------

def _twice(first):
    """Do the step once through its operation, so that the posted second one is a conflict."""
    def prepare(w):
        first(w)
        db.session.commit()
    return prepare


CONFLICTS = [
    # (name, viewer, prepare, url, data, a word of the message)
    ("accounts.operator_verify[already verified]", "operator", None,
     lambda w: f"/operator/organisations/{w['uni'].organization_id}/verify", {}, "已通过审核"),
    ("demands.publish[already published]", "sme", None, lambda w: f"/demands/{w['demand'].id}/publish", {}, None),
    ("demands.close[twice]", "sme", _twice(lambda w: demand_ops.close_demand(w["demand"], w["sme"])),
     lambda w: f"/demands/{w['demand'].id}/close", {}, None),
    ("deals.act[completed] on a proposal", "uni", None,
     lambda w: f"/deals/{w['deal_id']['transfer']}/steps/completed", {}, None),
    ("finance.review_action[repay] before a loan", "bank_a", None,
     lambda w: f"/finance/reviews/{w['review_a'].id}/repay", {"repay-repaid_on": "2025-03-01"}, None),
    ("finance.withdraw_review[twice]", "sme",
     _twice(lambda w: pledge_ops.withdraw_review(w["review_a"], w["sme"], "")),
     lambda w: f"/finance/reviews/{w['review_a'].id}/withdraw", {}, None),
    ("finance.policy_step[withdraw twice]", "insurer",
     _twice(lambda w: insurance_ops.withdraw_quote(w["policy"], w["insurer"])),
     lambda w: f"/finance/insurance/policies/{w['policy'].id}/withdraw", {}, None),
    ("finance.decline_quote[twice]", "insurer",
     _twice(lambda w: insurance_ops.decline_quote(w["quote"], w["insurer"], "不承保")),
     lambda w: f"/finance/insurance/quotes/{w['quote'].id}/decline", {"reason": "不承保"}, None),
]


@pytest.mark.parametrize("name, viewer, prepare, url, data, word", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_a_domain_conflict_answers_409_in_chinese_and_changes_nothing(client, world, name, viewer, prepare, url,
                                                                      data, word):
    if prepare:
        with client.application.test_request_context():
            prepare(world)
    before = snapshot()
    sign_in_as(client, world, viewer)
    response = client.post(url(world), data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409, html[:800]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in html)
    if word:
        assert word in html
    assert snapshot() == before


def test_a_conflict_under_api_keeps_the_json_error_shape(app):
    from marketplace.errors import DomainError

    with app.test_request_context("/api/v1/anything"):
        response = app.handle_user_exception(DomainError("状态已变化"))
        response = app.make_response(response)
    assert response.status_code == 409
    assert response.get_json() == {"error": {"status": 409, "title": "无法完成操作", "message": "状态已变化"}}


# --- success: POST, redirect, GET -----------------------------------------------------------------

SUCCESSES = [
    ("accounts.profile", "uni", lambda w: "/account/profile", {"name": "新名字", "phone": "0591-1"}, "新名字"),
    ("accounts.invite", "uni", lambda w: "/org/invitations", {"email": "new@example.cn", "org_role": "member"},
     "/join/"),
    ("demands.new", "sme", lambda w: "/demands/new", {"title": "需要一种新电池", "industry": "other",
                                                     "publish": "发布需求"}, "需要一种新电池"),
    ("demands.close", "sme", lambda w: f"/demands/{w['demand'].id}/close", {}, None),
    ("inquiries.ask", "sme", lambda w: f"/listings/{w['listing'][L.licence].id}/inquire", {"body": "请问价格？"},
     "请问价格？"),
    ("inquiries.thread", "other", lambda w: f"/inquiries/{w['thread'].id}", {"body": "补充一句"}, "补充一句"),
    ("deals.propose", "other", lambda w: f"/listings/{w['listing'][L.licence].id}/propose",
     {"amount": "120000", "terms": "按年付"}, "按年付"),
    ("finance.post_message", "bank_a", lambda w: f"/finance/reviews/{w['review_a'].id}/messages",
     {"message": "请补充报表"}, "请补充报表"),
    ("notify.read_all", "sme", lambda w: "/notifications/read", {}, None),
    ("search.save", "sme", lambda w: "/search/saved", {"q": "电池", "name": "电池技术"}, None),
    ("listings.publish", "uni", lambda w: f"/listings/{w['draft'].id}/publish", {}, None),
]


@pytest.mark.parametrize("name, viewer, url, data, shown", SUCCESSES, ids=[s[0] for s in SUCCESSES])
def test_success_redirects_and_the_next_page_shows_it(client, world, name, viewer, url, data, shown):
    sign_in_as(client, world, viewer)
    response = client.post(url(world), data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:800]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    if shown:
        assert shown in page.get_data(as_text=True)


def test_the_invitation_link_is_shown_once_after_the_redirect(client, world):
    sign_in_as(client, world, "uni")
    client.post("/org/invitations", data={"email": "once@example.cn", "org_role": "member"})
    assert 'data-testid="invite-link"' in client.get("/org").get_data(as_text=True)
    assert 'data-testid="invite-link"' not in client.get("/org").get_data(as_text=True)


# --- the unit of work ---------------------------------------------------------------------------

def _demand_count() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(Demand.id)))


def test_a_request_that_raises_after_the_operation_flushed_leaves_nothing(client, as_user, make, monkeypatch):
    from marketplace.demands import routes

    def broken_flash(*args, **kwargs):
        raise RuntimeError("after the operation")

    user = make.user(role=OrgRole.admin)
    before = _demand_count()
    monkeypatch.setattr(routes, "flash", broken_flash)
    response = as_user(user).post("/demands/new", data={"title": "写了一半的需求", "industry": "other",
                                                         "publish": "发布需求"})
    assert response.status_code == 500
    assert _demand_count() == before
    assert db.session.scalar(db.select(Demand).where(Demand.title == "写了一半的需求")) is None


def test_a_request_that_answers_an_error_after_the_operation_flushed_leaves_nothing(client, as_user, make,
                                                                                   monkeypatch):
    from marketplace.demands import routes

    user = make.user(role=OrgRole.admin)
    before = _demand_count()
    monkeypatch.setattr(routes, "redirect", lambda *args, **kwargs: ("refused after all", 409))
    response = as_user(user).post("/demands/new", data={"title": "不该留下的需求", "industry": "other"})
    assert response.status_code == 409
    assert _demand_count() == before


def test_a_successful_request_commits_its_operation(client, as_user, make):
    user = make.user(role=OrgRole.admin)
    response = as_user(user).post("/search/saved", data={"q": "电池", "name": "已保存"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(SavedSearch).where(SavedSearch.name == "已保存")) is not None


def test_a_refused_sign_in_is_422_and_still_counted(client, make):
    from marketplace.accounts.throttle import LoginThrottle

    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": "wrong"})
    assert response.status_code == 422
    db.session.expire_all()
    assert sum(row.failures for row in db.session.scalars(db.select(LoginThrottle))) >= 1


def test_after_request_hooks_do_not_commit(app):
    """After the response is made, hooks only queue work for the worker (index, mail): none commits."""
    import inspect

    hooks = [hook for hooks in app.after_request_funcs.values() for hook in hooks]
    for hook in hooks:
        source = inspect.getsource(hook)
        assert "commit(" not in source and "drain" not in source, hook
