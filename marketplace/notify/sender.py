"""The mail sender: drains the outbox over SMTP (or into the log in development).

The standard library's smtplib, not Flask-Mailman: the sender needs each mail's own outcome (sent,
retry later, given up) and its error text, one connection reused for a batch, and nothing else; a
wrapper would add a dependency and hide the per-message errors behind a count.

Each mail is claimed before it is sent (its next attempt moves a lease ahead in one conditional
UPDATE), so two senders never send the same mail; a sender killed mid-send leaves the mail to be
retried when the lease ends (at least once, never lost). Failures wait longer each time (BACKOFF);
a refused recipient, or the last attempt, marks the mail failed with the error kept."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..types import utcnow
from .models import OutboxMail

log = logging.getLogger(__name__)

# Seconds to wait before the next attempt, after the 1st, 2nd, … failure; then it has failed.
BACKOFF = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)  # a claimed mail is left alone this long by other senders
BATCH = 100


class ConnectionTrouble(Exception):
    """The server cannot be reached: stop this flush, every mail stays for a later one."""


@dataclass
class FlushResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __iadd__(self, other: FlushResult) -> FlushResult:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        return self

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def due_condition(now: datetime):
    return (OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
            or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now))


def due_count(now: datetime | None = None) -> int:
    return db.session.scalar(select(db.func.count()).select_from(OutboxMail)
                             .where(*due_condition(now or utcnow()))) or 0


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}", domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(mail.body)
    return message


class LogBackend:
    """Development without MAIL_SERVER: the mail is written to the log (and stays listed on /dev/mail)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        log.info("mail to %s: %s\n%s", message["To"], message["Subject"], message.get_content())


class SMTPBackend:
    """One connection for a batch, opened on the first mail."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        host, port, timeout = c["MAIL_SERVER"], int(c["MAIL_PORT"]), float(c.get("MAIL_TIMEOUT", 10))
        try:
            if c.get("MAIL_USE_SSL"):
                connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
                if c.get("MAIL_USE_TLS"):
                    connection.starttls(context=ssl.create_default_context())
            if c.get("MAIL_USERNAME"):
                connection.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        except (smtplib.SMTPException, OSError) as error:
            raise ConnectionTrouble(f"{host}:{port}: {error}") from error
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self.connection = None
            raise ConnectionTrouble(str(error)) from error


def backend_for(config):
    return SMTPBackend(config) if config.get("MAIL_SERVER") else LogBackend()


def is_permanent(error: Exception) -> bool:
    """A 5xx answer about this mail (a refused recipient or sender, rejected data) will not change."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(error, smtplib.SMTPResponseException) and code is not None and code >= 500


def _claim(mail_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(OutboxMail).where(OutboxMail.id == mail_id, *due_condition(now))
        .values(next_attempt_at=now + LEASE, attempts=OutboxMail.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return claimed.rowcount == 1


def _record_failure(mail: OutboxMail, error: Exception, now: datetime, result: FlushResult) -> None:
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    if is_permanent(error) or mail.attempts >= MAX_ATTEMPTS:
        mail.failed_at, mail.next_attempt_at = now, None
        result.failed += 1
        log.warning("mail #%s to %s failed for good: %s", mail.id, mail.to_address, mail.last_error)
    else:
        mail.next_attempt_at = now + timedelta(seconds=BACKOFF[mail.attempts - 1])
        result.retrying += 1


def flush_batch(batch: int = BATCH, now: datetime | None = None) -> FlushResult:
    """Try every mail due now (up to `batch`); each outcome is committed as it happens."""
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    result = FlushResult()
    ids = list(db.session.scalars(select(OutboxMail.id).where(*due_condition(now or utcnow()))
                                  .order_by(OutboxMail.id).limit(batch)))
    with backend_for(config) as backend:
        for mail_id in ids:
            at = now or utcnow()
            if not _claim(mail_id, at):
                continue  # another sender has it
            mail = db.session.get(OutboxMail, mail_id)
            try:
                backend.send(build_message(mail, sender))
            except ConnectionTrouble as error:
                _record_failure(mail, error, at, result)
                db.session.commit()
                log.warning("mail server unreachable, flush stopped: %s", error)
                break
            except (smtplib.SMTPException, OSError) as error:
                _record_failure(mail, error, at, result)
            else:
                mail.sent_at, mail.next_attempt_at, mail.last_error = at, None, ""
                result.sent += 1
            db.session.commit()
    return result


def flush(now: datetime | None = None) -> FlushResult:
    """Send everything due, batch after batch, until nothing due is left or the server is down."""
    total = FlushResult()
    while True:
        result = flush_batch(now=now)
        total += result
        if result.handled < BATCH or result.retrying:
            return total
