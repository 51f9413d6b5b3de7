"""Writes on indicators: an operator enters a year's values; each change becomes a new row."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..dates import business_today
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from . import periods
from .definitions import OPERATOR_KEYS, REGISTRY
from .models import IndicatorValue

MAX_VALUE = Decimal("99999999999999")


def parse_value(key: str, raw) -> Decimal | None:
    """The number an operator typed for an indicator; None when left blank. Raises DomainError."""
    indicator = REGISTRY[key]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace(",", "").replace("，", "").rstrip("%％").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("“%(raw)s”不是数字。", raw=raw), field=key) from None
    if not value.is_finite():
        raise DomainError(_("“%(raw)s”不是数字。", raw=raw), field=key)
    if value < 0:
        raise DomainError(_("不能为负数。"), field=key)
    if indicator.integer and value != value.to_integral_value():
        raise DomainError(_("请填写整数。"), field=key)
    if indicator.unit == "percent" and value > 100:
        raise DomainError(_("比例以百分数填写，不能超过 100。"), field=key)
    if value > MAX_VALUE:
        raise DomainError(_("数值过大。"), field=key)
    if value.as_tuple().exponent < -4:
        raise DomainError(_("最多保留四位小数。"), field=key)
    return value


def check_year(year: int) -> None:
    if year > business_today().year:
        raise DomainError(_("不能填报未来年份（%(year)d年）的数据。", year=year))
    if year < periods.MIN_YEAR:
        raise DomainError(_("年份须不早于 %(year)d 年。", year=periods.MIN_YEAR))


def current_values(year: int) -> dict[str, IndicatorValue]:
    latest: dict[str, IndicatorValue] = {}
    for row in db.session.scalars(db.select(IndicatorValue).where(IndicatorValue.year == year)
                                  .order_by(IndicatorValue.id)):
        latest[row.key] = row
    return latest


def history(year: int | None = None) -> list[IndicatorValue]:
    query = db.select(IndicatorValue).order_by(IndicatorValue.year.desc(), IndicatorValue.key, IndicatorValue.id.desc())
    if year is not None:
        query = query.where(IndicatorValue.year == year)
    return list(db.session.scalars(query))


def record_values(year: int, values: dict[str, object], user, note: str = "") -> list[IndicatorValue]:
    """Append a row for each value that differs from the current one; blanks change nothing.
    Every value is checked before anything is written."""
    if not (getattr(user, "is_authenticated", False) and user.is_operator):
        raise PermissionDenied(_("只有平台运营人员可以填报指标。"))
    check_year(year)
    unknown = set(values) - set(OPERATOR_KEYS)
    if unknown:
        raise DomainError(_("未知指标：%(keys)s", keys="、".join(sorted(unknown))))
    parsed = {key: parse_value(key, raw) for key, raw in values.items()}
    current = current_values(year)
    written = []
    for key in OPERATOR_KEYS:
        value = parsed.get(key)
        if value is None:
            continue
        existing = current.get(key)
        if existing is not None and Decimal(existing.value) == value:
            continue
        row = IndicatorValue(year=year, key=key, value=value, note=(note or "").strip()[:500], entered_by_id=user.id)
        db.session.add(row)
        written.append(row)
    db.session.flush()
    return written
