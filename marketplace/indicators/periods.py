"""Calendar periods (a year or one of its quarters) and how much of one has elapsed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _

MIN_YEAR, MAX_YEAR = 1985, 2100  # the Chinese patent system starts in 1985


class BadPeriod(ValueError):
    """A year or quarter the user typed cannot be a period; the message says why."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int | None = None  # 1–4, or None for the whole year

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def share_of_year(self) -> Decimal:
        """The part of an annual target this period is answerable for."""
        return Decimal(1) if self.quarter is None else Decimal(1) / Decimal(4)

    @property
    def label(self) -> str:
        if self.quarter is None:
            return _("%(year)d年", year=self.year)
        return _("%(year)d年第%(q)d季度", year=self.year, q=self.quarter)

    @property
    def short_label(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}Q{self.quarter}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def elapsed(self, on: date) -> Decimal:
        """Share of the period elapsed on `on` (inclusive): 0 before it starts, 1 once it is over."""
        if on < self.start:
            return Decimal(0)
        if on >= self.end:
            return Decimal(1)
        return Decimal((on - self.start).days + 1) / Decimal(self.days)

    def as_of(self, on: date) -> date:
        """The day a stock figure (patents in force) is measured: the period end, or today if sooner."""
        return min(self.end, on)

    def quarters(self) -> list[Period]:
        return [Period(self.year, q) for q in (1, 2, 3, 4)]


def parse_period(year_arg: str | None, quarter_arg: str | None, default_year: int) -> Period:
    """The period a request asks for. Raises BadPeriod with a message for the user."""
    year = default_year
    if year_arg not in (None, ""):
        try:
            year = int(str(year_arg).strip())
        except ValueError:
            raise BadPeriod(_("年份“%(value)s”无效：请输入四位数字年份，例如 2025。", value=year_arg)) from None
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise BadPeriod(_("年份须在 %(lo)d 到 %(hi)d 之间。", lo=MIN_YEAR, hi=MAX_YEAR))
    quarter = None
    if quarter_arg not in (None, "", "all"):
        try:
            quarter = int(str(quarter_arg).strip())
        except ValueError:
            quarter = 0
        if quarter not in (1, 2, 3, 4):
            raise BadPeriod(_("季度“%(value)s”无效：季度只能是 1 到 4。", value=quarter_arg))
    return Period(year, quarter)
