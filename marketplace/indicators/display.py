"""How an indicator's value and target read on a page: money in 万元, counts with separators."""

from __future__ import annotations

from decimal import Decimal

from ..formatting import wan
from .definitions import UNITS, Indicator, Target


def number(indicator: Indicator, value) -> str:
    if value is None:
        return "—"
    if indicator.unit == "yuan":
        return wan(value)
    value = Decimal(value)
    if indicator.unit == "percent":
        places = 3 if indicator.entered else 2
        return f"{value:,.{places}f} %"
    if indicator.unit == "per_10k":
        return f"{value:,.2f} {UNITS[indicator.unit]}"
    if value == value.to_integral_value():
        return f"{int(value):,} {UNITS[indicator.unit]}"
    return f"{value:,.2f} {UNITS[indicator.unit]}"


def target(indicator: Indicator, goal: Target | None, value=None) -> str:
    if goal is None:
        return "—"
    return f"{goal.sign} {number(indicator, goal.value if value is None else value)}"


def register(app) -> None:
    app.jinja_env.filters.update(indicator_number=number, indicator_target=target)
