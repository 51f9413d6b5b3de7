"""Valuation arithmetic against hand-computed cases, and scenarios that change weights only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.finance.valuation import (
    INDICATORS,
    SCENARIO_WEIGHTS,
    Facts,
    bundle_score,
    months_between,
    score,
    value_patent,
)
from marketplace.listings.models import Industry
from marketplace.patents.models import LegalStatus, Patent, PatentType

TODAY = date(2025, 1, 1)


def patent_a() -> Patent:
    # Invention filed 2020-01-15 (expires 2040-01-14), 8 claims, two IPC subclasses, no PCT.
    return Patent(patent_type=PatentType.invention, legal_status=LegalStatus.granted, app_date=date(2020, 1, 15),
                  expires_on=date(2040, 1, 14), claims_count=8, ipc_codes=["G06F16/35", "G06N3/08"], is_pct=False,
                  ipc_main="G06F16/35", title="A")


def patent_b() -> Patent:
    # Utility model filed 2019-06-10 (expires 2029-06-09: 53 whole months left), claims unknown, PCT.
    return Patent(patent_type=PatentType.utility, legal_status=LegalStatus.granted, app_date=date(2019, 6, 10),
                  expires_on=date(2029, 6, 9), claims_count=None, ipc_codes=["B23K26/38"], is_pct=True,
                  ipc_main="B23K26/38", title="B")


def patent_c() -> Patent:
    # A lapsed design: no IPC codes, no claims count.
    return Patent(patent_type=PatentType.design, legal_status=LegalStatus.lapsed, app_date=date(2022, 3, 1),
                  expires_on=date(2037, 2, 28), claims_count=None, ipc_codes=[], is_pct=False, title="C")


B_FACTS = Facts(industry=Industry.high_end_equipment, transactions=1, pledges_repaid=1, policies=2)


def dims(valuation) -> dict:
    return {d.key: d.score for d in valuation.dimensions}


def test_patent_a_by_hand():
    financing = score(patent_a(), Facts(industry=Industry.big_data), "financing", TODAY)
    # legal: .30×100 (granted) + .40×100 (180 months ≥ 120) + .30×80 (8 claims) = 94
    # technical, citations unavailable so .35/.25/.20 renormalised over .80:
    #   (.35×100 invention + .25×70 two subclasses + .20×30 no PCT) / .80 = 58.5/.8 = 73.125
    # economic: .40×100 (big data) + .30×30 (no deals) + .30×50 (no pledges/policies) = 64
    # total: .45×94 + .20×73.125 + .35×64 = 42.3 + 14.625 + 22.4 = 79.325 → 79.3
    assert dims(financing) == {"legal": Decimal("94"), "technical": Decimal("73.125"), "economic": Decimal("64")}
    assert financing.total == Decimal("79.3")
    licensing = score(patent_a(), Facts(industry=Industry.big_data), "licensing", TODAY)
    # legal .30×100 + .30×100 + .40×80 = 92; technical (.30×100 + .30×70 + .20×30)/.80 = 71.25;
    # economic .40×100 + .45×30 + .15×50 = 61; total .30×92 + .35×71.25 + .35×61 = 73.8875 → 73.9
    assert dims(licensing) == {"legal": Decimal("92"), "technical": Decimal("71.25"), "economic": Decimal("61")}
    assert licensing.total == Decimal("73.9")


def test_patent_b_by_hand_with_missing_claims_renormalised():
    valuation = score(patent_b(), B_FACTS, "financing", TODAY)
    # legal: claims unavailable → (.30×100 + .40×(53/120×100)) / .70 = (30 + 17.6667) / .7 = 68.0952…
    # technical: (.35×60 + .25×40 + .20×100) / .80 = 51/.8 = 63.75
    # economic: .40×80 + .30×65 (one deal) + .30×100 (50+25+2×15, capped) = 81.5
    # total: .45×68.0952 + .20×63.75 + .35×81.5 = 30.6429 + 12.75 + 28.525 = 71.9179 → 71.9
    legal, technical, economic = (d.score for d in valuation.dimensions)
    assert round(legal, 4) == Decimal("68.0952")
    assert technical == Decimal("63.75") and economic == Decimal("81.5")
    assert valuation.total == Decimal("71.9")
    claims = next(i for d in valuation.dimensions for i in d.indicators if i.key == "claims_count")
    assert not claims.available and claims.effective_weight == 0


def test_patent_c_lapsed_design_by_hand():
    valuation = score(patent_c(), Facts(), "financing", TODAY)
    # legal: lapsed 0, term 0 (not in force) → 0
    # technical: (.35×40 design + .20×30 no PCT) / .55 (no IPC, no citations) = 20/.55 = 36.3636…
    # economic: .40×50 (other) + .30×30 + .30×50 = 44
    # total: .45×0 + .20×36.3636 + .35×44 = 7.2727 + 15.4 = 22.6727 → 22.7
    assert dims(valuation)["legal"] == 0 and dims(valuation)["economic"] == Decimal("44")
    assert valuation.total == Decimal("22.7")


def test_bundle_is_the_mean_of_the_patents():
    a = score(patent_a(), Facts(industry=Industry.big_data), "financing", TODAY)
    b = score(patent_b(), B_FACTS, "financing", TODAY)
    assert bundle_score([a, b]) == Decimal("75.6")  # (79.3 + 71.9) / 2
    assert bundle_score([]) is None


def test_changing_the_scenario_changes_the_weights_not_the_data():
    financing = score(patent_b(), B_FACTS, "financing", TODAY)
    licensing = score(patent_b(), B_FACTS, "licensing", TODAY)

    def indicators(v):
        return {i.key: (i.score, i.data) for d in v.dimensions for i in d.indicators}

    def weights(v):
        return {i.key: i.weight for d in v.dimensions for i in d.indicators}

    assert indicators(financing) == indicators(licensing)
    assert weights(financing) != weights(licensing)
    assert weights(licensing) == SCENARIO_WEIGHTS["licensing"]["indicators"]
    assert financing.total != licensing.total


def test_the_weights_table_is_complete_and_sums_to_one():
    for scenario, table in SCENARIO_WEIGHTS.items():
        assert sum(table["dimensions"].values()) == 1, scenario
        assert set(table["indicators"]) == set(INDICATORS)
        for dimension in table["dimensions"]:
            members = [table["indicators"][k] for k, (d, *_rest) in INDICATORS.items() if d == dimension]
            assert sum(members) == 1, (scenario, dimension)


def test_unknown_scenario_is_refused():
    with pytest.raises(ValueError):
        score(patent_a(), Facts(), "speculation", TODAY)


@pytest.mark.parametrize("start, end, months", [
    (date(2025, 1, 1), date(2029, 6, 9), 53), (date(2025, 1, 31), date(2025, 2, 28), 0),
    (date(2025, 1, 15), date(2025, 2, 15), 1), (date(2025, 3, 1), date(2025, 1, 1), 0),
])
def test_months_between(start, end, months):
    assert months_between(start, end) == months


def test_value_patent_reads_the_facts_from_the_database(app, make):
    with app.test_request_context():
        owner = make.org()
        stored = make.patent(owner, app_date=date(2020, 1, 15), claims_count=8, ipc_codes=["G06F16/35", "G06N3/08"])
        valuation = value_patent(stored, "financing", TODAY)
    assert valuation.total == Decimal("79.3")  # as patent A: no deals, no pledges, industry from G06F
