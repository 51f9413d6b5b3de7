"""Journey: an SME searches in its own words, narrows by a facet, opens a listing, then posts a
technology demand and sees the listings matched to it, with the reasons."""

from __future__ import annotations

from decimal import Decimal

from marketplace.listings.models import Industry, ListingKind

from ..conftest import PASSWORD, Factory
from .conftest import screenshot, sign_in


def test_sme_searches_narrows_opens_and_posts_a_demand(page, live_server, live_app):
    # A seed of its own: live_make's fixed seed would repeat USCCs of other journeys in this database.
    live_make = Factory(rng_seed=4404)
    with live_app.test_request_context():
        holder = live_make.user(kind="university", email="tto-search@example.cn")
        org = holder.organization
        transfer = live_make.listing(holder, [live_make.patent(
            org, title="一种低温锂离子电池电解液", ipc_codes=["H01M10/0567"],
            abstract="提高动力电池在零下二十度的放电容量，延长电动车冬季续航。")],
            kind=ListingKind.transfer, asking_price=Decimal("450000"), industry=Industry.new_energy,
            title="低温电池电解液专利转让")
        live_make.listing(holder, [live_make.patent(
            org, title="锂电池组液冷散热结构", ipc_codes=["H01M10/613"], abstract="电池模组的液冷板与导热垫。")],
            kind=ListingKind.licence, licence_type="ordinary", asking_price=Decimal("200000"),
            industry=Industry.new_energy, title="电池液冷散热技术许可")
        live_make.listing(holder, [live_make.patent(
            org, title="一种基于深度学习的茶叶品质图像识别方法", ipc_codes=["G06V10/82"])],
            kind=ListingKind.transfer, industry=Industry.ai)
        sme = live_make.user(kind="enterprise", is_sme=True, email="sme-search@example.cn")
        sme_email, transfer_title = sme.email, transfer.title
    base = live_server.url

    # 1. The SME searches in its own words.
    sign_in(page, base, sme_email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="技术搜索").click()
    page.get_by_label("搜索词").fill("电池")
    page.get_by_role("button", name="搜索", exact=True).click()
    assert page.get_by_test_id("result-count").inner_text() == "共找到 2 项挂牌"
    assert page.locator("[data-testid=snippet] mark").first.inner_text() == "电池"
    screenshot(page, "journey-search-1-results")

    # 2. It narrows by a facet: transfers only; the filter is in the URL.
    page.get_by_test_id("facet-kind").get_by_role("link", name="转让").click()
    assert page.get_by_test_id("result-count").inner_text() == "共找到 1 项挂牌"
    assert "kind=transfer" in page.url
    assert page.get_by_test_id("active-filter").inner_text().startswith("转让")
    screenshot(page, "journey-search-2-narrowed")

    # 3. It opens the listing.
    page.get_by_test_id("results").get_by_role("link").first.click()
    assert page.get_by_test_id("listing-title").inner_text() == transfer_title
    screenshot(page, "journey-search-3-listing")

    # 4. It posts a demand in its own words and sees the matches, with reasons.
    page.get_by_test_id("nav-main").get_by_role("link", name="技术需求").click()
    page.get_by_role("link", name="发布技术需求").click()
    page.get_by_label("需要什么技术（一句话）").fill("电动车电池冬天续航太短")
    page.get_by_label("详细描述").fill("我们做电动三轮车，冬天电池掉电快，想找改善低温性能的技术。")
    page.get_by_label("所属行业").select_option("new_energy")
    page.get_by_label("预算上限（元）").fill("600000")
    page.get_by_label("转让").check()
    page.get_by_role("button", name="发布需求").click()
    assert page.get_by_test_id("demand-status").inner_text() == "征集中"
    first = page.get_by_test_id("match").first
    assert transfer_title in first.inner_text()
    reasons = first.get_by_test_id("match-reasons").inner_text()
    assert "共同关键词" in reasons and "H01M" in reasons and "交易方式符合：转让" in reasons
    screenshot(page, "journey-search-4-demand-matches")
