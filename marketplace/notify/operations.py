"""Send mail (to the outbox) and notify users in the site."""

from __future__ import annotations

from flask import current_app, g, has_app_context
from sqlalchemy import func

from ..extensions import db
from ..types import utcnow
from ..urls import absolute
from .models import Notification, OutboxMail

MAIL_WRITTEN_KEY = "mail_written"  # set on `g`: the request queues a flush when it ends


def send_mail(to_address: str, subject: str, body: str) -> OutboxMail:
    """Put a mail in the outbox, in the caller's transaction; the sender delivers it after commit."""
    mail = OutboxMail(to_address=to_address, subject=subject, body=body)
    db.session.add(mail)
    if has_app_context():
        g.setdefault(MAIL_WRITTEN_KEY, True)
    return mail


def notify_user(user, text: str, link: str = "", mail: bool = True) -> Notification:
    note = Notification(user_id=user.id, text=text, link=link)
    db.session.add(note)
    if mail:
        body = text + (f"\n\n{absolute(link)}" if link else "")
        send_mail(user.email, f"[{current_app.config['SITE_NAME']}] {text[:80]}", body)
    return note


def notify_organization(organization, text: str, link: str = "", mail: bool = True) -> None:
    for user in organization.users:
        if user.active:
            notify_user(user, text, link, mail=mail)


def unread_count(user) -> int:
    return db.session.scalar(
        db.select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0


def mark_all_read(user) -> None:
    db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
