"""Writes on inquiries: open a thread (one per listing and asking organisation), post a
message, mark a thread read. Each new message notifies the other side (inbox + mail outbox)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ...accounts.operations import ensure_can_act
from ...errors import DomainError, PermissionDenied
from ...extensions import db
from ...listings.models import LIVE_STATUSES, Listing
from ...notify.models import Notification
from ...notify.operations import notify_organization
from ...types import utcnow
from ...urls import external_url
from .models import Message, Thread, ThreadRead

MAX_MESSAGE_LENGTH = 5000


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写消息内容。"), field="body")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise DomainError(_("消息最多 %(n)d 字。", n=MAX_MESSAGE_LENGTH), field="body")
    return body


def inquiry_refusal(listing: Listing, user) -> str | None:
    """Why this user may not open an inquiry on this listing, or None."""
    if not getattr(user, "is_authenticated", False):
        return _("请先登录。")
    if not user.can_act:
        return _("您的机构尚未通过平台审核，暂不能发起咨询。")
    if listing.owner_id == user.organization_id:
        return _("这是本机构的挂牌。")
    if listing.status not in LIVE_STATUSES or not listing.can_view(user):
        return _("该挂牌当前不接受咨询（%(status)s）。", status=listing.status.label)
    return None


def existing_thread(listing: Listing, user) -> Thread | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(db.select(Thread).where(Thread.listing_id == listing.id,
                                                     Thread.asker_org_id == user.organization_id))


def open_thread(listing: Listing, user, body: str, *, at: datetime | None = None) -> Thread:
    """Ask the holder about a listing: the organisation's thread on it, created on first use."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("请先登录。"))
    ensure_can_act(user)
    refusal = inquiry_refusal(listing, user)
    if refusal:
        raise DomainError(refusal)
    body = _clean_body(body)
    thread = existing_thread(listing, user)
    if thread is None:
        thread = Thread(listing_id=listing.id, asker_org_id=user.organization_id, holder_org_id=listing.owner_id,
                        created_at=at or utcnow(), last_message_at=at or utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(thread)
                db.session.flush()
        except IntegrityError:  # a colleague opened it at the same moment: use theirs
            thread = existing_thread(listing, user)
            if thread is None:
                raise
    post_message(thread, user, body, at=at)
    return thread


def post_message(thread: Thread, user, body: str, *, deal=None, at: datetime | None = None) -> Message:
    side = thread.side_of(user)
    if side is None:
        raise PermissionDenied(_("您不是该咨询的一方。"))
    ensure_can_act(user)
    body = _clean_body(body)
    when = at or utcnow()
    message = Message(thread=thread, author_user_id=user.id, author_org_id=user.organization_id, body=body,
                      deal_id=getattr(deal, "id", None), created_at=when)
    db.session.add(message)
    thread.last_message_at = when
    db.session.flush()
    mark_read(thread, user, at=when)
    other = thread.asker if side == "holder" else thread.holder
    notify_organization(other, _("%(org)s 就“%(title)s”发来新消息：%(text)s", org=user.organization.name,
                                 title=thread.listing.title, text=_excerpt(body)), thread_link(thread))
    return message


def thread_link(thread: Thread) -> str:
    return external_url("inquiries.thread", thread_id=thread.id)


def _excerpt(body: str, length: int = 60) -> str:
    body = " ".join(body.split())
    return body if len(body) <= length else body[:length] + "…"


def mark_read(thread: Thread, user, *, at: datetime | None = None) -> None:
    """The user has seen every message so far; the inbox notifications about it are read too."""
    last_id = db.session.scalar(db.select(db.func.max(Message.id)).where(Message.thread_id == thread.id)) or 0
    read = db.session.get(ThreadRead, (thread.id, user.id))
    if read is None:
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user.id, last_read_message_id=last_id,
                                  read_at=at or utcnow()))
    elif read.last_read_message_id < last_id:
        read.last_read_message_id, read.read_at = last_id, at or utcnow()
    db.session.execute(db.update(Notification)
                       .where(Notification.user_id == user.id, Notification.read_at.is_(None),
                              Notification.link == thread_link(thread))
                       .values(read_at=utcnow()))
    db.session.flush()
