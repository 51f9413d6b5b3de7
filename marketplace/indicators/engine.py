"""The indicator engine: figures for a period, judged against their targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from ..dates import business_today
from ..extensions import db
from . import targets
from .definitions import UNITS, Figure, Indicator, Target, all_indicators
from .ledger_figures import LedgerFacts
from .models import IndicatorValue
from .periods import Period
from .registry_figures import years as registry_years

STATUSES = {
    "met": _l("已达标"), "on_track": _l("进度正常"), "behind": _l("落后"), "not_started": _l("未开始"),
    "no_data": _l("无数据"), "report": _l("仅统计"),
}
STATUS_STYLES = {"met": "success", "on_track": "info", "behind": "danger", "not_started": "secondary",
                 "no_data": "warning", "report": "light"}


class Context:
    """What every indicator of one request shares: today, the ledger read once, operator values."""

    def __init__(self, today: date | None = None):
        self.today = today or business_today()
        self.ledger = LedgerFacts()
        self.population = targets.population()
        self._operator: dict[tuple[int, str], IndicatorValue] | None = None
        self._verification = None

    @property
    def verification(self):
        """The ledger chain check, run once per request: every ledger figure carries its result."""
        if self._verification is None:
            from ..ledger.operations import verify_chain

            self._verification = verify_chain()
        return self._verification

    @property
    def ledger_verified(self) -> bool:
        return self.verification.ok

    @property
    def ledger_warning(self) -> str | None:
        """What every figure drawn from the ledger must carry while the chain does not verify."""
        return self.verification.warning

    def operator_value(self, year: int, key: str) -> IndicatorValue | None:
        if self._operator is None:
            latest: dict[tuple[int, str], IndicatorValue] = {}
            for row in db.session.scalars(db.select(IndicatorValue).order_by(IndicatorValue.id)):
                latest[(row.year, row.key)] = row
            self._operator = latest
        return self._operator.get((year, key))


@dataclass(frozen=True)
class Evaluation:
    status: str
    goal: Decimal | None = None  # the target for this period (pro-rated for a quarter)
    expected: Decimal | None = None  # what should be reached by today
    progress: Decimal | None = None  # value ÷ goal, in per cent

    @property
    def label(self) -> str:
        return str(STATUSES[self.status])

    @property
    def style(self) -> str:
        return STATUS_STYLES[self.status]


def evaluate(target: Target | None, period: Period, value, today: date) -> Evaluation:
    """met / on track / behind, judged against the share of the period elapsed; a flow target
    (annual basis) is pro-rated for a quarter, a level (share, stock) is not."""
    if period.start > today:
        return Evaluation("not_started", goal=_goal(target, period))
    if target is None:
        return Evaluation("report")
    goal = _goal(target, period)
    if value is None:
        return Evaluation("no_data", goal=goal)
    value = Decimal(value)
    progress = (Decimal(100) * value / goal).quantize(Decimal("0.1")) if goal else None
    if target.is_met_by(value, goal):
        return Evaluation("met", goal, goal, progress)
    if target.basis == "level":
        return Evaluation("behind", goal, goal, progress)
    elapsed = period.elapsed(today)
    expected = (goal * elapsed).quantize(Decimal("0.01"))
    status = "on_track" if elapsed < 1 and value >= expected else "behind"
    return Evaluation(status, goal, expected, progress)


def _goal(target: Target | None, period: Period) -> Decimal | None:
    if target is None:
        return None
    return target.value * period.share_of_year if target.basis == "annual" else target.value


@dataclass(frozen=True)
class Row:
    indicator: Indicator
    period: Period  # the period the value belongs to (the year, for annual-only indicators)
    figure: Figure
    target: Target | None
    evaluation: Evaluation
    platform: Figure | None = None  # 本平台口径 beside an official figure

    @property
    def value(self):
        return self.figure.value


def measure(indicator: Indicator, period: Period, ctx: Context) -> Row:
    if indicator.annual_only:
        period = Period(period.year)
    figure = indicator.compute(period, ctx)
    target = targets.target_for(indicator)
    platform = indicator.platform(period, ctx) if indicator.platform else None
    return Row(indicator, period, figure, target, evaluate(target, period, figure.value, ctx.today), platform)


def measure_all(period: Period, ctx: Context | None = None) -> list[Row]:
    ctx = ctx or Context()
    return [measure(indicator, period, ctx) for indicator in all_indicators()]


def trend_years(selected: int, ctx: Context, span: int = 5) -> list[int]:
    """The years the trend chart shows: up to `span` years ending with the one selected."""
    first = min([*ctx.ledger.years(), *registry_years(), selected])
    return list(range(max(first, selected - span + 1), selected + 1))


def trend(selected: int, ctx: Context | None = None) -> dict:
    """Chart data: the chart indicators over recent years and over the quarters of the year."""
    ctx = ctx or Context()
    charted = [i for i in all_indicators() if i.chart]
    years = trend_years(selected, ctx)
    quarters = Period(selected).quarters()

    def series(periods_):
        return [{"key": i.key, "name": str(i.label), "unit": str(UNITS[i.unit]),
                 "values": [_plain(i, i.compute(p, ctx).value) for p in periods_]} for i in charted]

    return {"year": selected,
            "years": {"labels": [str(y) for y in years], "series": series([Period(y) for y in years])},
            "quarters": {"labels": [f"Q{p.quarter}" for p in quarters], "series": series(quarters)}}


def _plain(indicator: Indicator, value):
    """A number for a chart: money in 万元, everything else as is."""
    if value is None:
        return None
    if indicator.unit == "yuan":
        return float((Decimal(value) / Decimal(10000)).quantize(Decimal("0.01")))
    return float(value) if isinstance(value, Decimal) else value
