"""The business calendar: one "today" (the date in Asia/Shanghai, whatever the server's zone),
one rule for adding months and years, and the range a date typed by a person must fall in.

Every feature asks this module. Tests move the clock by replacing `business_now`."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The Chinese patent system starts on 1985-04-01; nothing a person records here is older.
EARLIEST = date(1985, 1, 1)
MAX_YEARS_AHEAD = 30  # the longest term a patent can still run (20 years) plus margin


def business_now() -> datetime:
    """The current moment, in Asia/Shanghai."""
    return datetime.now(UTC).astimezone(SHANGHAI)


def business_today() -> date:
    """Today's date where the business happens: deadlines, terms, the ledger's dates."""
    return business_now().date()


def business_date(moment: datetime) -> date:
    """The business date of an aware moment (a timestamp stored in UTC)."""
    return moment.astimezone(SHANGHAI).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); where that month has no such day, its last day
    (31 March + 1 month = 30 April; 29 February + 12 months = 28 February in a common year).
    This is how the Implementing Regulations count periods in months and years."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The anniversary `years` later: 29 February falls on 28 February in a common year."""
    return add_months(day, 12 * years)


def check_date(value: date | None, field: str, what: str, *, future: bool = False,
               today: date | None = None) -> None:
    """Refuse a date outside what the business can mean, naming `field`: before 1985, after
    today for something that has happened (`future=False`), or absurdly far ahead (year 9999)."""
    from .errors import DomainError

    if value is None:
        return
    today = today or business_today()
    if value < EARLIEST:
        raise DomainError(_("%(what)s不能早于 %(year)d 年。", what=what, year=EARLIEST.year), field=field)
    if not future and value > today:
        raise DomainError(_("%(what)s不能晚于今天（%(today)s）。", what=what, today=today.isoformat()), field=field)
    if value > add_years(today, MAX_YEARS_AHEAD):
        raise DomainError(_("%(what)s %(value)s 不合理，请核对年份。", what=what, value=value.isoformat()), field=field)
