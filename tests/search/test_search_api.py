"""GET /api/v1/search and /search: the SPEC §9 shape, facets, sorting, pages, bad input, and who
sees pledge listings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.listings.models import Industry, ListingKind


@pytest.fixture
def catalogue(make, holder):
    """A small catalogue: two battery listings, one AI listing, one pledge request of the holder."""
    org = holder.organization
    battery = make.listing(holder, [make.patent(org, title="一种锂离子电池热管理系统", ipc_codes=["H01M10/613", "H01M10/052"],
                                              abstract="通过液冷板降低电池组温度。")],
                           kind=ListingKind.transfer, asking_price=Decimal("300000"), industry=Industry.new_energy)
    battery2 = make.listing(holder, [make.patent(org, title="锂电池正极材料及其制备方法", ipc_codes=["H01M4/525"])],
                            kind=ListingKind.licence, asking_price=Decimal("1500000"), industry=Industry.new_materials)
    ai = make.listing(holder, [make.patent(org, title="一种基于AI芯片的图像识别方法", ipc_codes=["G06V10/82", "G06N3/04"],
                                         abstract="卷积神经网络在5G边缘设备上运行。")],
                      kind=ListingKind.open_licence, industry=Industry.ai)
    pledge = make.listing(holder, [make.patent(org, title="一种电池储能融资用专利", ipc_codes=["H02J7/00"])],
                          kind=ListingKind.pledge)
    return {"battery": battery, "battery2": battery2, "ai": ai, "pledge": pledge}


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    return response


def ids(response) -> set[int]:
    return {result["id"] for result in response.get_json()["results"]}


def test_shape_is_the_one_spec_section_9_describes(client, catalogue):
    body = api(client, q="电池").get_json()
    assert set(body) == {"total", "results", "facets"}
    assert body["total"] == 2
    result = body["results"][0]
    assert set(result) == {"id", "title", "kind", "ipc", "holder", "score", "url", "highlight"}
    assert result["url"] == f"/listings/{result['id']}"
    assert "<mark>电池</mark>" in result["highlight"] or "电池" in result["title"]
    assert isinstance(result["ipc"], list) and result["ipc"][0].startswith("H01M")
    assert set(body["facets"]) == {"kind", "industry", "ipc_section", "ipc_subclass", "patent_type",
                                   "holder_kind", "price_band"}
    subclasses = {v["value"]: v["count"] for v in body["facets"]["ipc_subclass"]}
    assert subclasses == {"H01M": 2}


def test_filters_narrow_and_facets_keep_other_values_reachable(client, catalogue):
    body = api(client, q="电池", kind="licence").get_json()
    assert ids(api(client, q="电池", kind="licence")) == {catalogue["battery2"].id}
    kinds = {v["value"]: (v["count"], v["selected"]) for v in body["facets"]["kind"]}
    assert kinds == {"licence": (1, True), "transfer": (1, False)}  # its own filter is not applied to it
    assert ids(api(client, price_band="100k_500k")) == {catalogue["battery"].id}
    assert ids(api(client, ipc_section="G")) == {catalogue["ai"].id}
    assert ids(api(client, ipc_subclass="h01m", industry="new_energy")) == {catalogue["battery"].id}


def test_mixed_script_ipc_and_number_queries(client, catalogue):
    assert ids(api(client, q="AI芯片")) == {catalogue["ai"].id}
    assert ids(api(client, q="5G")) == {catalogue["ai"].id}
    assert ids(api(client, q="G06V")) == {catalogue["ai"].id}
    assert ids(api(client, q="H01M10/052")) == {catalogue["battery"].id}
    number = catalogue["battery2"].patents[0].number
    assert ids(api(client, q=number)) == {catalogue["battery2"].id}
    assert ids(api(client, q='"电池热管理"')) == {catalogue["battery"].id}


def test_sorting_by_price_and_newest(client, catalogue):
    asc = [r["id"] for r in api(client, sort="price_asc").get_json()["results"]]
    assert asc == [catalogue["ai"].id, catalogue["battery"].id, catalogue["battery2"].id]
    desc = [r["id"] for r in api(client, sort="price_desc").get_json()["results"]]
    assert desc[0] == catalogue["battery2"].id
    newest = [r["id"] for r in api(client, sort="newest").get_json()["results"]]
    assert newest[0] == catalogue["ai"].id


def test_pagination(client, catalogue):
    first = api(client, per_page=2, page=1, sort="newest").get_json()
    second = api(client, per_page=2, page=2, sort="newest").get_json()
    assert first["total"] == second["total"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert not ids(api(client, per_page=2, page=1, sort="newest")) & ids(api(client, per_page=2, page=2, sort="newest"))


@pytest.mark.parametrize("q", [
    "", "   ", '"锂电池', "电池)", "((电池", "AND", "电池 AND", "OR OR", "NOT", "*", "电池^", "kind:pledge",
    "[a TO b]", "\\", ":", "电池~2", "“锂电池", "电池" * 5000,
])
def test_odd_queries_never_fail(client, catalogue, q):
    response = api(client, q=q)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 0
    assert catalogue["pledge"].id not in ids(response)
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200


def test_empty_query_browses_everything_visible(client, catalogue):
    assert api(client).get_json()["total"] == 3


def test_a_ten_thousand_character_query_is_cut(client, catalogue):
    response = api(client, q="电池" + "x" * 9998)
    assert response.status_code == 200
    page = client.get("/search", query_string={"q": "电池" + "x" * 9998})
    assert "只使用了前 200 个字" in page.get_data(as_text=True)


@pytest.mark.parametrize("params, word", [
    ({"kind": "barter"}, "kind"),
    ({"industry": "space"}, "industry"),
    ({"ipc_subclass": "ZZ9"}, "ipc_subclass"),
    ({"price_band": "cheap"}, "price_band"),
    ({"sort": "random"}, "排序"),
    ({"page": "-1"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "two"}, "page"),
    ({"per_page": "51"}, "per_page"),
    ({"per_page": "0"}, "per_page"),
])
def test_bad_parameters_are_a_clear_400_in_the_api(client, catalogue, params, word):
    response = api(client, **params)
    assert response.status_code == 400
    assert word in response.get_json()["error"]["message"]


def test_the_page_ignores_an_unknown_facet_value_and_says_so(client, catalogue):
    page = client.get("/search", query_string={"q": "电池", "kind": "barter"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "没有“barter”这个取值" in html and "共找到 2 项挂牌" in html


def test_a_page_past_the_end(client, catalogue):
    body = api(client, page=99).get_json()
    assert body["total"] == 3 and body["results"] == []
    page = client.get("/search", query_string={"page": 99, "per_page": 2})
    assert page.status_code == 302 and "page=2" in page.headers["Location"]


def test_the_empty_result_helps(client, catalogue):
    html = client.get("/search", query_string={"q": "电池", "kind": "equity"}).get_data(as_text=True)
    assert "没有找到符合条件的挂牌" in html
    assert "去掉“挂牌类型：作价入股”" in html
    html = client.get("/search", query_string={"q": "续航 电池 量子隧穿"}).get_data(as_text=True)
    assert "包含部分词语" in html  # no result had every word: relaxed to some of them
    html = client.get("/search", query_string={"q": "充电桩 电池组温度"}).get_data(as_text=True)
    assert "您描述的技术可能属于" in html and "H01M 电池、燃料电池" in html  # learned from the listings


def test_the_page_shows_facets_highlights_and_keeps_filters_in_links(client, catalogue):
    html = client.get("/search", query_string={"q": "电池", "kind": "transfer"}).get_data(as_text=True)
    assert "<mark>电池</mark>" in html
    assert 'data-testid="facet-ipc_subclass"' in html
    assert "kind=transfer" in html and "去掉此条件" in html


@pytest.mark.parametrize("viewer, sees_pledge", [
    ("anonymous", False), ("enterprise", False), ("other_bank", True), ("owner", True), ("operator", False),
    ("other_university", False),
])
def test_pledge_listings_only_for_banks_and_their_owner(client, make, holder, catalogue, as_user, viewer,
                                                        sees_pledge):
    users = {"enterprise": lambda: make.user(), "other_bank": lambda: make.user(kind="bank"),
             "owner": lambda: holder, "operator": lambda: make.user(operator=True),
             "other_university": lambda: make.user(kind="university")}
    if viewer != "anonymous":
        as_user(users[viewer]())
    pledge = catalogue["pledge"]
    for params in ({"q": "融资"}, {}, {"kind": "pledge"}, {"q": "H02J"}, {"q": "储能", "sort": "newest"}):
        assert (pledge.id in ids(api(client, **params))) is sees_pledge, params
        html = client.get("/search", query_string=params).get_data(as_text=True)
        assert (f"/listings/{pledge.id}\"" in html) is sees_pledge, params
    kinds = {v["value"] for v in api(client).get_json()["facets"]["kind"]}
    assert ("pledge" in kinds) is sees_pledge


def test_nav_has_the_search_entry(client):
    html = client.get("/").get_data(as_text=True)
    assert "技术搜索" in html and 'href="/search"' in html
