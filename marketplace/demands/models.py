"""A technology demand: what an enterprise needs, its budget, the deal kinds it wants, until when."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, OrgKind, User
from ..dates import business_today
from ..extensions import db
from ..listings.models import Industry, ListingKind
from ..types import Money, StrEnumType, UTCDateTime, utcnow


class DemandStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"

    @property
    def label(self) -> str:
        return str({"draft": _l("草稿"), "open": _l("征集中"), "closed": _l("已关闭")}[self])


class Demand(db.Model):
    __tablename__ = "demand"
    __table_args__ = (
        CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min_not_negative"),
        CheckConstraint("budget_max IS NULL OR budget_min IS NULL OR budget_max >= budget_min", name="budget_ordered"),
        Index("ix_demand_status_org", "status", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[DemandStatus] = mapped_column(StrEnumType(DemandStatus), default=DemandStatus.draft)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    industry: Mapped[Industry] = mapped_column(StrEnumType(Industry), default=Industry.other)
    ipc_hint: Mapped[list[str]] = mapped_column(JSON, default=list)  # canonical subclasses, e.g. ["H01M"]
    budget_min: Mapped[Decimal | None] = mapped_column(Money())
    budget_max: Mapped[Decimal | None] = mapped_column(Money())
    wanted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # ListingKind values; empty = any
    deadline: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Match digests: listings published after the watermark are new to this demand.
    watermark: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def kinds(self) -> list[ListingKind]:
        return [ListingKind(k) for k in self.wanted_kinds or []]

    @property
    def is_open(self) -> bool:
        return self.status == DemandStatus.open and (self.deadline is None or self.deadline >= business_today())

    # --- who may do what --------------------------------------------------------------

    def is_owned_by(self, user) -> bool:
        return bool(user.is_authenticated and user.organization_id == self.organization_id)

    def can_view(self, user) -> bool:
        """Open demands are seen by signed-in members (holders answer them); drafts and closed ones
        by the enterprise itself and operators."""
        if not user.is_authenticated:
            return False
        if self.is_owned_by(user) or user.is_operator:
            return True
        return self.status == DemandStatus.open

    def can_edit(self, user) -> bool:
        return self.is_owned_by(user) and self.status != DemandStatus.closed

    @staticmethod
    def can_create(user) -> bool:
        return bool(user.is_authenticated and user.organization.kind == OrgKind.enterprise)

    def __repr__(self) -> str:
        return f"<Demand {self.id} {self.status.value}>"
