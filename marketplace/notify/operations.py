"""Send mail (to the outbox) and notify users in the site."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func

from ..extensions import db
from ..types import utcnow
from .models import Notification, OutboxMail


def send_mail(to_address: str, subject: str, body: str) -> OutboxMail:
    mail = OutboxMail(to_address=to_address, subject=subject, body=body)
    db.session.add(mail)
    if current_app.config["ENV_NAME"] != "production":
        current_app.logger.info("mail to %s: %s\n%s", to_address, subject, body)
    return mail


def notify_user(user, text: str, link: str = "", mail: bool = True) -> Notification:
    note = Notification(user_id=user.id, text=text, link=link)
    db.session.add(note)
    if mail:
        body = text + (f"\n\n{link}" if link else "")
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
