"""One money parser for every amount: separators and full-width digits accepted, more than two
decimals refused (never rounded), absurd and negative amounts refused; every money field of every
form uses it, so a budget and a price accept and refuse the same text."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import marketplace
from marketplace.demands.models import Demand
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind
from marketplace.money import MoneyField, parse_money
from tests.support import field_error


@pytest.mark.parametrize("typed, amount", [
    ("1000", "1000.00"), ("1,000", "1000.00"), ("1,234,567.89", "1234567.89"), ("¥1,000 元", "1000.00"),
    ("１，０００", "1000.00"), ("１２３４.５", "1234.50"), ("￥ 80,000", "80000.00"), ("50万", "500000.00"),
    ("1.5 万元", "15000.00"), ("1.500", "1.50"), (" 42000 ", "42000.00"),
    (Decimal("12.3"), "12.30"), (0, "0.00"),
])
def test_amounts_people_type_are_read_exactly(typed, amount):
    assert parse_money(typed, "x", allow_zero=True) == Decimal(amount)


@pytest.mark.parametrize("typed, message", [
    ("1.005", "两位小数"),  # never rounded to 1.01
    ("1000.001", "两位小数"),
    ("1.2345678万", "两位小数"),  # 12,345.678 yuan
    ("1,00", "千分位"), ("10,0000", "千分位"), (",100", "千分位"),
    ("1e5", "请输入金额"), ("abc", "请输入金额"), ("1..2", "请输入金额"), ("NaN", "请输入金额"), ("Infinity", "请输入金额"),
    ("-5", "不能为负数"), ("－5", "不能为负数"),
    ("99999999999", "100 亿"), ("100000000000000000000", "100 亿"), ("200万万", "请输入金额"),
])
def test_bad_amounts_are_refused_with_a_reason(typed, message):
    with pytest.raises(DomainError) as refused:
        parse_money(typed, "budget_min", allow_zero=True)
    assert message in refused.value.message and refused.value.field == "budget_min"


def test_zero_and_negative_are_the_callers_rule():
    assert parse_money("0", "fee", allow_zero=True) == 0
    with pytest.raises(DomainError, match="大于零"):
        parse_money("0", "price")
    assert parse_money("-5", "adjustment", allow_negative=True) == Decimal("-5.00")
    assert parse_money("", "price") is None and parse_money(None, "price") is None


def _forms() -> list[type[FlaskForm]]:
    found = []
    for module_info in pkgutil.walk_packages(marketplace.__path__, "marketplace."):
        if not module_info.name.endswith("forms"):
            continue
        module = importlib.import_module(module_info.name)
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__]
    return found


def test_every_money_field_of_every_form_is_a_money_field(app):
    """A field labelled in yuan (元) is parsed by the one parser, in every form of the site."""
    forms = _forms()
    assert len(forms) > 20
    money_fields = []
    for form in forms:
        for name, unbound in inspect.getmembers(form, lambda member: isinstance(member, UnboundField)):
            label = str(unbound.args[0] if unbound.args else unbound.kwargs.get("label", ""))
            if "元" in label:
                money_fields.append(f"{form.__name__}.{name}")
                assert issubclass(unbound.field_class, MoneyField), f"{form.__name__}.{name} ({label})"
    for expected in ("DemandForm.budget_min", "ListingForm.asking_price", "ProposeForm.amount",
                     "PledgeRequestForm.amount", "PolicyForm.premium", "AppraisalForm.amount", "PaymentForm.amount_paid"):
        assert expected in money_fields


# --- through the forms: the message beside the field, what was typed kept, nothing stored -----

def demand_form(**changes) -> dict:
    return {"title": "想让电池冬天跑得更远", "description": "", "industry": "new_energy", "ipc_hint": "",
            "budget_min": "100000", "budget_max": "500000", "wanted_kinds": ["transfer"], "publish": "发布需求",
            **changes}


def test_a_budget_of_1_005_is_refused_not_rounded(client, make, as_user):
    as_user(make.user(kind="enterprise"))
    response = client.post("/demands/new", data=demand_form(budget_min="1.005"))
    assert response.status_code == 422
    assert "两位小数" in field_error(response, "budget_min")
    assert 'value="1.005"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Demand)) == 0


def test_the_same_text_is_a_valid_budget_and_a_valid_price(client, make, as_user):
    enterprise = make.user(kind="enterprise")
    as_user(enterprise)
    assert client.post("/demands/new", data=demand_form(budget_min="1,000", budget_max="５０万")).status_code == 302
    demand = db.session.scalar(db.select(Demand))
    assert (demand.budget_min, demand.budget_max) == (Decimal("1000.00"), Decimal("500000.00"))

    holder = make.user(kind="university")
    patent = make.patent(holder.organization)
    as_user(holder)
    response = client.post(f"/listings/new?kind={ListingKind.transfer.value}", data={
        "title": "转让：测试", "industry": "other", "patent_ids": [patent.id], "asking_price": "1,000"})
    assert response.status_code == 302, field_error(response, "asking_price")
    assert db.session.scalar(db.select(Listing.asking_price)) == Decimal("1000.00")


def test_a_price_with_three_decimals_is_refused_beside_the_field(client, make, as_user):
    holder = make.user(kind="university")
    patent = make.patent(holder.organization)
    as_user(holder)
    response = client.post(f"/listings/new?kind={ListingKind.transfer.value}", data={
        "title": "转让：测试", "industry": "other", "patent_ids": [patent.id], "asking_price": "1,000.005"})
    assert "两位小数" in field_error(response, "asking_price")
    assert 'value="1,000.005"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 0
