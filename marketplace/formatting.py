"""How money, dates and times are shown: the Chinese way, in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_datetime as babel_format_datetime
from flask_babel import gettext as _


def money(value) -> str:
    """¥1,234,567.00"""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def wan(value, places: int = 2) -> str:
    """Amounts in 万元 for statistics: 12,345.68 万元"""
    if value is None:
        return "—"
    amount = Decimal(value) / Decimal(10000)
    return _("%(amount)s 万元", amount=f"{amount:,.{places}f}")


def date_cn(value) -> str:
    """2025年3月25日"""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return babel_format_datetime(value, "yyyy年M月d日")
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def datetime_cn(value) -> str:
    """2025-03-25 14:05 in Asia/Shanghai."""
    if value is None:
        return "—"
    return babel_format_datetime(value, "yyyy-MM-dd HH:mm")


def register(app) -> None:
    app.jinja_env.filters.update(money=money, wan=wan, date_cn=date_cn, datetime_cn=datetime_cn)
