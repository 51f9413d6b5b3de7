"""Each indicator against hand-built ledger entries and patents; periods, targets and status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.config import ConfigurationError
from marketplace.extensions import db
from marketplace.indicators import targets
from marketplace.indicators.definitions import REGISTRY, all_indicators
from marketplace.indicators.engine import Context, evaluate, measure, measure_all
from marketplace.indicators.operations import record_values
from marketplace.indicators.periods import BadPeriod, Period, parse_period
from marketplace.indicators.registry_figures import is_organisation_name, is_service_invention
from marketplace.patents.models import LegalStatus, PatentType

from .conftest import conclude


def value(key: str, period: Period, today=date(2025, 7, 1)):
    return measure(REGISTRY[key], period, Context(today)).value


def platform(key: str, period: Period, today=date(2025, 7, 1)):
    """The platform's own count of a district-wide figure (本平台口径)."""
    return REGISTRY[key].platform(period, Context(today)).value


@pytest.fixture
def parties(make):
    return {
        "uni": make.org(OrgKind.university),
        "sme": make.org(OrgKind.enterprise, is_sme=True),
        "big": make.org(OrgKind.enterprise),
        "bank": make.org(OrgKind.bank),
        "insurer": make.org(OrgKind.insurer),
    }


def test_periods_and_their_bounds():
    assert Period(2024, 1).end == date(2024, 3, 31)
    assert Period(2024, 2).start == date(2024, 4, 1) and Period(2024, 2).end == date(2024, 6, 30)
    assert Period(2024, 4).end == date(2024, 12, 31) and Period(2024).days == 366
    assert Period(2025).elapsed(date(2024, 12, 31)) == 0
    assert Period(2025).elapsed(date(2026, 1, 1)) == 1
    assert Period(2025).elapsed(date(2025, 12, 31)) == 1
    assert parse_period("2025", "3", 2020) == Period(2025, 3)
    assert parse_period(None, "", 2020) == Period(2020)
    for year, quarter in (("abc", None), ("20255", None), ("2025", "5"), ("2025", "0"), ("2025", "x")):
        with pytest.raises(BadPeriod):
            parse_period(year, quarter, 2020)


def test_one_definition_per_indicator_covering_spec_section_7():
    keys = {i.key for i in all_indicators()}
    assert {"pledge_loan_amount", "insured_patents", "small_pledge_loan_share", "enterprises_served", "smes_served",
            "patent_grants", "service_invention_share", "enterprises_3plus_grants", "foreign_filings",
            "inventions_per_10k", "trademark_applications", "training_person_times", "publicity_events",
            "ip_fund_share", "demo_enterprises_national", "demo_enterprises_provincial",
            "demo_enterprises_municipal", "standard_enterprises"} <= keys
    for kind in ("open_licence", "licence", "transfer", "equity"):
        assert {f"deals_{kind}_count", f"deals_{kind}_amount"} <= keys
    plan = {k: REGISTRY[k].target.value for k in keys if REGISTRY[k].target}
    assert plan["pledge_loan_amount"] == Decimal("100000000") and plan["insured_patents"] == 60
    assert plan["patent_grants"] == 3500 and plan["service_invention_share"] == 75
    assert plan["enterprises_3plus_grants"] == 150 and plan["foreign_filings"] == 50
    assert plan["inventions_per_10k"] == 95 and plan["training_person_times"] == 1000
    assert plan["publicity_events"] == 6 and plan["ip_fund_share"] == Decimal("0.2")
    assert (plan["demo_enterprises_national"], plan["demo_enterprises_provincial"],
            plan["demo_enterprises_municipal"], plan["standard_enterprises"]) == (7, 20, 60, 37)
    assert plan["trademark_applications"] == 10000
    assert all(i.drilldown for i in all_indicators() if i.source == "ledger")


def test_deal_counts_and_amounts_by_kind_and_quarter(app, parties):
    uni, sme, big = parties["uni"], parties["sme"], parties["big"]
    conclude("open_licence", date(2025, 2, 1), "50000", holder=uni, counterparty=sme, beneficiary=sme)
    conclude("open_licence", date(2025, 5, 1), None, holder=uni, counterparty=big, beneficiary=big)
    conclude("licence", date(2025, 3, 31), "200000.50", holder=uni, counterparty=big, beneficiary=big)
    conclude("transfer", date(2025, 4, 1), "800000", holder=uni, counterparty=sme, beneficiary=sme)
    conclude("equity", date(2024, 12, 31), "3000000", holder=uni, counterparty=big, beneficiary=big)
    # Steps that do not conclude a deal count for nothing.
    conclude("licence", date(2025, 6, 1), "999", holder=uni, counterparty=big, to_status="agreed")
    conclude("transfer", date(2025, 6, 1), "999", holder=uni, counterparty=big, to_status="cancelled")
    conclude("open_licence", date(2025, 6, 1), "999", holder=uni, counterparty=big, to_status="paid")
    year = Period(2025)
    assert value("deals_open_licence_count", year) == 2
    assert value("deals_open_licence_amount", year) == Decimal("50000.00")
    assert value("deals_licence_count", year) == 1 and value("deals_licence_amount", year) == Decimal("200000.50")
    assert value("deals_licence_count", Period(2025, 1)) == 1 and value("deals_licence_count", Period(2025, 2)) == 0
    assert value("deals_transfer_count", Period(2025, 2)) == 1
    assert value("deals_equity_count", year) == 0 and value("deals_equity_amount", Period(2024)) == Decimal("3000000")


def test_a_subject_counts_once_on_its_first_conclusion(app, parties):
    uni, sme = parties["uni"], parties["sme"]
    conclude("transfer", date(2025, 1, 10), "100", holder=uni, beneficiary=sme, subject_id=77)
    conclude("transfer", date(2025, 8, 10), "100", holder=uni, beneficiary=sme, subject_id=77)
    assert value("deals_transfer_count", Period(2025)) == 1
    assert value("deals_transfer_count", Period(2025, 3)) == 0


def test_pledge_loans_amount_count_and_small_share(app, parties):
    sme, big, bank = parties["sme"], parties["big"], parties["bank"]
    conclude("pledge", date(2025, 1, 5), "5000000", holder=sme, counterparty=bank, beneficiary=sme)
    conclude("pledge", date(2025, 2, 5), "9999999.99", holder=sme, counterparty=bank, beneficiary=sme)
    conclude("pledge", date(2025, 3, 5), "10000000", holder=big, counterparty=bank, beneficiary=big)
    conclude("pledge", date(2025, 3, 6), "30000000", holder=big, counterparty=bank, beneficiary=big, to_status="approved")
    conclude("pledge", date(2026, 1, 1), "1000", holder=big, counterparty=bank, beneficiary=big)
    year = Period(2025)
    assert value("pledge_loan_amount", year) == Decimal("24999999.99")
    assert value("pledge_loan_count", year) == 3
    assert value("small_pledge_loan_share", year) == Decimal("66.67")
    assert value("small_pledge_loan_share", Period(2024)) is None  # no loans: no share, not an error


def test_insured_patents_are_distinct_per_period(app, parties, make):
    sme, insurer = parties["sme"], parties["insurer"]
    p = [make.patent(sme) for _ in range(3)]
    conclude("insurance", date(2025, 2, 1), "3000", holder=sme, counterparty=insurer, beneficiary=sme,
             patents=[p[0].id, p[1].id], details={"coverage": "500000", "policy_type": "执行保险"})
    conclude("insurance", date(2025, 9, 1), "2000", holder=sme, counterparty=insurer, beneficiary=sme,
             patents=[p[1].id, p[2].id])
    conclude("insurance", date(2025, 9, 2), "2000", holder=sme, counterparty=insurer, patents=[p[0].id],
             to_status="quoted")
    assert value("insured_patents", Period(2025)) == 3
    assert value("insured_patents", Period(2025, 1)) == 2 and value("insured_patents", Period(2025, 3)) == 2


def test_enterprises_served_and_smes_among_them(app, parties, make):
    uni, sme, big, bank = parties["uni"], parties["sme"], parties["big"], parties["bank"]
    other_sme = make.org(OrgKind.enterprise, is_sme=True)
    conclude("open_licence", date(2025, 2, 1), "0", holder=uni, counterparty=sme, beneficiary=sme)
    conclude("transfer", date(2025, 3, 1), "10", holder=uni, counterparty=sme, beneficiary=sme)
    conclude("pledge", date(2025, 4, 1), "10", holder=big, counterparty=bank, beneficiary=big)
    conclude("licence", date(2025, 5, 1), "10", holder=uni, counterparty=other_sme, beneficiary=other_sme)
    conclude("insurance", date(2025, 5, 1), "10", holder=big, beneficiary=make.org(OrgKind.enterprise))
    conclude("equity", date(2025, 5, 1), "10", holder=uni, beneficiary=make.org(OrgKind.enterprise),
             to_status="agreed")
    assert value("enterprises_served", Period(2025)) == 3
    assert value("smes_served", Period(2025)) == 2


def test_registry_indicators(app, make):
    ent = make.org(OrgKind.enterprise)
    uni = make.org(OrgKind.university)
    for i in range(3):
        make.patent(ent, grant_date=date(2025, 3, 1 + i), applicants=ent.name, is_pct=i == 0,
                    app_date=date(2025, 1, 1) if i == 0 else date(2023, 3, 1))
    make.patent(ent, grant_date=date(2024, 3, 1))
    make.patent(uni, grant_date=date(2025, 6, 1), applicants="张三；李四")
    make.patent(uni, grant_date=date(2025, 7, 1), applicants="王五", patent_type=PatentType.utility)
    make.patent(uni, grant_date=None, legal_status=LegalStatus.pending)
    year = Period(2025)
    assert platform("patent_grants", year) == 5
    assert platform("patent_grants", Period(2025, 1)) == 3
    assert platform("service_invention_share", year) == Decimal("60.00")
    assert platform("service_invention_share", Period(2030)) is None
    assert platform("enterprises_3plus_grants", year) == 1
    assert platform("enterprises_3plus_grants", Period(2024)) == 0  # the university is not an enterprise
    assert platform("foreign_filings", year) == 1
    # The district-wide figure is the official one the operator entered; the platform's count is
    # only shown beside it, and the target is judged against the official figure.
    assert value("patent_grants", year) is None
    operator = make.user(make.org(OrgKind.regulator), operator=True)
    record_values(2025, {"patent_grants": "3,612", "service_invention_share": "78.5"}, operator)
    row = measure(REGISTRY["patent_grants"], year, Context(date(2026, 1, 5)))
    assert row.value == 3612 and row.platform.value == 5 and row.evaluation.status == "met"
    share = measure(REGISTRY["service_invention_share"], year, Context(date(2026, 1, 5)))
    assert share.value == Decimal("78.5") and share.platform.value == Decimal("60.00")
    assert share.evaluation.status == "met"


def test_valid_inventions_per_ten_thousand_residents(app, make):
    owner = make.org(OrgKind.university)
    for _ in range(6):
        make.patent(owner, grant_date=date(2024, 5, 1))
    make.patent(owner, grant_date=date(2024, 5, 1), legal_status=LegalStatus.lapsed)
    make.patent(owner, grant_date=date(2024, 5, 1), patent_type=PatentType.utility)
    make.patent(owner, grant_date=date(2025, 9, 1))  # after the measuring day in 2025
    make.patent(owner, grant_date=date(2010, 5, 1), app_date=date(2003, 1, 1))  # expired at the end of 2022
    app.config["DISTRICT_POPULATION"] = 3000
    try:
        assert platform("inventions_per_10k", Period(2025)) == Decimal("20.00")  # 6 ÷ 3000 × 10000 on 2025-07-01
        assert platform("inventions_per_10k", Period(2024)) == Decimal("20.00")
        assert platform("inventions_per_10k", Period(2025), today=date(2026, 1, 1)) == Decimal("23.33")
        for bad in (0, -5, "many", None):
            app.config["DISTRICT_POPULATION"] = bad
            figure = REGISTRY["inventions_per_10k"].platform(Period(2025), Context(date(2025, 7, 1)))
            assert figure.value is None and "DISTRICT_POPULATION" in str(figure.note)
    finally:
        app.config["DISTRICT_POPULATION"] = targets.DEFAULT_POPULATION


def test_service_invention_heuristic():
    for name in ("中山大学", "哈尔滨工业大学（深圳）", "福州芯锐微电子有限公司", "中国科学院福建物质结构研究所",
                 "福建医科大学附属协和医院", "鼓楼区农机修造厂", "国家知识产权局专利局", "Huawei Technologies Co., Ltd."):
        assert is_organisation_name(name), name
    for name in ("张三", "欧阳娜娜", "李四", "买买提·艾力", "John Smith"):
        assert not is_organisation_name(name), name
    assert is_service_invention("张三；福州大学") and not is_service_invention("张三; 李四")
    assert is_service_invention("")  # no applicant recorded: the owning organisation applied


def test_operator_values_latest_wins(app, operator, today):
    record_values(2024, {"training_person_times": "900", "publicity_events": "6"}, operator)
    record_values(2024, {"training_person_times": "1,200"}, operator, note="更正")
    db.session.flush()
    assert value("training_person_times", Period(2024)) == Decimal("1200")
    assert value("publicity_events", Period(2024, 2)) == Decimal("6")  # a yearly value, shown for a quarter too
    assert value("trademark_applications", Period(2024)) is None


def test_status_against_the_share_of_the_year_elapsed():
    from marketplace.indicators.definitions import Target

    flow = Target(Decimal("100"), "ge")
    mid = date(2025, 7, 2)  # 183 of 365 days: about 50 %
    assert evaluate(flow, Period(2025), Decimal("100"), mid).status == "met"
    assert evaluate(flow, Period(2025), Decimal("60"), mid).status == "on_track"
    assert evaluate(flow, Period(2025), Decimal("40"), mid).status == "behind"
    assert evaluate(flow, Period(2024), Decimal("99"), mid).status == "behind"  # a past year: 100 % elapsed
    assert evaluate(flow, Period(2026), Decimal("0"), mid).status == "not_started"
    assert evaluate(flow, Period(2025, 1), Decimal("25"), mid).status == "met"  # a quarter answers for 1/4
    strictly = Target(Decimal("75"), "gt", basis="level")
    assert evaluate(strictly, Period(2024), Decimal("75"), mid).status == "behind"
    assert evaluate(strictly, Period(2025), Decimal("75.01"), mid).status == "met"
    assert evaluate(strictly, Period(2025), None, mid).status == "no_data"
    assert evaluate(None, Period(2025), Decimal("3"), mid).status == "report"
    assert evaluate(flow, Period(2025), Decimal("60"), mid).progress == Decimal("60.0")


def test_a_year_without_data_is_all_zeros_not_errors(app, today):
    rows = measure_all(Period(2019), Context(date(2025, 7, 1)))
    for row in rows:
        if row.indicator.unit == "percent" or row.indicator.entered:
            assert row.value is None  # nothing entered: no data, never a made-up zero
        else:
            assert row.value == 0, row.indicator.key
        if row.platform is not None and row.indicator.key != "inventions_per_10k":
            assert row.platform.value in (0, None), row.indicator.key


def test_targets_come_from_configuration(app):
    app.config["INDICATOR_TARGETS"] = {"patent_grants": 4000, "insured_patents": {"value": "80", "comparison": "gt"}}
    try:
        assert targets.target_for(REGISTRY["patent_grants"]).value == 4000
        insured = targets.target_for(REGISTRY["insured_patents"])
        assert insured.value == 80 and insured.comparison == "gt"
        assert targets.target_for(REGISTRY["foreign_filings"]).value == 50
        # Report-only indicators may be given a target too.
        app.config["INDICATOR_TARGETS"] = {"pledge_loan_count": 12}
        assert targets.target_for(REGISTRY["pledge_loan_count"]).value == 12
    finally:
        app.config["INDICATOR_TARGETS"] = {}
    for bad in ({"no_such": 1}, {"patent_grants": "lots"}, {"patent_grants": -1}, ["patent_grants"],
                {"patent_grants": {"value": 1, "comparison": "lt"}}):
        with pytest.raises(ConfigurationError):
            targets.parse_overrides(bad)


def test_configuration_from_the_environment(app, monkeypatch):
    from marketplace import create_app

    monkeypatch.setenv("DISTRICT_POPULATION", "700000")
    monkeypatch.setenv("INDICATOR_TARGETS", '{"patent_grants": 4200}')
    config = {k: v for k, v in app.config.items() if k not in ("DISTRICT_POPULATION", "INDICATOR_TARGETS")}
    fresh = create_app(config)
    assert fresh.config["DISTRICT_POPULATION"] == "700000"
    assert fresh.config["INDICATOR_TARGETS"] == {"patent_grants": 4200}
    monkeypatch.setenv("INDICATOR_TARGETS", '{"patent_grants": "x"}')
    with pytest.raises(ConfigurationError):
        create_app(config)
    monkeypatch.setenv("INDICATOR_TARGETS", "{not json")
    with pytest.raises(ConfigurationError):
        create_app(config)
    with fresh.app_context():
        db.engine.dispose()
