"""Registration, sign-in and out, password reset and change, profile, and login throttling."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import itsdangerous
import pytest

from marketplace.accounts import operations, throttle
from marketplace.accounts.models import (
    LoginThrottle,
    Organization,
    OrgKind,
    OrgRole,
    OrgStatus,
    User,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.notify.models import OutboxMail

from .conftest import PASSWORD
from .support import (
    INVALID_USCC,
    count,
    field_error,
    fresh_uscc,
    link_in,
    location_path,
    mails_to,
    text,
)

NEW_PASSWORD = "Tide-Lantern-2025"


def registration(**overrides) -> dict:
    data = {
        "org_name": "福州海峡光电科技有限公司", "kind": "enterprise", "is_sme": "y",
        "uscc": fresh_uscc(1), "region": "福建省福州市鼓楼区", "address": "福州市鼓楼区工业路 88 号",
        "contact_phone": "0591-87654321", "user_name": "林晓东", "email": "lin@haixia-optics.cn",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def operation_args(**overrides) -> dict:
    args = {
        "org_name": "闽侯测试材料有限公司", "kind": OrgKind.enterprise, "uscc": fresh_uscc(2), "is_sme": True,
        "region": "", "address": "", "contact_phone": "", "user_name": "陈静", "email": "chen@minhou.cn",
        "password": NEW_PASSWORD,
    }
    args.update(overrides)
    return args


def stored() -> tuple[int, int]:
    return count(Organization), count(User)


def signed_in(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 200


# --- registration ------------------------------------------------------------------------

def test_register_creates_a_pending_organisation_with_its_admin_and_signs_in(client, operator):
    response = client.post("/register", data=registration())
    assert response.status_code == 302 and location_path(response) == "/dashboard"

    org = db.session.scalar(db.select(Organization).where(Organization.name == "福州海峡光电科技有限公司"))
    assert org.status == OrgStatus.pending and org.kind == OrgKind.enterprise and org.is_sme
    assert org.uscc == fresh_uscc(1) and org.contact_email == "lin@haixia-optics.cn"
    [user] = org.users
    assert user.email == "lin@haixia-optics.cn" and user.org_role == OrgRole.admin
    assert user.password_hash != NEW_PASSWORD and user.check_password(NEW_PASSWORD)

    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "待审核" in text(page) and 'data-testid="unverified-banner"' in text(page)
    # The operator hears of the new applicant.
    assert any("福州海峡光电科技有限公司" in mail.body for mail in mails_to(operator.email))


def test_register_accepts_a_uscc_typed_in_lower_case(client):
    response = client.post("/register", data=registration(uscc=fresh_uscc(3).lower()))
    assert response.status_code == 302
    assert db.session.scalar(db.select(Organization.uscc).where(Organization.uscc == fresh_uscc(3)))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"uscc": INVALID_USCC}, "uscc", "统一社会信用代码无效"),
        ({"uscc": "913501"}, "uscc", "18 位"),
        ({"password": "Ab1-xyz", "confirm": "Ab1-xyz"}, "password", "至少需要 10 个字符"),
        ({"password": "lowercaseonlyword", "confirm": "lowercaseonlyword"}, "password", "至少三类"),
        ({"password": "Password123", "confirm": "Password123"}, "password", "太常见或太简单"),
        ({"password": "Aa1!Aa1!Aa1!", "confirm": "Aa1!Aa1!Aa1!"}, "password", "太常见或太简单"),
        ({"password": "Haixia-Lin@2025", "confirm": "Haixia-Lin@2025", "email": "haixia-lin@example.cn"},
         "password", "不能包含您的邮箱名或姓名"),
        ({"confirm": NEW_PASSWORD + "x"}, "confirm", "两次输入的密码不一致"),
        ({"email": "not-an-address"}, "email", "有效的邮箱地址"),
        ({"kind": "regulator"}, "kind", "不是有效的选择"),
        ({"org_name": ""}, "org_name", "此项必填"),
    ],
)
def test_register_refuses_bad_input_beside_the_field_and_stores_nothing(client, overrides, field, message):
    before = stored()
    response = client.post("/register", data=registration(**overrides))
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert stored() == before
    assert not signed_in(client)


def test_register_refuses_a_duplicate_uscc(client, make):
    existing = make.org(OrgKind.university)
    before = stored()
    response = client.post("/register", data=registration(uscc=existing.uscc.lower()))
    assert "该统一社会信用代码已注册" in field_error(response, "uscc")
    assert stored() == before


def test_register_refuses_an_email_already_registered_whatever_its_case(client, make):
    make.user(email="taken@example.cn")
    before = stored()
    response = client.post("/register", data=registration(email="Taken@Example.CN"))
    assert "该邮箱已注册" in field_error(response, "email")
    assert stored() == before


def test_register_keeps_what_was_typed_after_an_error(client):
    data = registration(uscc=INVALID_USCC, kind="university")
    page = client.post("/register", data=data).get_data(as_text=True)
    for name in ("org_name", "uscc", "region", "address", "contact_phone", "user_name", "email"):
        assert re.search(rf'<input[^>]*id="{name}"[^>]*value="{re.escape(data[name])}"', page), name
    assert re.search(r'<option selected value="university">', page)
    assert re.search(r'<input checked[^>]*id="is_sme"|<input[^>]*id="is_sme"[^>]*checked', page)
    # Passwords are never echoed back.
    assert NEW_PASSWORD not in page


def test_register_operation_refuses_the_regulator_kind():
    with pytest.raises(DomainError, match="监管部门") as refused:
        operations.register_organization(**operation_args(kind=OrgKind.regulator))
    assert refused.value.field == "kind"
    assert count(Organization) == 0


def test_register_ignores_is_sme_on_a_non_enterprise(client):
    response = client.post("/register", data=registration(kind="university", is_sme="y"))
    assert response.status_code == 302
    org = db.session.scalar(db.select(Organization).where(Organization.name == "福州海峡光电科技有限公司"))
    assert org.kind == OrgKind.university and org.is_sme is False


def test_register_operation_normalises_the_email_and_refuses_a_duplicate_organisation_name(make):
    user = operations.register_organization(**operation_args(email="  Chen@MinHou.CN "))
    assert user.email == "chen@minhou.cn"
    with pytest.raises(DomainError, match="同名机构") as refused:
        operations.register_organization(**operation_args(uscc=fresh_uscc(4), email="other@minhou.cn"))
    assert refused.value.field == "org_name"


def test_a_signed_in_user_is_sent_from_register_to_the_dashboard(as_user, make):
    client = as_user(make.user())
    assert location_path(client.get("/register")) == "/dashboard"


# --- sign-in and out ---------------------------------------------------------------------

def test_login_with_the_right_password_signs_in_and_records_the_time(client, make):
    user = make.user(email="wang@example.cn")
    response = client.post("/login", data={"email": "Wang@Example.cn", "password": PASSWORD})
    assert response.status_code == 302 and location_path(response) == "/dashboard"
    assert signed_in(client)
    assert db.session.get(User, user.id).last_login_at is not None
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


def test_login_with_a_wrong_password_or_unknown_email_says_so_without_telling_which(client, make):
    make.user(email="wang@example.cn")
    wrong = client.post("/login", data={"email": "wang@example.cn", "password": "Wrong-Password-1"})
    unknown = client.post("/login", data={"email": "nobody@example.cn", "password": "Wrong-Password-1"})
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "邮箱或密码不正确" in text(response)
    assert 'value="wang@example.cn"' in wrong.get_data(as_text=True)
    assert not signed_in(client)


def test_an_inactive_user_cannot_sign_in(client, make):
    user = make.user()
    user.active = False
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "邮箱或密码不正确" in text(response)
    assert not signed_in(client)


def test_remember_me_sets_a_long_lived_http_only_cookie(client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    [remember] = [c for c in cookies if c.startswith("remember_token=")]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember


def test_logout_is_post_only(as_user, make):
    client = as_user(make.user())
    assert client.get("/logout").status_code == 405
    assert signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302 and location_path(response) == "/"
    assert not signed_in(client)
    assert location_path(client.get("/dashboard")).startswith("/login?next=")


def test_login_follows_a_local_next(client, make):
    user = make.user()
    response = client.post("/login?next=/org", data={"email": user.email, "password": PASSWORD})
    assert location_path(response) == "/org"


@pytest.mark.parametrize(
    "target", ["//evil.com", "http://evil.com", "https://evil.com/x", "/\\evil.com", "javascript:alert(1)",
               "\\\\evil.com", "/\n/evil.com", "evil.com"],
)
def test_login_refuses_an_open_redirect_through_next(client, make, target):
    user = make.user()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    # Already signed in, the login page redirects too, and just as safely.
    again = client.get("/login", query_string={"next": target})
    assert again.headers["Location"] == "/dashboard"


def test_a_signed_out_visit_is_sent_to_login_with_next_and_comes_back(client, make):
    user = make.user()
    response = client.get("/account/profile")
    assert location_path(response) == "/login?next=%2Faccount%2Fprofile"
    back = client.post(location_path(response), data={"email": user.email, "password": PASSWORD})
    assert location_path(back) == "/account/profile"


# --- password reset ------------------------------------------------------------------------

def request_reset(client, email: str):
    response = client.post("/password/forgot", data={"email": email}, follow_redirects=True)
    return response


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(client, make):
    user = make.user(email="known@example.cn")
    known = request_reset(client, "known@example.cn")
    unknown = request_reset(client, "unknown@example.cn")
    assert known.status_code == unknown.status_code == 200
    assert known.request.path == unknown.request.path == "/login"
    assert "如果该邮箱已注册" in text(known) and "如果该邮箱已注册" in text(unknown)
    assert len(mails_to(user.email)) == 1
    assert mails_to("unknown@example.cn") == []
    assert count(OutboxMail) == 1


def test_reset_link_works_once(client, make):
    user = make.user(email="reset@example.cn")
    request_reset(client, "reset@example.cn")
    [mail] = mails_to(user.email)
    link = link_in(mail.body, "/password/reset/")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert location_path(response) == "/login"
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)

    second = client.get(link, follow_redirects=True)
    assert second.request.path == "/password/forgot"
    assert "重设密码链接无效或已被使用" in text(second)
    refused = client.post(link, data={"password": "Other-Lantern-77", "confirm": "Other-Lantern-77"})
    assert location_path(refused) == "/password/forgot"
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(app, client, make, monkeypatch):
    user = make.user()
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    with monkeypatch.context() as patch:
        # Signed a little longer ago than the link lives.
        patch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                      lambda self: int(time.time()) - max_age - 5)
        token = operations.make_reset_token(user)
    response = client.get(f"/password/reset/{token}", follow_redirects=True)
    assert response.request.path == "/password/forgot"
    assert "重设密码链接已过期" in text(response)
    client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert db.session.get(User, user.id).check_password(PASSWORD)


@pytest.mark.parametrize("tamper", ["signature", "payload", "salt"])
def test_a_tampered_reset_link_is_refused(app, client, make, tamper):
    user = make.user()
    victim = make.user()
    token = operations.make_reset_token(user)
    if tamper == "signature":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif tamper == "payload":
        # Someone else's id with this user's signature.
        other = operations.make_reset_token(victim)
        token = other.split(".")[0] + "." + ".".join(token.split(".")[1:])
    else:
        token = itsdangerous.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="invitation").dumps(
            {"uid": user.id, "ph": user.password_hash[-16:]})
    response = client.get(f"/password/reset/{token}", follow_redirects=True)
    assert response.request.path == "/password/forgot"
    assert "重设密码链接无效" in text(response)
    client.post(f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert db.session.get(User, user.id).check_password(PASSWORD)
    assert db.session.get(User, victim.id).check_password(PASSWORD)


def test_reset_refuses_a_weak_new_password(client, make):
    user = make.user()
    link = f"/password/reset/{operations.make_reset_token(user)}"
    response = client.post(link, data={"password": "short1A", "confirm": "short1A"})
    assert response.status_code == 422
    assert "至少需要 10 个字符" in field_error(response, "password")
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_reset_clears_the_accounts_login_lock(client, make, clock):
    user = make.user()
    for _ in range(8):
        clock.advance(seconds=61)
        client.post("/login", data={"email": user.email, "password": "Wrong-Password-1"})
    assert "锁定" in text(client.post("/login", data={"email": user.email, "password": PASSWORD}))
    client.post(f"/password/reset/{operations.make_reset_token(user)}",
                data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = client.post("/login", data={"email": user.email, "password": NEW_PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert response.status_code == 302


# --- change password and profile -------------------------------------------------------

def test_change_password_needs_the_current_one(as_user, make):
    user = make.user()
    client = as_user(user)
    response = client.post("/account/password", data={
        "current_password": "Not-My-Password-9", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "当前密码不正确" in field_error(response, "current_password")
    assert db.session.get(User, user.id).check_password(PASSWORD)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert location_path(response) == "/account/profile"
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_change_password_refuses_a_weak_one(as_user, make):
    user = make.user()
    response = as_user(user).post("/account/password", data={
        "current_password": PASSWORD, "password": "password123", "confirm": "password123"})
    assert field_error(response, "password")
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_profile_edit_saves_name_and_phone(as_user, make):
    user = make.user()
    client = as_user(user)
    assert f'value="{user.name}"' in client.get("/account/profile").get_data(as_text=True)
    response = client.post("/account/profile", data={"name": "  郑海燕 ", "phone": "13800000000"})
    assert location_path(response) == "/account/profile"
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.phone) == ("郑海燕", "13800000000")
    refused = client.post("/account/profile", data={"name": "", "phone": "1"})
    assert "此项必填" in field_error(refused, "name")
    assert db.session.get(User, user.id).name == "郑海燕"


# --- throttling --------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = datetime(2025, 3, 25, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


def fail(client, email: str, address: str = "127.0.0.1"):
    return client.post("/login", data={"email": email, "password": "Wrong-Password-1"},
                       environ_base={"REMOTE_ADDR": address})


def attempt(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_beyond_the_threshold_are_slowed_with_a_wait_in_seconds(app, client, make, clock):
    user = make.user()
    slow_after = app.config["LOGIN_SLOW_AFTER"]
    for _ in range(slow_after):
        assert "邮箱或密码不正确" in text(fail(client, user.email))
    slowed = attempt(client, user.email)
    assert re.search(r"请 \d+ 秒后再试", text(slowed)), text(slowed)
    assert not signed_in(client)
    # The slowed attempt is not counted as a failure.
    assert db.session.get(LoginThrottle, f"email:{user.email}").failures == slow_after
    clock.advance(seconds=2)
    assert attempt(client, user.email).status_code == 302


def test_the_account_is_locked_after_too_many_failures_even_for_the_right_password(app, client, make, clock):
    user = make.user()
    for _ in range(app.config["LOGIN_LOCK_AFTER"]):
        clock.advance(seconds=61)  # longer than any slow-down, so each one counts
        assert "邮箱或密码不正确" in text(fail(client, user.email, address=f"10.0.0.{_}"))
    clock.advance(seconds=61)
    locked = attempt(client, user.email, address="10.9.9.9")
    message = text(locked)
    assert "锁定" in message
    minutes = int(re.search(r"请 (\d+) 分钟后再试", message).group(1))
    assert app.config["LOGIN_LOCK_MINUTES"] - 2 <= minutes <= app.config["LOGIN_LOCK_MINUTES"]
    assert not signed_in(client)


def test_an_address_is_locked_across_different_emails(app, client, make, clock):
    user = make.user()
    for n in range(app.config["LOGIN_LOCK_AFTER"]):
        clock.advance(seconds=61)
        fail(client, f"guess{n}@example.cn", address="203.0.113.7")
    clock.advance(seconds=61)
    assert "锁定" in text(attempt(client, user.email, address="203.0.113.7"))
    # Another address is not affected.
    assert attempt(client, user.email, address="198.51.100.1").status_code == 302


def test_an_address_is_slowed_across_different_emails(app, client, make, clock):
    user = make.user()
    for n in range(app.config["LOGIN_SLOW_AFTER"]):
        fail(client, f"guess{n}@example.cn", address="203.0.113.8")
    assert re.search(r"请 \d+ 秒后再试", text(attempt(client, user.email, address="203.0.113.8")))


def test_the_lock_expires(app, client, make, clock):
    user = make.user()
    for _ in range(app.config["LOGIN_LOCK_AFTER"]):
        clock.advance(seconds=61)
        fail(client, user.email)
    clock.advance(minutes=app.config["LOGIN_LOCK_MINUTES"] - 1)
    assert "锁定" in text(attempt(client, user.email))
    clock.advance(minutes=1, seconds=1)
    assert attempt(client, user.email).status_code == 302


def test_a_wrong_password_after_a_lock_expires_does_not_lock_again_at_once(app, client, make, clock,
                                                                          monkeypatch):
    # A lock shorter than the counting window: once it has run out, counting starts afresh.
    monkeypatch.setitem(app.config, "LOGIN_LOCK_MINUTES", 5)
    monkeypatch.setitem(app.config, "LOGIN_WINDOW_MINUTES", 60)
    user = make.user()
    for _ in range(app.config["LOGIN_LOCK_AFTER"]):
        clock.advance(seconds=61)
        fail(client, user.email)
    clock.advance(minutes=6)
    assert "邮箱或密码不正确" in text(fail(client, user.email))
    assert "锁定" not in text(attempt(client, user.email))


def test_a_success_clears_the_account_counter_but_not_the_address(app, client, make, clock):
    user = make.user()
    for _ in range(app.config["LOGIN_SLOW_AFTER"] - 1):
        fail(client, user.email)
    assert attempt(client, user.email).status_code == 302
    assert db.session.get(LoginThrottle, f"email:{user.email}") is None
    assert db.session.get(LoginThrottle, "ip:127.0.0.1").failures == app.config["LOGIN_SLOW_AFTER"] - 1


def test_failures_older_than_the_window_are_forgotten(app, make, clock):
    keys = throttle.keys_for("old@example.cn", "192.0.2.1")
    for _ in range(app.config["LOGIN_LOCK_AFTER"] - 1):
        clock.advance(seconds=61)
        throttle.record_failure(keys)
    clock.advance(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
    throttle.record_failure(keys)
    assert throttle.check(keys).allowed
    assert db.session.get(LoginThrottle, keys[0]).failures == 1


def test_a_deactivated_user_is_signed_out_of_an_open_session(as_user, make):
    user = make.user()
    client = as_user(user)
    assert signed_in(client)
    user.active = False
    db.session.commit()
    assert location_path(client.get("/dashboard")).startswith("/login?next=")


def test_register_and_login_forgive_spaces_around_the_uscc_and_email(client):
    response = client.post("/register", data=registration(uscc=f" {fresh_uscc(5)} ", email=" Lin@Haixia-Optics.cn "))
    assert response.status_code == 302, field_error(response, "uscc") or field_error(response, "email")
    client.post("/logout")
    response = client.post("/login", data={"email": " lin@haixia-optics.cn ", "password": NEW_PASSWORD})
    assert location_path(response) == "/dashboard"


def test_changing_the_password_ends_other_sessions(app, make):
    """A session (or remember-me cookie) issued before a password change stops working."""
    from marketplace.accounts.operations import change_password
    from marketplace.extensions import db

    from .conftest import PASSWORD, login

    user = make.user()
    other_device = app.test_client()
    login(other_device, user)
    assert other_device.get("/dashboard").status_code == 200
    with app.test_request_context():
        change_password(user, PASSWORD, "Brand-New-Pass-77")
    db.session.commit()
    response = other_device.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_message_is_translatable_and_flashes_as_text(client):
    response = client.get("/dashboard", follow_redirects=True)
    assert "请先登录。" in response.get_data(as_text=True)


def test_proxy_fix_makes_throttling_see_the_client_address(app):
    from marketplace import create_app
    from marketplace.extensions import db

    proxied = create_app(dict(app.config, PROXY_FIX_HOPS=1))
    seen = {}

    @proxied.get("/__addr")
    def addr():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    proxied.test_client().get("/__addr", headers={"X-Forwarded-For": "203.0.113.9"},
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen["addr"] == "203.0.113.9"
    with proxied.app_context():
        db.engine.dispose()
