"""What the search feature stores in the database: the index outbox and saved searches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..types import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    """"Listing N changed": written in the transaction of the change, deleted after the index commit."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(index=True)  # no FK: the row outlives nothing it points at
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SavedSearch(db.Model):
    """A search a user keeps; a new listing matching it is sent in a daily digest."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(500), default="")
    filters: Mapped[dict] = mapped_column(JSON, default=dict)  # facet field → list of values
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Listings published after this have not been looked at yet; a digest moves it forward.
    watermark: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_owned_by(self, user) -> bool:
        return user.is_authenticated and user.id == self.user_id
