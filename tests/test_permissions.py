"""Who may see what: the role × page matrix, and the one gate for acting (ensure_can_act)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask_login import AnonymousUserMixin

from marketplace import create_app
from marketplace.accounts.models import Invitation, Organization, OrgRole, OrgStatus
from marketplace.accounts.operations import ensure_can_act
from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db

from .support import count, location_path

ROLES = ["anonymous", "member", "admin", "unverified", "rejected", "operator"]
SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}
OPERATOR_ONLY = {role: 403 for role in SIGNED_IN} | {"operator": 200}
DONE = "done"  # the operator's POSTs redirect back to the queue

# (method, path, expected outcome per role; anonymous is always sent to sign in, except for /)
PAGES = [
    ("GET", "/", {role: 200 for role in ROLES}),
    ("GET", "/dashboard", SIGNED_IN),
    ("GET", "/org", SIGNED_IN),
    ("POST", "/org/invitations", {"member": 403, "admin": 302, "unverified": 403, "rejected": 403,
                                  "operator": 302}),
    ("GET", "/account/profile", SIGNED_IN),
    ("GET", "/account/password", SIGNED_IN),
    ("GET", "/notifications/", SIGNED_IN),
    ("GET", "/operator/organisations", OPERATOR_ONLY),
    ("GET", "/operator/organisations/{target}", OPERATOR_ONLY),
    ("POST", "/operator/organisations/{target}/verify", OPERATOR_ONLY | {"operator": DONE}),
    ("POST", "/operator/organisations/{target}/reject", OPERATOR_ONLY | {"operator": DONE}),
    ("GET", "/operator/users", OPERATOR_ONLY),
]

FORM_DATA = {
    "/org/invitations": {"email": "invitee@example.cn", "org_role": "member"},
    "/operator/organisations/{target}/reject": {"reason": "材料不全"},
}


def make_role(make, role: str):
    if role == "anonymous":
        return None
    if role == "operator":
        return make.user(operator=True, role=OrgRole.admin)
    status = {"unverified": OrgStatus.pending, "rejected": OrgStatus.rejected}.get(role, OrgStatus.verified)
    org_role = OrgRole.admin if role == "admin" else OrgRole.member
    return make.user(make.org("enterprise", status=status), role=org_role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "pattern", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_role_page_matrix(client, as_user, make, role, method, pattern, expected):
    target = make.org("institute", status=OrgStatus.pending)
    user = make_role(make, role)
    if user is not None:
        as_user(user)
    path = pattern.format(target=target.id)
    response = client.open(path, method=method, data=FORM_DATA.get(pattern, {}))

    outcome = expected.get(role, "login")
    if outcome == "login":
        assert response.status_code == 302
        assert location_path(response) == "/login?next=" + quote(path, safe="")
    elif outcome == DONE:
        assert response.status_code == 302
        assert location_path(response) == "/operator/organisations"
    else:
        assert response.status_code == outcome, response.get_data(as_text=True)[:500]
        if outcome == 403:
            assert "无权访问" in response.get_data(as_text=True)

    # Refused requests change nothing.
    if outcome != DONE:
        assert db.session.get(Organization, target.id).status == OrgStatus.pending
    if pattern == "/org/invitations" and outcome != 302:
        assert count(Invitation) == 0


def test_the_admin_of_a_pending_organisation_may_still_invite_colleagues(as_user, make):
    admin = make.user(make.org("university", status=OrgStatus.pending), role=OrgRole.admin)
    response = as_user(admin).post("/org/invitations", data={"email": "team@example.cn", "org_role": "member"})
    assert response.status_code == 302
    assert count(Invitation) == 1


def test_navigation_fits_the_role(as_user, make, operator):
    def main_nav(client) -> str:
        page = client.get("/dashboard").get_data(as_text=True)
        return page.split('data-testid="nav-main"', 1)[1].split("</ul>", 1)[0]

    member = make.user()
    assert "机构审核" not in main_nav(as_user(member))
    assert "机构审核" in main_nav(as_user(operator)) and "用户" in main_nav(as_user(operator))


# --- the one gate for acting --------------------------------------------------------

@pytest.mark.parametrize(
    ("status", "operator", "allowed"),
    [
        (OrgStatus.verified, False, True),
        (OrgStatus.pending, False, False),
        (OrgStatus.rejected, False, False),
        (OrgStatus.verified, True, True),
        (OrgStatus.pending, True, True),  # an operator acts for the platform, whatever their organisation
    ],
)
def test_ensure_can_act(make, status, operator, allowed):
    user = make.user(make.org("regulator" if operator else "enterprise", status=status), operator=operator)
    if allowed:
        ensure_can_act(user)
    else:
        with pytest.raises(NotVerified, match="尚未通过平台审核"):
            ensure_can_act(user)


def test_ensure_can_act_refuses_anonymous_visitors():
    with pytest.raises(PermissionDenied, match="请先登录") as refused:
        ensure_can_act(AnonymousUserMixin())
    assert not isinstance(refused.value, NotVerified)


def test_not_verified_errors_are_pages_or_json(app, make):
    fresh = create_app(dict(app.config))
    user = make.user(make.org("enterprise", status=OrgStatus.pending))
    user_id = user.id

    def act():
        from marketplace.accounts.models import User

        ensure_can_act(db.session.get(User, user_id))
        return "acted"

    fresh.add_url_rule("/__act", "act", act, methods=["POST"])
    fresh.add_url_rule("/api/v1/__act", "api_act", act, methods=["POST"])

    def conflict():
        raise DomainError("该专利已挂牌。")

    fresh.add_url_rule("/api/v1/__conflict", "api_conflict", conflict)
    client = fresh.test_client()

    page = client.post("/__act")
    assert page.status_code == 403 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "无权操作" in html and "尚未通过平台审核" in html

    api = client.post("/api/v1/__act")
    assert api.status_code == 403 and api.is_json
    error = api.get_json()["error"]
    assert error["status"] == 403 and "尚未通过平台审核" in error["message"]

    conflict_response = client.get("/api/v1/__conflict")
    assert conflict_response.status_code == 409
    assert conflict_response.get_json()["error"]["message"] == "该专利已挂牌。"
    with fresh.app_context():
        db.engine.dispose()
