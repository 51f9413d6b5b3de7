"""The dashboard, drill-downs, entry form, report and public statistics, through HTTP."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from marketplace.accounts.models import OrgKind, OrgRole
from marketplace.extensions import db
from marketplace.indicators.definitions import LEDGER_KEYS, OPERATOR_KEYS, REGISTRY
from marketplace.indicators.display import number
from marketplace.indicators.engine import Context, measure
from marketplace.indicators.models import IndicatorValue, IndicatorValueIsAppendOnly
from marketplace.indicators.periods import Period

from .conftest import conclude

OPERATOR_PAGES = ["/operator/indicators", "/operator/indicators?year=2025&quarter=2",
                  "/operator/indicators/pledge_loan_amount?year=2025", "/operator/indicators/trend.json?year=2025",
                  "/operator/indicators/values?year=2025", "/operator/indicators/report?year=2025",
                  "/operator/indicators/report.xlsx?year=2025", "/operator/indicators/report.csv?year=2025"]


@pytest.fixture
def book(app, make, today):
    """Two years of deals, loans and policies, and some registry patents."""
    uni = make.org(OrgKind.university, name="闽江理工大学（测试）")
    sme = make.org(OrgKind.enterprise, is_sme=True, name="福州芯锐微电子有限公司（测试）")
    big = make.org(OrgKind.enterprise, name="闽峰智能装备股份有限公司（测试）")
    bank = make.org(OrgKind.bank, name="兴闽银行（测试）")
    insurer = make.org(OrgKind.insurer)
    patents = [make.patent(uni, grant_date=date(2025, 1 + i, 10)) for i in range(4)]
    conclude("open_licence", date(2025, 2, 3), "50000", holder=uni, counterparty=sme, beneficiary=sme,
             patents=[patents[0].id])
    conclude("licence", date(2025, 4, 8), "200000", holder=uni, counterparty=big, beneficiary=big)
    conclude("transfer", date(2025, 5, 9), "800000.55", holder=uni, counterparty=sme, beneficiary=sme)
    conclude("transfer", date(2024, 5, 9), "100000", holder=uni, counterparty=big, beneficiary=big)
    conclude("equity", date(2025, 6, 30), "3000000", holder=uni, counterparty=big, beneficiary=big)
    conclude("pledge", date(2025, 3, 1), "5000000", holder=sme, counterparty=bank, beneficiary=sme)
    conclude("pledge", date(2025, 6, 1), "12000000", holder=big, counterparty=bank, beneficiary=big)
    conclude("insurance", date(2025, 6, 2), "8000", holder=sme, counterparty=insurer, beneficiary=sme,
             patents=[p.id for p in patents[:3]], details={"coverage": "1000000", "policy_type": "执行保险"})
    db.session.commit()
    return {"uni": uni, "sme": sme, "big": big, "bank": bank}


@pytest.mark.parametrize("path", [*OPERATOR_PAGES, "/operator/indicators/values"])
def test_operator_pages_are_for_operators_only(client, as_user, make, path):
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for kind in (OrgKind.enterprise, OrgKind.bank, OrgKind.regulator):
        user = make.user(kind=kind, role=OrgRole.admin)
        assert as_user(user).get(path).status_code == 403, (kind, path)
    assert client.post("/operator/indicators/values?year=2024", data={"training_person_times": "5"}).status_code == 403


@pytest.mark.parametrize("path", OPERATOR_PAGES)
def test_operators_see_every_page(as_user, operator, book, path):
    response = as_user(operator).get(path)
    assert response.status_code == 200, path


def test_statistics_page_is_public_and_has_no_confidential_detail(client, book, make):
    owner = make.user(kind=OrgKind.university, role=OrgRole.admin)
    make.listing(owner, kind="open_licence", industry="ai")
    response = client.get("/statistics?year=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("闽江理工大学", "芯锐", "闽峰", "兴闽银行"):
        assert name not in html
    assert "800,000.55" not in html and "80.00 万元" not in html  # no single deal's amount
    assert 'data-testid="stat-deals">4<' in html
    assert 'data-testid="stat-pledges">2 ' in html and "1,700.00 万元" not in html  # two loans: total withheld
    assert 'data-testid="stat-insured">3 ' in html
    assert "人工智能" in html and 'data-chart="mixed"' in html


def test_nav_shows_statistics_to_all_and_monitoring_to_operators(client, as_user, operator, make):
    assert "统计" in client.get("/").get_data(as_text=True)
    assert "指标监测" not in client.get("/").get_data(as_text=True)
    assert "指标监测" in as_user(operator).get("/").get_data(as_text=True)


def test_dashboard_shows_every_indicator_with_target_and_status(as_user, operator, book):
    html = as_user(operator).get("/operator/indicators?year=2025").get_data(as_text=True)
    ctx = Context(date(2025, 7, 1))
    for indicator in REGISTRY.values():
        row = measure(indicator, Period(2025), ctx)
        cell = re.search(rf'data-testid="value-{indicator.key}">([^<]*)<', html)
        assert cell, indicator.key
        assert cell.group(1) == number(indicator, row.value).replace("&", "&amp;"), indicator.key
        assert f'data-testid="status-{indicator.key}">{row.evaluation.label}<' in html
    assert 'data-testid="value-pledge_loan_amount">1,700.00 万元<' in html
    assert "echarts.min.js" in html and "js/indicators.js" in html and "<script>" not in html


def test_drilldown_sum_equals_the_dashboard_figure(as_user, operator, book):
    client = as_user(operator)
    ctx = Context(date(2025, 7, 1))
    for key in LEDGER_KEYS:
        for period in (Period(2025), Period(2025, 2)):
            query = f"year={period.year}" + (f"&quarter={period.quarter}" if period.quarter else "")
            html = client.get(f"/operator/indicators/{key}?{query}").get_data(as_text=True)
            figure = measure(REGISTRY[key], period, ctx).value
            amounts = [Decimal(a) for a in re.findall(r'data-amount="([^"]+)"', html)]
            seqs = re.findall(r'data-seq="(\d+)"', html)
            measure_kind = REGISTRY[key].drilldown(period, ctx).measure
            if measure_kind == "sum":
                assert sum(amounts, Decimal(0)) == figure, key
            elif measure_kind == "count":
                assert len(seqs) == figure, key
            assert f'data-testid="figure">{number(REGISTRY[key], figure)}<' in html
    html = client.get("/operator/indicators/insured_patents?year=2025").get_data(as_text=True)
    assert "福州芯锐微电子有限公司（测试）" in html and "#" in html


def test_trend_json(as_user, operator, book):
    data = as_user(operator).get("/operator/indicators/trend.json?year=2025").get_json()
    assert data["year"] == 2025 and "2025" in data["years"]["labels"] and data["quarters"]["labels"][0] == "Q1"
    pledge = next(s for s in data["quarters"]["series"] if s["key"] == "pledge_loan_amount")
    assert pledge["values"] == [500.0, 1200.0, 0.0, 0.0] and pledge["unit"] == "万元"


@pytest.mark.parametrize("query", ["year=abc", "year=20255", "year=2025&quarter=5", "year=2025&quarter=0",
                                   "year=2025&quarter=x", "year=1900"])
def test_bad_periods_get_a_clear_400(as_user, operator, query):
    client = as_user(operator)
    for path in ("/operator/indicators", "/operator/indicators/pledge_loan_amount"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert "年份" in response.get_data(as_text=True) or "季度" in response.get_data(as_text=True)
    json_response = client.get(f"/operator/indicators/trend.json?{query.split('&')[0]}")
    assert json_response.status_code in (200, 400)
    assert client.get(f"/statistics?{query}").status_code in (200, 400)


def test_a_future_year_and_an_empty_year(as_user, operator, today):
    client = as_user(operator)
    html = client.get("/operator/indicators?year=2030").get_data(as_text=True)
    assert 'data-testid="future-notice"' in html and "未开始" in html
    empty = client.get("/operator/indicators?year=2001&quarter=3")
    assert empty.status_code == 200 and 'data-testid="value-pledge_loan_amount">0.00 万元<' in empty.get_data(as_text=True)
    assert client.get("/operator/indicators/no_such_indicator?year=2025").status_code == 404
    # Official figures have no ledger entries behind them: their page is the entry history.
    assert client.get("/operator/indicators/patent_grants?year=2025").status_code == 302
    assert client.get("/operator/indicators/training_person_times?year=2025").status_code == 302


def test_population_zero_shows_a_message_not_an_error(app, as_user, operator):
    app.config["DISTRICT_POPULATION"] = 0
    try:
        response = as_user(operator).get("/operator/indicators?year=2025")
    finally:
        app.config["DISTRICT_POPULATION"] = 687000
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="population-warning"' in html
    assert 'data-testid="value-inventions_per_10k">—<' in html


def test_operator_enters_values_and_history_is_kept(as_user, operator, today):
    client = as_user(operator)
    response = client.post("/operator/indicators/values?year=2024", data={
        "training_person_times": "1,050", "publicity_events": "7", "ip_fund_share": "0.25", "note": "年报"})
    assert response.status_code == 302
    client.post("/operator/indicators/values?year=2024", data={"training_person_times": "1100", "publicity_events": "7"})
    rows = db.session.scalars(db.select(IndicatorValue).where(IndicatorValue.key == "training_person_times")
                              .order_by(IndicatorValue.id)).all()
    assert [r.value for r in rows] == [Decimal("1050"), Decimal("1100")]
    assert all(r.entered_by_id == operator.id and r.entered_at for r in rows)
    assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorValue)
                             .where(IndicatorValue.key == "publicity_events")) == 1  # unchanged: no new row
    html = client.get("/operator/indicators/values?year=2024").get_data(as_text=True)
    assert "已被更新" in html and "当前值" in html and operator.name in html
    assert 'value="1100"' in html
    rows[0].value = Decimal("1")
    with pytest.raises(IndicatorValueIsAppendOnly):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("field, raw, message", [
    ("training_person_times", "-5", "不能为负数"),
    ("training_person_times", "abc", "不是数字"),
    ("training_person_times", "12.5", "请填写整数"),
    ("ip_fund_share", "120", "不能超过 100"),
    ("ip_fund_share", "NaN", "不是数字"),
])
def test_bad_operator_values_are_form_errors(as_user, operator, today, field, raw, message):
    response = as_user(operator).post("/operator/indicators/values?year=2024",
                                      data={field: raw, "publicity_events": "8"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and f'value="{raw}"' in html and 'value="8"' in html  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorValue)) == 0


def test_no_values_for_a_future_year(as_user, operator, today):
    response = as_user(operator).post("/operator/indicators/values?year=2026", data={"publicity_events": "8"})
    assert response.status_code == 409 and "不能填报未来年份" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(IndicatorValue)) == 0


def test_xlsx_holds_the_dashboard_numbers(as_user, operator, book):
    client = as_user(operator)
    client.post("/operator/indicators/values?year=2025", data={"training_person_times": "600", "ip_fund_share": "0.21"})
    client.post("/operator/indicators/values?year=2025", data={"training_person_times": "640"})
    response = client.get("/operator/indicators/report.xlsx?year=2025")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["指标", "台账明细", "填报数据"]
    sheet = workbook["指标"]
    headers = [c.value for c in sheet[2]]
    key_col, year_col = headers.index("键"), headers.index("全年")
    by_key = {row[key_col]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert set(by_key) == set(REGISTRY)
    ctx = Context(date(2025, 7, 1))
    for key, indicator in REGISTRY.items():
        expected = measure(indicator, Period(2025), ctx).value
        got = by_key[key][year_col]
        if expected is None:
            assert got is None, key
        else:
            assert Decimal(str(got)) == Decimal(expected), key
        if not indicator.annual_only:
            for q in (1, 2, 3, 4):
                quarter_value = measure(indicator, Period(2025, q), ctx).value
                cell = by_key[key][year_col + q]
                assert (cell is None and quarter_value is None) or Decimal(str(cell)) == Decimal(quarter_value), (key, q)
    assert by_key["pledge_loan_amount"][headers.index("状态")] in ("落后", "进度正常", "已达标")
    entries = list(workbook["台账明细"].iter_rows(min_row=3, values_only=True))
    assert len(entries) == 7  # the 2024 transfer is not in the 2025 report
    amount_col = [c.value for c in workbook["台账明细"][2]].index("金额（元）")
    pledge_rows = [r for r in entries if r[3] == "质押贷款"]
    assert sum(Decimal(str(r[amount_col])) for r in pledge_rows) == Decimal("17000000")
    values = list(workbook["填报数据"].iter_rows(min_row=3, values_only=True))
    training = [r for r in values if r[-1] == "training_person_times"]
    assert [r[2] for r in training] == [600, 640] and training[0][3].startswith("否") and training[1][3] == "是"


def test_csv_report_and_print_page(as_user, operator, book):
    client = as_user(operator)
    response = client.get("/operator/indicators/report.csv?year=2025")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    pledge = next(r for r in rows if r[-1] == "pledge_loan_amount")
    assert Decimal(pledge[header.index("全年")]) == Decimal("17000000.00")
    entries = client.get("/operator/indicators/report.csv?year=2025&sheet=entries").get_data(as_text=True)
    assert "福州芯锐微电子有限公司（测试）" in entries
    assert client.get("/operator/indicators/report.csv?year=2025&sheet=nope").status_code == 400
    page = client.get("/operator/indicators/report?year=2025").get_data(as_text=True)
    assert 'data-testid="report-indicators"' in page and 'data-testid="report-entries"' in page
    assert "17,000,000.00" in page and "data-print" in page


def test_report_command_writes_xlsx_and_csv(runner, book, tmp_path, app):
    out = tmp_path / "report.xlsx"
    result = runner.invoke(args=["indicators", "report", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["指标"]
    headers = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[-1] == "insured_patents")
    assert row[headers.index("全年")] == 3
    csv_out = tmp_path / "report.csv"
    result = runner.invoke(args=["indicators", "report", "--year", "2025", "--out", str(csv_out), "--format", "csv"])
    assert result.exit_code == 0 and "pledge_loan_amount" in csv_out.read_text(encoding="utf-8")
    result = runner.invoke(args=["indicators", "report", "--year", "99999", "--out", str(csv_out)])
    assert result.exit_code != 0


def test_demo_step_enters_two_years_of_values(app, make):
    import random

    from marketplace.demo import DemoContext
    from marketplace.indicators.demo import operator_values
    from marketplace.types import utcnow

    regulator = make.user(operator=True, role=OrgRole.admin)
    ctx = DemoContext(rng=random.Random(1), now=utcnow())
    ctx.users["regulator"] = regulator
    operator_values(ctx)
    years = set(db.session.scalars(db.select(IndicatorValue.year)))
    this_year = Period(utcnow().year).year
    assert years == {this_year - 1, this_year}
    keys = set(db.session.scalars(db.select(IndicatorValue.key).where(IndicatorValue.year == this_year - 1)))
    assert keys == set(OPERATOR_KEYS)
