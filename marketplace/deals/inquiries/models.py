"""Inquiries (咨询): one conversation per listing and asking organisation, with the holder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organization, User
from ...extensions import db
from ...listings.models import Listing
from ...types import UTCDateTime, utcnow


class Thread(db.Model):
    __tablename__ = "inquiry_thread"
    __table_args__ = (
        UniqueConstraint("listing_id", "asker_org_id", name="uq_inquiry_thread_listing_asker"),
        CheckConstraint("asker_org_id != holder_org_id", name="two_parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    listing: Mapped[Listing] = relationship()
    asker: Mapped[Organization] = relationship(foreign_keys=[asker_org_id])
    holder: Mapped[Organization] = relationship(foreign_keys=[holder_org_id])
    messages: Mapped[list[Message]] = relationship(back_populates="thread", order_by="Message.id",
                                                   cascade="all, delete-orphan")

    def side_of(self, user) -> str | None:
        if not getattr(user, "is_authenticated", False):
            return None
        if user.organization_id == self.holder_org_id:
            return "holder"
        if user.organization_id == self.asker_org_id:
            return "asker"
        return None

    def can_view(self, user) -> bool:
        return self.side_of(user) is not None

    def other_org(self, user) -> Organization:
        return self.asker if self.side_of(user) == "holder" else self.holder

    def unread_for(self, user) -> int:
        return unread_counts(user, [self.id]).get(self.id, 0)

    def __repr__(self) -> str:
        return f"<Thread {self.id} listing={self.listing_id} asker={self.asker_org_id}>"


class Message(db.Model):
    __tablename__ = "inquiry_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("inquiry_thread.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    body: Mapped[str] = mapped_column(Text)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id"))  # a proposal made from the thread
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    thread: Mapped[Thread] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    author_org: Mapped[Organization] = relationship()


class ThreadRead(db.Model):
    """How far each user has read each thread (the id of the last message seen)."""

    __tablename__ = "inquiry_read"

    thread_id: Mapped[int] = mapped_column(ForeignKey("inquiry_thread.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def threads_of(user):
    """SQL for the threads the user's organisation takes part in."""
    return db.select(Thread).where((Thread.holder_org_id == user.organization_id)
                                   | (Thread.asker_org_id == user.organization_id))


def unread_counts(user, thread_ids=None) -> dict[int, int]:
    """thread id → messages from the other side this user has not seen yet."""
    read_upto = func.coalesce(ThreadRead.last_read_message_id, 0)
    query = (db.select(Message.thread_id, func.count())
             .join(Thread, Thread.id == Message.thread_id)
             .outerjoin(ThreadRead, (ThreadRead.thread_id == Thread.id) & (ThreadRead.user_id == user.id))
             .where((Thread.holder_org_id == user.organization_id) | (Thread.asker_org_id == user.organization_id),
                    Message.author_org_id != user.organization_id, Message.id > read_upto)
             .group_by(Message.thread_id))
    if thread_ids is not None:
        query = query.where(Message.thread_id.in_(list(thread_ids)))
    return dict(db.session.execute(query).all())


def total_unread(user) -> int:
    return sum(unread_counts(user).values())
