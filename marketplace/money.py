"""Money typed by people: one parser for every amount (prices, fees, budgets, loan amounts,
premiums, appraisals…) and the one form field that uses it.

Accepted: 1000, 1,000, 1,000.50, ¥1,000 元, full-width digits (１０００), 50万 / 50 万元. Refused,
with a message for the field: more than two decimals (never rounded silently), thousands
separators in the wrong place, exponents, negative amounts, absurd magnitudes."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import StopValidation

from .errors import DomainError

MAX_AMOUNT = Decimal("10000000000")  # ¥100 亿: anything above is a typing error
CENT = Decimal("0.01")
WAN = Decimal("10000")

_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


class MoneyError(ValueError):
    """Why a typed amount is not money; the message is for the user."""


def _number(text: str) -> Decimal:
    """The amount in `text`, exactly as typed (no rounding), or MoneyError."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = re.sub(r"\s+", "", cleaned).lstrip("¥").removeprefix("人民币").lstrip("¥")
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-")
    unit = Decimal(1)
    for suffix, factor in (("万元", WAN), ("万", WAN), ("元", Decimal(1))):
        if cleaned.endswith(suffix):
            cleaned, unit = cleaned[: -len(suffix)], factor
            break
    if "," in cleaned and not _GROUPED.match(cleaned):
        raise MoneyError(_("千分位逗号的位置不对：应每三位一个逗号，如 1,000,000。"))
    digits = cleaned.replace(",", "")
    if not _PLAIN.match(digits):
        raise MoneyError(_("请输入金额（元），如 500000、500,000 或 50万。"))
    try:
        amount = Decimal(digits) * unit
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise MoneyError(_("请输入金额（元），如 500000。")) from error
    return -amount if negative else amount


def parse_money(value, field: str | None = None, *, allow_zero: bool = False,
                allow_negative: bool = False) -> Decimal | None:
    """Yuan with at most two decimals, or None when nothing was typed. Raises DomainError naming
    `field` (so the message appears beside it) when the text is not an amount this site accepts."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, Decimal | int):
            amount = Decimal(value)
            if not amount.is_finite():
                raise MoneyError(_("请输入金额（元），如 500000。"))
        else:
            amount = _number(str(value))
        if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
            raise MoneyError(_("金额最多保留两位小数（到分）：“%(value)s”请核对后重新输入。", value=str(value).strip()))
        if amount < 0 and not allow_negative:
            raise MoneyError(_("金额不能为负数。"))
        if amount == 0 and not allow_zero:
            raise MoneyError(_("金额必须大于零。"))
        if abs(amount) > MAX_AMOUNT:
            raise MoneyError(_("金额超过 100 亿元，请核对是否多输了位数。"))
    except MoneyError as error:
        raise DomainError(str(error), field=field) from error
    return amount.quantize(CENT)


class MoneyField(StringField):
    """An amount in yuan, parsed by `parse_money`: `.data` is a Decimal (or None when empty), the
    page shows what the user typed, and a bad amount is this field's error. Whether zero is
    acceptable is the operation's rule, checked there."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self._problem: str | None = None

    def process_formdata(self, valuelist):
        self._problem = None
        text = valuelist[0] if valuelist else ""
        if len(text) > 40:
            self.data, self._problem = None, str(_l("金额过长。"))
            return
        try:
            self.data = parse_money(text, allow_zero=True)
        except DomainError as error:
            self.data, self._problem = None, error.message

    def pre_validate(self, form):
        if self._problem:
            raise StopValidation(self._problem)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:.2f}" if isinstance(self.data, Decimal) else str(self.data)
