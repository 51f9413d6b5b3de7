"""The mail sender: the outbox delivered over real SMTP (aiosmtpd), retries, failures, the command."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.notify import sender
from marketplace.notify.models import MailStatus, OutboxMail
from marketplace.notify.operations import notify_user, send_mail
from marketplace.types import utcnow

from .conftest import free_port
from .support import mails_to

NEW_PASSWORD = "Tide-Lantern-2026"

def queue(to: str, subject: str = "测试邮件", body: str = "正文") -> OutboxMail:
    mail = send_mail(to, subject, body)
    db.session.commit()
    return mail


def test_a_password_reset_arrives_with_an_absolute_link_that_works(client, make, mail_to_smtp):
    user = make.user(email="forgot@example.cn")
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    # The request queued a flush; huey (immediate here) sent it before the response left.
    [message] = mail_to_smtp.to(user.email)
    assert message["Subject"] == "重设您的密码"
    assert "noreply@ip-pool.example.cn" in message["From"]
    body = message.get_content()
    link = re.search(r"(\S+/password/reset/\S+)", body).group(1)
    assert link.startswith("http://localhost/password/reset/")  # SITE_URL, not the request's host
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    login = client.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302 and "/login" not in login.headers["Location"]
    [mail] = mails_to(user.email)
    assert mail.status == MailStatus.sent and mail.attempts == 1 and mail.last_error == ""


def test_links_come_from_site_url_even_when_the_request_names_another_host(client, make, mail_to_smtp,
                                                                            monkeypatch, app):
    monkeypatch.setitem(app.config, "SITE_URL", "https://ip.example.cn/pool")
    user = make.user(email="host@example.cn")
    client.post("/password/forgot", data={"email": user.email}, headers={"Host": "evil.example"})
    body = mail_to_smtp.to(user.email)[0].get_content()
    assert "https://ip.example.cn/pool/password/reset/" in body and "evil.example" not in body


def test_notification_mail_links_are_absolute(app, make):
    user = make.user()
    notify_user(user, "您的挂牌有新询价", "/deals/7")
    db.session.commit()
    [mail] = mails_to(user.email)
    assert "http://localhost/deals/7" in mail.body


def test_a_server_that_is_down_means_a_retry_later_with_the_error_kept(app, make, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    mail = queue("later@example.cn")
    now = utcnow()
    result = sender.flush(now=now)
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    db.session.refresh(mail)
    assert mail.status == MailStatus.pending and mail.attempts == 1
    assert "Connection refused" in mail.last_error or "Errno" in mail.last_error
    assert mail.next_attempt_at == now + timedelta(seconds=sender.BACKOFF[0])
    assert sender.flush(now=now + timedelta(seconds=10)).handled == 0  # backing off
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)  # the server is back
    assert sender.flush(now=now + timedelta(seconds=31)).sent == 1
    db.session.refresh(mail)
    assert mail.status == MailStatus.sent and mail.attempts == 2 and mail.last_error == ""
    assert len(smtp_server.to("later@example.cn")) == 1


def test_the_delay_grows_and_the_last_attempt_fails_for_good(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    mail = queue("never@example.cn")
    at = utcnow()
    delays = []
    for _ in range(sender.MAX_ATTEMPTS):
        sender.flush(now=at)
        db.session.refresh(mail)
        if mail.next_attempt_at is not None:
            delays.append((mail.next_attempt_at - at).total_seconds())
            at = mail.next_attempt_at
    assert delays == list(sender.BACKOFF)
    assert mail.status == MailStatus.failed and mail.attempts == sender.MAX_ATTEMPTS
    assert mail.failed_at is not None and mail.last_error
    assert sender.flush(now=at + timedelta(days=1)).handled == 0  # given up: never tried again


def test_a_refused_recipient_fails_at_once_and_the_others_still_go(app, mail_to_smtp):
    refused = queue("nobody@refused.example")
    fine = queue("somebody@example.cn")
    result = sender.flush()
    assert (result.sent, result.failed) == (1, 1)
    db.session.refresh(refused)
    db.session.refresh(fine)
    assert refused.status == MailStatus.failed and "550" in refused.last_error
    assert fine.status == MailStatus.sent
    assert [m["To"] for m in mail_to_smtp.messages] == ["somebody@example.cn"]


def test_two_senders_never_send_the_same_mail(app, mail_to_smtp):
    mail = queue("once@example.cn")
    now = utcnow()
    assert sender._claim(mail.id, now) is True
    assert sender._claim(mail.id, now) is False  # the second sender sees the lease
    assert sender.flush(now=now).handled == 0
    # The first sender died after its claim: after the lease the mail goes (at least once, never lost).
    assert sender.flush(now=now + sender.LEASE + timedelta(seconds=1)).sent == 1
    assert len(mail_to_smtp.to("once@example.cn")) == 1


def test_mail_flush_command_sends_every_due_mail(runner, mail_to_smtp):
    for n in range(3):
        queue(f"flush{n}@example.cn", subject=f"第{n}封")
    result = runner.invoke(args=["mail", "flush"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 mail(s) sent, 0 to retry later, 0 failed, 0 still due")
    assert sorted(m["Subject"] for m in mail_to_smtp.messages) == ["第0封", "第1封", "第2封"]


def test_without_a_mail_server_development_writes_mail_to_the_log(app, caplog):
    mail = queue("dev@example.cn", subject="开发环境", body="看日志")
    with caplog.at_level("INFO", logger="marketplace.notify.sender"):
        assert sender.flush().sent == 1
    assert "dev@example.cn" in caplog.text and "看日志" in caplog.text
    db.session.refresh(mail)
    assert mail.status == MailStatus.sent


@pytest.mark.parametrize("env, listed", [("development", True), ("production", False), ("testing", False)])
def test_the_outbox_page_exists_only_in_development(app, env, listed):
    from marketplace import create_app

    other = create_app(dict(app.config, ENV_NAME=env))
    queue("page@example.cn", subject="发件箱页面")
    response = other.test_client().get("/dev/mail")
    if listed:
        assert response.status_code == 200 and "发件箱页面" in response.get_data(as_text=True)
    else:
        assert response.status_code == 404

