"""Invitations: an organisation's admin brings a colleague in through a single-use link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts import operations
from marketplace.accounts.models import Invitation, OrgRole, User
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.types import utcnow

from .conftest import PASSWORD
from .support import count, field_error, link_in, location_path, mails_to, text

COLLEAGUE_PASSWORD = "Harbour-Kite-2031"


@pytest.fixture
def admin(make):
    return make.user(make.org("university"), role=OrgRole.admin)


def invite(client, email: str, role: str = "member"):
    return client.post("/org/invitations", data={"email": email, "org_role": role})


def join(client, path: str, name: str = "黄慧", password: str = COLLEAGUE_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"name": name, "password": password, "confirm": confirm or password})


def test_an_admin_invites_a_colleague_who_joins_with_the_chosen_role(as_user, admin):
    client = as_user(admin)
    response = invite(client, "Colleague@Example.CN", role="admin")
    assert response.status_code == 302  # POST, redirect, GET: the link is shown on the page it lands on
    page = text(client.get(response.headers["Location"]))
    assert "邀请已发送到" in page
    [mail] = mails_to("colleague@example.cn")
    path = link_in(mail.body, "/join/")
    assert f"http://localhost{path}" in page  # the link is shown to the admin as well
    assert admin.organization.name in mail.subject
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.email == "colleague@example.cn" and invitation.token_hash not in path

    client.post("/logout")
    form = client.get(path)
    assert form.status_code == 200 and "colleague@example.cn" in text(form)
    response = join(client, path)
    assert location_path(response) == "/dashboard"

    colleague = db.session.scalar(db.select(User).where(User.email == "colleague@example.cn"))
    assert colleague.organization_id == admin.organization_id
    assert colleague.org_role == OrgRole.admin
    assert colleague.check_password(COLLEAGUE_PASSWORD)
    assert db.session.get(Invitation, invitation.id).accepted_at is not None
    assert "黄慧" in text(client.get("/dashboard"))  # signed in as the colleague


def test_a_member_joins_as_a_member(as_user, admin):
    client = as_user(admin)
    invite(client, "member@example.cn")
    path = link_in(mails_to("member@example.cn")[0].body, "/join/")
    client.post("/logout")
    join(client, path)
    colleague = db.session.scalar(db.select(User).where(User.email == "member@example.cn"))
    assert colleague.org_role == OrgRole.member and colleague.organization_id == admin.organization_id


def test_a_member_cannot_invite(as_user, make, admin):
    member = make.user(admin.organization, role=OrgRole.member)
    response = invite(as_user(member), "friend@example.cn")
    assert response.status_code == 403
    assert count(Invitation) == 0 and mails_to("friend@example.cn") == []
    with pytest.raises(PermissionDenied):
        operations.create_invitation(member, "friend@example.cn")


def test_the_org_page_offers_the_invitation_form_to_admins_only(as_user, make, admin):
    assert 'action="/org/invitations"' in as_user(admin).get("/org").get_data(as_text=True)
    member = make.user(admin.organization)
    assert 'action="/org/invitations"' not in as_user(member).get("/org").get_data(as_text=True)


def test_an_invitation_to_a_registered_email_is_refused(as_user, make, admin):
    make.user(email="already@example.cn")
    response = invite(as_user(admin), "Already@example.cn")
    assert response.status_code == 422
    assert "该邮箱已注册" in field_error(response, "email")
    assert count(Invitation) == 0


def test_an_email_registered_after_the_invitation_cannot_join(client, make, admin):
    invitation, token = operations.create_invitation(admin, "late@example.cn")
    db.session.commit()
    make.user(email="late@example.cn")
    before = count(User)
    response = join(client, f"/join/{token}")
    assert response.status_code == 409
    assert "该邮箱已注册" in text(response)
    assert count(User) == before
    assert db.session.get(Invitation, invitation.id).accepted_at is None


def test_a_weak_password_on_joining_is_refused(client, admin):
    _invitation, token = operations.create_invitation(admin, "weak@example.cn")
    db.session.commit()
    response = join(client, f"/join/{token}", password="weakpass")
    assert "至少需要 10 个字符" in field_error(response, "password")
    assert count(User, User.email == "weak@example.cn") == 0


def refused(client, path: str) -> None:
    response = client.get(path, follow_redirects=True)
    assert response.request.path == "/"
    assert "邀请链接无效或已过期" in text(response)
    response = join(client, path)
    assert location_path(response) == "/"


def test_an_expired_invitation_is_refused(client, admin):
    invitation, token = operations.create_invitation(admin, "expired@example.cn")
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    refused(client, f"/join/{token}")
    assert count(User, User.email == "expired@example.cn") == 0


def test_a_used_invitation_is_refused(client, admin):
    _invitation, token = operations.create_invitation(admin, "once@example.cn")
    db.session.commit()
    assert location_path(join(client, f"/join/{token}")) == "/dashboard"
    client.post("/logout")
    refused(client, f"/join/{token}")
    assert count(User, User.email == "once@example.cn") == 1


def test_an_unknown_invitation_is_refused(client, admin):
    operations.create_invitation(admin, "someone@example.cn")
    db.session.commit()
    refused(client, "/join/not-a-real-token")
    assert count(User, User.email == "someone@example.cn") == 0


def test_a_revoked_invitation_is_refused(client, admin):
    invitation, token = operations.create_invitation(admin, "revoked@example.cn")
    invitation.revoked_at = utcnow()
    db.session.commit()
    refused(client, f"/join/{token}")


def test_accepting_an_unusable_invitation_is_refused_by_the_operation(admin):
    invitation, _token = operations.create_invitation(admin, "direct@example.cn")
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError, match="邀请链接已失效"):
        operations.accept_invitation(invitation, "黄慧", COLLEAGUE_PASSWORD)
    assert count(User, User.email == "direct@example.cn") == 0


def test_joining_while_signed_in_as_someone_else_signs_in_as_the_newcomer(client, make, admin):
    _invitation, token = operations.create_invitation(admin, "newcomer@example.cn")
    db.session.commit()
    other = make.user()
    signed_in = client.post("/login", data={"email": other.email, "password": PASSWORD, "remember": "y"})
    assert any(c.startswith("remember_token=") for c in signed_in.headers.getlist("Set-Cookie"))
    # Opening the link (a GET) changes nothing: the visitor is still signed in as before.
    assert client.get(f"/join/{token}").status_code == 200
    assert other.name in text(client.get("/dashboard"))
    response = join(client, f"/join/{token}", name="新同事")
    assert "新同事" in text(client.get("/dashboard"))
    # The previous user's remember-me cookie goes, so they do not come back when the session ends.
    [cleared] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert "1970" in cleared
