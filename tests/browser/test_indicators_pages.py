"""Browser: the operators' indicator dashboard and the public statistics page draw their charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marketplace.accounts.models import OrgKind, OrgRole
from marketplace.dates import business_today as today
from marketplace.extensions import db
from marketplace.ledger.operations import append

from ..conftest import PASSWORD, Factory
from .conftest import screenshot, sign_in

CHART_DATA = """(selector) => {
  const el = document.querySelector(selector);
  const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
  if (!chart) return null;
  const option = chart.getOption();
  return {canvas: el.querySelectorAll('canvas, svg').length,
          series: option.series.length,
          points: option.series.reduce((n, s) => n + s.data.filter(v => v !== null && v !== undefined).length, 0),
          nonZero: option.series.some(s => s.data.some(v => (v && (v.value ?? v)) > 0))};
}"""


def seed(live_app):
    year = today().year
    with live_app.app_context():
        # Its own seed: `live_make` repeats one sequence of USCCs in every test of the session.
        make = Factory(rng_seed=7107)
        operator = make.user(operator=True, role=OrgRole.admin, email="op-indicators@example.cn")
        holder = make.org(OrgKind.university)
        sme = make.org(OrgKind.enterprise, is_sme=True)
        bank = make.org(OrgKind.bank)
        for y, month, kind, subject, status, amount in [
            (year, 1, "open_licence", "deal", "accepted", "20000"),
            (year, 2, "transfer", "deal", "completed", "600000"),
            (year - 1, 5, "licence", "deal", "completed", "150000"),
            (year - 1, 8, "pledge", "pledge_review", "disbursed", "8000000"),
            (year, 3, "pledge", "pledge_review", "disbursed", "12000000"),
        ]:
            append(event="transition", subject_type=subject, subject_id=900 + month + y, deal_kind=kind,
                   to_status=status, amount=Decimal(amount), holder_org=holder,
                   counterparty_org=bank if kind == "pledge" else sme, beneficiary_org=sme,
                   occurred_on=date(y, month, 15))
        db.session.commit()
        return operator.email, year


def test_dashboard_and_statistics_draw_their_charts(page, live_server, live_app):
    operator_email, year = seed(live_app)
    base = live_server.url

    # The public page, signed out: charts drawn, no party names.
    page.goto(f"{base}/statistics")
    page.wait_for_selector("[data-testid=chart-deals] canvas")
    deals = page.evaluate(CHART_DATA, "[data-testid=chart-deals]")
    assert deals and deals["canvas"] >= 1 and deals["series"] == 4 and deals["nonZero"]
    assert page.evaluate(CHART_DATA, "[data-testid=chart-industries]")["series"] == 1
    assert page.get_by_test_id("stat-pledges").inner_text().startswith("1")
    screenshot(page, "indicators-1-statistics")

    # The operator's dashboard: the trend over years and the quarters, with the figures as tables.
    sign_in(page, base, operator_email, PASSWORD)
    page.get_by_test_id("nav-admin").get_by_role("button", name="平台管理").click()
    page.get_by_test_id("nav-admin").get_by_role("link", name="指标监测").click()
    page.wait_for_selector("[data-testid=chart-years] canvas")
    years = page.evaluate(CHART_DATA, "[data-testid=chart-years]")
    quarters = page.evaluate(CHART_DATA, "[data-testid=chart-quarters]")
    assert years["canvas"] >= 1 and years["series"] >= 6 and years["points"] >= 6 and years["nonZero"]
    assert quarters["canvas"] >= 1 and quarters["nonZero"]
    assert page.get_by_test_id("value-pledge_loan_amount").inner_text() == "1,200.00 万元"
    assert page.get_by_test_id("trend-tables").is_visible()
    screenshot(page, "indicators-2-dashboard")

    # Drill down from the pledge figure to the ledger entries behind it.
    page.get_by_test_id("drill-pledge_loan_amount").click()
    assert page.get_by_test_id("sum").inner_text() == "¥12,000,000.00"
    screenshot(page, "indicators-3-drilldown")

    # Last year, first quarter, and a quarter that does not exist.
    page.goto(f"{base}/operator/indicators?year={year - 1}&quarter=3")
    assert page.get_by_test_id("value-pledge_loan_amount").inner_text() == "800.00 万元"
    page.goto(f"{base}/operator/indicators?year={year}&quarter=7")
    assert page.get_by_text("季度只能是 1 到 4").is_visible()
