"""Indicator values an operator enters for a year; every change is a new row (the latest counts)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..types import UTCDateTime, utcnow


class IndicatorValue(db.Model):
    """One entry of an operator-entered indicator for a year. Rows are never changed: a
    correction is a new row, so the history shows who entered what, and when."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("year >= 1985 AND year <= 2100", name="year_range"),
        Index("ix_indicator_value_year_key", "year", "key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entered_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<IndicatorValue {self.year} {self.key}={self.value}>"


class IndicatorValueIsAppendOnly(RuntimeError):
    pass


@event.listens_for(IndicatorValue, "before_update")
def _refuse_update(mapper, connection, target):
    raise IndicatorValueIsAppendOnly("indicator values are never changed: append a new row")
