"""Listing pages through HTTP: the role × action matrix, each kind created through the real form,
bad input kept and explained, my listings and the public market with their filters and counts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.listings.models import Industry, Listing, ListingKind, ListingStatus
from marketplace.patents.models import PatentType


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="university")


def listing_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Listing))


def facet_count(html: str, facet: str) -> int:
    match = re.search(rf'data-facet="{re.escape(facet)}".*?data-count>(\d+)<', html, re.S)
    assert match, f"no facet {facet}"
    return int(match.group(1))


# --- the role × action matrix -------------------------------------------------------------

ROLES = ["anonymous", "member", "admin", "unverified", "other_enterprise", "bank", "operator"]


@pytest.fixture
def people(make, holder):
    """Every role, relative to listings of `holder`'s organisation (the unverified one owns its own)."""
    unverified_org = make.org("university", status="pending")
    return {
        "member": holder,
        "admin": make.user(holder.organization, role="admin"),
        "unverified": make.user(unverified_org),
        "other_enterprise": make.user(kind="enterprise"),
        "bank": make.user(kind="bank"),
        "operator": make.user(operator=True),
    }


def sign_in_as(as_user, client, people, role):
    if role == "anonymous":
        return client
    return as_user(people[role])


def owner_of_test(role, people, holder):
    """The unverified user acts on its own organisation's listing; everyone else on holder's."""
    return people["unverified"] if role == "unverified" else holder


# Who sees a published listing of each kind (pledges: banks, the owner, the operator).
VIEW = {
    "anonymous": (200, 404), "member": (200, 200), "admin": (200, 200), "unverified": (200, 200),
    "other_enterprise": (200, 404), "bank": (200, 200), "operator": (200, 200),
}


@pytest.mark.parametrize("kind", list(ListingKind))
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_a_published_listing(client, make, as_user, holder, people, role, kind):
    listing = make.listing(holder, kind=kind)
    sign_in_as(as_user, client, people, role)
    expected = VIEW[role][1 if kind == ListingKind.pledge else 0]
    if role == "unverified":
        expected = 404 if kind == ListingKind.pledge else 200  # not its listing
    assert client.get(f"/listings/{listing.id}").status_code == expected
    in_market = listing.title in client.get(f"/listings?kind={kind.value}").get_data(as_text=True)
    assert in_market == (kind != ListingKind.pledge or role in ("bank", "operator"))


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("member", 200), ("admin", 200), ("unverified", 200), ("other_enterprise", 200),
    ("bank", 403), ("operator", 403),
])
@pytest.mark.parametrize("kind", list(ListingKind))
def test_who_may_open_the_new_listing_form(client, as_user, people, role, status, kind):
    sign_in_as(as_user, client, people, role)
    assert client.get(f"/listings/new?kind={kind.value}").status_code == status


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("member", 200), ("admin", 200), ("unverified", 200), ("other_enterprise", 404),
    ("bank", 404), ("operator", 403),
])
@pytest.mark.parametrize("kind", list(ListingKind))
def test_who_may_edit_a_draft(client, make, as_user, holder, people, role, status, kind):
    listing = make.listing(owner_of_test(role, people, holder), kind=kind, publish=False)
    sign_in_as(as_user, client, people, role)
    assert client.get(f"/listings/{listing.id}/edit").status_code == status


@pytest.mark.parametrize("role, status, published", [
    ("anonymous", 302, False), ("member", 302, True), ("admin", 302, True), ("unverified", 403, False),
    ("other_enterprise", 404, False), ("bank", 404, False), ("operator", 403, False),
])
@pytest.mark.parametrize("kind", list(ListingKind))
def test_who_may_publish(client, make, as_user, holder, people, role, status, published, kind):
    listing = make.listing(owner_of_test(role, people, holder), kind=kind, publish=False)
    sign_in_as(as_user, client, people, role)
    response = client.post(f"/listings/{listing.id}/publish", follow_redirects=False)
    assert response.status_code == status
    db.session.refresh(listing)
    assert (listing.status == ListingStatus.published) == published
    if role == "unverified":
        assert "尚未通过平台审核" in response.get_data(as_text=True)  # the confirm page says why


@pytest.mark.parametrize("role, status, withdrawn", [
    ("anonymous", 302, False), ("member", 302, True), ("admin", 302, True),
    ("other_enterprise", 403, False), ("bank", 403, False), ("operator", 302, True),
])
@pytest.mark.parametrize("kind", [ListingKind.open_licence, ListingKind.transfer])
def test_who_may_withdraw(client, make, as_user, holder, people, role, status, withdrawn, kind):
    listing = make.listing(holder, kind=kind)
    sign_in_as(as_user, client, people, role)
    assert client.post(f"/listings/{listing.id}/withdraw").status_code == status
    db.session.refresh(listing)
    assert (listing.status == ListingStatus.withdrawn) == withdrawn


def test_publish_and_withdraw_ask_for_confirmation_first(client, make, as_user, holder):
    listing = make.listing(holder, publish=False)
    as_user(holder)
    html = client.get(f"/listings/{listing.id}/publish").get_data(as_text=True)
    assert "确认发布" in html
    db.session.refresh(listing)
    assert listing.status == ListingStatus.draft  # a GET changes nothing
    client.post(f"/listings/{listing.id}/publish")
    assert "确认撤回" in client.get(f"/listings/{listing.id}/withdraw").get_data(as_text=True)


def test_owner_sees_actions_and_others_see_how_to_act(client, make, as_user, holder):
    listing = make.listing(holder, kind=ListingKind.open_licence)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert 'data-testid="owner-actions"' not in html
    assert "登录后接受开放许可" in html and "登录后可查看挂牌方联系方式" in html
    as_user(make.user())
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "接受开放许可" in html and 'data-testid="contact"' in html
    as_user(holder)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert 'data-testid="owner-actions"' in html and "撤回" in html and "编辑" in html


# --- each kind through the real form -------------------------------------------------------

FORMS = {
    ListingKind.open_licence: {"payment_method": "entry_fee_plus_royalty", "fee_amount": "¥50,000.00",
                               "royalty_rate": "3.5", "sme_discount": "50", "term_end": "2030-12-31"},
    ListingKind.licence: {"licence_type": "exclusive", "territory": "中国大陆", "term_start": "2026-01-01",
                          "term_end": "2031-12-31", "asking_price": "300000"},
    ListingKind.transfer: {"asking_price": "1200000.50"},
    ListingKind.equity: {"valuation": "5000000", "equity_share": "12.5"},
    ListingKind.pledge: {"amount_wanted": "3000000", "term_months": "12", "purpose": "购置生产设备"},
}
STORED = {
    ListingKind.open_licence: {"fee_amount": Decimal("50000.00"), "royalty_rate": Decimal("3.50"),
                               "sme_discount": Decimal("50.00"), "term_end": date(2030, 12, 31)},
    ListingKind.licence: {"territory": "中国大陆", "asking_price": Decimal("300000.00")},
    ListingKind.transfer: {"asking_price": Decimal("1200000.50")},
    ListingKind.equity: {"valuation": Decimal("5000000.00"), "equity_share": Decimal("12.50")},
    ListingKind.pledge: {"amount_wanted": Decimal("3000000.00"), "term_months": 12, "purpose": "购置生产设备"},
}


def form_data(kind: ListingKind, ids, /, **changes) -> dict:
    data = {"title": f"测试{kind.label}挂牌", "description": "用于测试。", "industry": "ai",
            "patent_ids": [str(i) for i in ids], **FORMS[kind]}
    data.update(changes)
    return data


@pytest.mark.parametrize("kind", list(ListingKind))
def test_each_kind_created_through_the_form_then_published(client, make, as_user, holder, kind):
    patents = [make.patent(holder.organization), make.patent(holder.organization)]
    as_user(holder)
    html = client.get(f"/listings/new?kind={kind.value}&patent={patents[0].id}").get_data(as_text=True)
    assert f'<option selected value="{patents[0].id}">' in html  # prefilled from the patent page
    response = client.post(f"/listings/new?kind={kind.value}", data=form_data(kind, [p.id for p in patents]))
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(db.select(Listing).order_by(Listing.id.desc()))
    assert listing.kind == kind and listing.status == ListingStatus.draft
    assert listing.industry == Industry.ai and [p.id for p in listing.patents] == [p.id for p in patents]
    for name, value in STORED[kind].items():
        assert getattr(listing, name) == value, name
    assert client.post(f"/listings/{listing.id}/publish").status_code == 302
    db.session.refresh(listing)
    assert listing.status == ListingStatus.published


def test_the_form_shows_only_the_kinds_terms(client, as_user, holder):
    as_user(holder)
    html = client.get("/listings/new?kind=transfer").get_data(as_text=True)
    assert 'name="asking_price"' in html and 'name="payment_method"' not in html and 'name="valuation"' not in html
    html = client.get("/listings/new?kind=equity").get_data(as_text=True)
    assert 'name="valuation"' in html and 'name="asking_price"' not in html
    html = client.get("/listings/new").get_data(as_text=True)  # no kind yet: choose one
    assert "选择挂牌方式" in html and "/listings/new?kind=pledge" in html


def test_edit_a_published_listing_through_the_form(client, make, as_user, holder):
    listing = make.listing(holder, kind=ListingKind.transfer)
    as_user(holder)
    html = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="800000.00"' in html
    data = form_data(ListingKind.transfer, [listing.patents[0].id], asking_price="900000", title="新标题")
    assert client.post(f"/listings/{listing.id}/edit", data=data).status_code == 302
    db.session.refresh(listing)
    assert listing.asking_price == Decimal("900000.00") and listing.title == "新标题"
    assert listing.status == ListingStatus.published


BAD = [
    (ListingKind.open_licence, {"term_end": "2050-01-01"}, "term_end", "不能超过专利", "2050-01-01"),
    (ListingKind.open_licence, {"royalty_rate": "150"}, "royalty_rate", "比例必须在 0–100% 之间", "150"),
    (ListingKind.open_licence, {"royalty_rate": "-1"}, "royalty_rate", "比例必须在 0–100% 之间", "-1"),
    (ListingKind.open_licence, {"fee_amount": "-5000"}, "fee_amount", "金额不能为负数", "-5000"),
    (ListingKind.open_licence, {"payment_method": ""}, "payment_method", "请选择许可使用费支付方式", "测试开放许可挂牌"),
    (ListingKind.transfer, {"asking_price": "1000.123"}, "asking_price", "金额最多保留两位小数", "1000.123"),
    (ListingKind.transfer, {"asking_price": "99999999999"}, "asking_price", "金额超过 100 亿元", "99999999999"),
    (ListingKind.transfer, {"asking_price": "很多钱"}, "asking_price", "请输入金额", "很多钱"),
    (ListingKind.licence, {"term_end": "2049-01-01"}, "term_end", "不能超过专利", "2049-01-01"),
    (ListingKind.licence, {"licence_type": ""}, "licence_type", "请选择许可类型", "中国大陆"),
    (ListingKind.equity, {"equity_share": "0"}, "equity_share", "比例必须在 0–100% 之间", "5000000"),
    (ListingKind.equity, {"valuation": "-1"}, "valuation", "金额不能为负数", "-1"),
    (ListingKind.pledge, {"term_months": "200"}, "term_months", "融资期限应为 1–120 个月", "购置生产设备"),
    (ListingKind.pledge, {"amount_wanted": "0"}, "amount_wanted", "金额必须大于零", "购置生产设备"),
    (ListingKind.pledge, {"purpose": ""}, "purpose", "请说明资金用途", "3000000"),
    (ListingKind.transfer, {"patent_ids": []}, "patent_ids", "请至少选择一件专利", "1200000.50"),
    (ListingKind.transfer, {"title": ""}, "title", "此项必填", "1200000.50"),
]


@pytest.mark.parametrize("kind, changes, field, message, kept", BAD,
                         ids=[f"{k.value}-{f}-{m}" for k, _c, f, m, _kept in BAD])
def test_bad_listing_input_is_shown_beside_the_field_and_nothing_is_stored(client, make, as_user, holder,
                                                                          kind, changes, field, message, kept):
    patent = make.patent(holder.organization)  # expires 2043-02-28
    as_user(holder)
    before = listing_count()
    response = client.post(f"/listings/new?kind={kind.value}", data=form_data(kind, [patent.id], **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert re.search(rf'id="{field}-error"[^>]*>\s*<div>[^<]*{re.escape(message)}', html), "message not beside the field"
    assert kept in html  # what was typed is kept
    assert listing_count() == before


def test_open_licence_on_a_utility_model_without_evaluation_report(client, make, as_user, holder):
    patent = make.patent(holder.organization, patent_type=PatentType.utility, app_no="202320000001.3")
    as_user(holder)
    html = client.post("/listings/new?kind=open_licence",
                       data=form_data(ListingKind.open_licence, [patent.id], term_end="2032-12-31")).get_data(as_text=True)
    assert "专利权评价报告编号" in html and 'id="patent_ids-error"' in html
    assert listing_count() == 0


def test_patents_of_another_organisation_cannot_be_listed(client, make, as_user, holder):
    foreign = make.patent(make.org())
    as_user(holder)
    html = client.post("/listings/new?kind=transfer", data=form_data(ListingKind.transfer, [foreign.id])).get_data(as_text=True)
    assert "不属于本机构" in html and listing_count() == 0


def test_a_conflicting_edit_of_a_published_listing_keeps_the_stored_listing(client, make, as_user, holder):
    patent = make.patent(holder.organization)
    make.listing(holder, [patent], kind=ListingKind.open_licence)
    licence = make.listing(holder, kind=ListingKind.licence)
    as_user(holder)
    data = form_data(ListingKind.licence, [patent.id], licence_type="exclusive", term_end="2030-01-01")
    html = client.post(f"/listings/{licence.id}/edit", data=data).get_data(as_text=True)
    assert "开放许可或独占/排他许可" in html
    db.session.expire_all()
    assert [p.id for p in db.session.get(Listing, licence.id).patents] != [patent.id]


# --- my listings and the market -------------------------------------------------------------

def test_my_listings_filters_and_counts(client, make, as_user, holder):
    make.listing(holder, kind=ListingKind.transfer, title="已发布的转让")
    make.listing(holder, kind=ListingKind.transfer, publish=False, title="转让草稿")
    make.listing(holder, kind=ListingKind.equity, title="作价入股挂牌")
    make.listing(make.user(), kind=ListingKind.transfer, title="别家的挂牌")
    as_user(holder)
    html = client.get("/listings/mine").get_data(as_text=True)
    assert "已发布的转让" in html and "转让草稿" in html and "别家的挂牌" not in html
    assert facet_count(html, "status=published") == 2 and facet_count(html, "status=draft") == 1
    assert facet_count(html, "kind=transfer") == 2 and facet_count(html, "kind=equity") == 1
    html = client.get("/listings/mine?status=draft").get_data(as_text=True)
    assert "转让草稿" in html and "已发布的转让" not in html
    assert facet_count(html, "kind=transfer") == 1 and facet_count(html, "kind=equity") == 0
    html = client.get("/listings/mine?kind=equity").get_data(as_text=True)
    assert "作价入股挂牌" in html and "转让草稿" not in html
    assert facet_count(html, "status=published") == 1


def test_market_shows_live_public_listings_with_filters(client, make, as_user, holder):
    make.listing(holder, kind=ListingKind.open_licence, title="公开的开放许可", industry=Industry.ai)
    make.listing(holder, kind=ListingKind.transfer, title="公开的转让", industry=Industry.biomedicine)
    make.listing(holder, kind=ListingKind.transfer, title="未发布的转让", publish=False)
    make.listing(holder, kind=ListingKind.pledge, title="质押需求")
    html = client.get("/listings").get_data(as_text=True)
    assert "公开的开放许可" in html and "公开的转让" in html
    assert "未发布的转让" not in html and "质押需求" not in html
    assert facet_count(html, "kind=transfer") == 1 and facet_count(html, "industry=ai") == 1
    html = client.get("/listings?industry=biomedicine").get_data(as_text=True)
    assert "公开的转让" in html and "公开的开放许可" not in html
    assert client.get("/listings?kind=pledge").status_code == 200
    as_user(make.user(kind="bank"))
    html = client.get("/listings?kind=pledge").get_data(as_text=True)
    assert "质押需求" in html and "公开的转让" not in html
