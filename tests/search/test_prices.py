"""Prices mean what they say (SPEC §3 Prices): 免费 is no fee and no royalty; royalty-only is 仅提成,
shown as its rate and never ¥0.00; the price facet files each under its own band; a price below a
demand's budget fits it. One function (listings.pricing.price_of) answers for every surface."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.demands.operations import DemandInput, create_demand
from marketplace.extensions import db
from marketplace.listings.models import Industry, ListingKind, PaymentMethod
from marketplace.listings.pricing import Price, PriceKind, price_of
from marketplace.search.matching import matches_for_demand
from tests.support import text


@pytest.fixture
def sme(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


def open_licence(make, holder, title: str, **terms):
    patent = make.patent(holder.organization, title=title, ipc_codes=["H01M10/0567"],
                         abstract="提高锂离子电池在零下二十度的放电容量。")
    return make.listing(holder, [patent], kind=ListingKind.open_licence, industry=Industry.new_energy, **terms)


@pytest.fixture
def priced(make, holder):
    free = open_licence(make, holder, "一种低温锂离子电池电解液 A", payment_method=PaymentMethod.free, fee_amount=None)
    royalty = open_licence(make, holder, "一种低温锂离子电池电解液 B", payment_method=PaymentMethod.royalty,
                           fee_amount=None, royalty_rate=Decimal("3"))
    entry = open_licence(make, holder, "一种低温锂离子电池电解液 C", payment_method=PaymentMethod.entry_fee_plus_royalty,
                         fee_amount=Decimal("20000"), royalty_rate=Decimal("2.5"))
    cheap = open_licence(make, holder, "一种低温锂离子电池电解液 D", fee_amount=Decimal("42000"))
    dear = open_licence(make, holder, "一种低温锂离子电池电解液 E", fee_amount=Decimal("640000"))
    return {"free": free, "royalty": royalty, "entry": entry, "cheap": cheap, "dear": dear}


def test_each_listing_has_one_price_reading(priced):
    assert (price_of(priced["free"]).label, price_of(priced["free"]).band) == ("免费", "free")
    royalty = price_of(priced["royalty"])
    assert (royalty.kind, royalty.label, royalty.band, royalty.amount) == (PriceKind.royalty_only, "仅提成 3%",
                                                                            "royalty_only", None)
    assert price_of(priced["entry"]).label == "¥20,000.00 + 提成 2.5%"
    assert price_of(priced["entry"]).band == "lt100k"
    assert (price_of(priced["cheap"]).label, price_of(priced["cheap"]).band) == ("¥42,000.00", "lt100k")
    assert price_of(priced["dear"]).band == "500k_1m"
    assert priced["royalty"].price is None and priced["free"].price == 0


def test_negotiable_equity_and_pledge_prices(make, holder):
    transfer = make.listing(holder, kind=ListingKind.transfer, asking_price=None)
    assert (price_of(transfer).label, price_of(transfer).band) == ("面议", "negotiable")
    equity = make.listing(holder, kind=ListingKind.equity)
    assert price_of(equity).label == "¥3,000,000.00 · 持股 10%" and price_of(equity).band == "1m_5m"


@pytest.mark.parametrize("price, fits", [
    (Price(PriceKind.fixed, Decimal("42000")), True),  # below the range: the buyer can afford it
    (Price(PriceKind.fixed, Decimal("100000")), True),
    (Price(PriceKind.fixed, Decimal("500000")), True),
    (Price(PriceKind.fixed, Decimal("500000.01")), False),
    (Price(PriceKind.free, Decimal(0)), True),
    (Price(PriceKind.royalty_only, None, Decimal("3")), None),  # nothing up front to compare
    (Price(PriceKind.negotiable), None),
])
def test_a_price_below_the_budget_fits_it(price, fits):
    assert price.fits_budget(Decimal("100000"), Decimal("500000")) is fits
    assert price.fits_budget(None, None) is None


def test_the_free_filter_holds_only_free_licences_and_royalty_only_has_its_own(client, priced):
    def found(band):
        return {r["id"] for r in client.get("/api/v1/search", query_string={"price_band": band}).get_json()["results"]}

    assert found("free") == {priced["free"].id}
    assert found("royalty_only") == {priced["royalty"].id}
    assert found("lt100k") == {priced["entry"].id, priced["cheap"].id}
    bands = {v["value"]: v["count"] for v in
             client.get("/api/v1/search").get_json()["facets"]["price_band"]}
    assert bands["free"] == 1 and bands["royalty_only"] == 1
    page = text(client.get("/search", query_string={"price_band": "royalty_only"}))
    assert "仅提成 3%" in page and "¥0.00" not in page


def test_matches_say_a_cheaper_price_is_within_budget_and_never_show_royalty_as_zero(client, make, sme, priced,
                                                                                     as_user):
    demand = create_demand(sme, DemandInput(title="电池低温性能改进", description="想找提高锂离子电池低温放电容量的技术",
                                            industry=Industry.new_energy, budget_min="100000", budget_max="500000",
                                            wanted_kinds=["open_licence"]), publish=True)
    db.session.commit()
    reasons = {match.listing.id: match.reasons for match in matches_for_demand(demand, sme)}
    assert "价格在预算内" in reasons[priced["cheap"].id] and "价格超出预算" not in reasons[priced["cheap"].id]
    assert "价格超出预算" in reasons[priced["dear"].id]
    assert not {"价格在预算内", "价格超出预算"} & set(reasons[priced["royalty"].id])
    page = text(as_user(sme).get(f"/demands/{demand.id}"))
    assert "仅提成 3%" in page and "¥0.00" not in page
