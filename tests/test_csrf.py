"""CSRF protection switched on: a POST without the form's token, or with a forged one, is refused.

The protected app is a second app on the same database session; its request teardown removes
that session, so tests keep plain values (e-mail, ids) rather than model objects across requests."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.accounts.models import LoginThrottle, Organization, OrgRole, OrgStatus, User
from marketplace.extensions import db

from .conftest import PASSWORD
from .support import count, csrf_token_in, fresh_uscc, location_path, text

FORGED = "IjE4ZjM2ZTZmYjU0ZDQ5YzYwNjdiMmZmMjc5YjY4ZDA3NmQ2ZTk1N2Ii.Z-fake.forged-signature"


@pytest.fixture
def csrf_app(app):
    protected = create_app(dict(app.config, WTF_CSRF_ENABLED=True))
    yield protected
    with protected.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def sign_in(client, user) -> None:
    session_id = user.get_id()  # read before the other app's context closes the session
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def registration(token: str | None) -> dict:
    data = {"org_name": "福州防伪科技有限公司", "kind": "enterprise", "uscc": fresh_uscc(50),
            "user_name": "周敏", "email": "zhou@fangwei.cn", "password": "Tide-Lantern-2025",
            "confirm": "Tide-Lantern-2025"}
    if token is not None:
        data["csrf_token"] = token
    return data


def refused(response) -> None:
    assert response.status_code == 400
    assert "安全校验失败（CSRF）" in text(response)


@pytest.mark.parametrize("token", [None, "", FORGED])
def test_login_without_a_valid_token_is_refused(csrf_client, make, token):
    email = make.user().email
    csrf_client.get("/login")  # a session with a real token exists, but this POST does not carry it
    data = {"email": email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    refused(csrf_client.post("/login", data=data))
    assert not signed_in(csrf_client)
    assert count(LoginThrottle) == 0


def test_login_with_the_token_from_the_form_works(csrf_client, make):
    email = make.user().email
    token = csrf_token_in(csrf_client.get("/login"))
    response = csrf_client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert location_path(response) == "/dashboard"
    assert signed_in(csrf_client)


def test_a_token_from_another_session_is_refused(csrf_app, make):
    email = make.user().email
    token = csrf_token_in(csrf_app.test_client().get("/login"))
    other = csrf_app.test_client()
    other.get("/login")
    refused(other.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}))
    assert not signed_in(other)


@pytest.mark.parametrize("token", [None, FORGED])
def test_register_without_a_valid_token_stores_nothing(csrf_client, token):
    csrf_client.get("/register")
    before = (count(Organization), count(User))
    refused(csrf_client.post("/register", data=registration(token)))
    assert (count(Organization), count(User)) == before


def test_register_with_the_token_from_the_form_works(csrf_client):
    token = csrf_token_in(csrf_client.get("/register"))
    response = csrf_client.post("/register", data=registration(token))
    assert location_path(response) == "/dashboard"
    assert count(Organization, Organization.name == "福州防伪科技有限公司") == 1


@pytest.mark.parametrize("token", [None, FORGED])
def test_logout_without_a_valid_token_keeps_the_session(csrf_client, make, token):
    sign_in(csrf_client, make.user())
    csrf_client.get("/dashboard")
    refused(csrf_client.post("/logout", data={} if token is None else {"csrf_token": token}))
    assert signed_in(csrf_client)


def test_logout_with_the_token_from_the_page_works(csrf_client, make):
    sign_in(csrf_client, make.user())
    token = csrf_token_in(csrf_client.get("/dashboard"))  # the logout button in the menu
    assert location_path(csrf_client.post("/logout", data={"csrf_token": token})) == "/"
    assert not signed_in(csrf_client)


@pytest.fixture
def pending_org(make) -> int:
    return make.org("enterprise", status=OrgStatus.pending).id


@pytest.mark.parametrize("token", [None, FORGED])
def test_operator_verify_without_a_valid_token_changes_nothing(csrf_client, make, pending_org, token):
    sign_in(csrf_client, make.user(operator=True, role=OrgRole.admin))
    csrf_client.get(f"/operator/organisations/{pending_org}")
    refused(csrf_client.post(f"/operator/organisations/{pending_org}/verify",
                             data={} if token is None else {"csrf_token": token}))
    refused(csrf_client.post(f"/operator/organisations/{pending_org}/reject",
                             data={"reason": "伪造"} if token is None else {"reason": "伪造", "csrf_token": token}))
    org = db.session.get(Organization, pending_org)
    assert org.status == OrgStatus.pending and org.reviewed_at is None


def test_operator_verify_with_the_token_from_the_page_works(csrf_client, make, pending_org):
    sign_in(csrf_client, make.user(operator=True, role=OrgRole.admin))
    token = csrf_token_in(csrf_client.get(f"/operator/organisations/{pending_org}"))
    response = csrf_client.post(f"/operator/organisations/{pending_org}/verify", data={"csrf_token": token})
    assert location_path(response) == "/operator/organisations"
    assert db.session.get(Organization, pending_org).status == OrgStatus.verified
