"""The one ranking engine: keywords stay precise, sentences are weighted needs, a threshold keeps
generic words from making matches, and the search box, the API and matching agree."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.demands.operations import DemandInput, create_demand
from marketplace.extensions import db
from marketplace.listings.models import Industry, ListingKind
from marketplace.listings.operations import withdraw_listing
from marketplace.search import engine
from marketplace.search.alerts import send_due_digests
from marketplace.search.embeddings import get_store
from marketplace.search.matching import demands_for_listing, matches_for_demand, takers_for_listing
from marketplace.search.params import SearchParams
from marketplace.search.queries import search
from marketplace.types import utcnow


@pytest.fixture
def sme(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


def listing(make, holder, title, codes, abstract="", **values):
    patent = make.patent(holder.organization, title=title, ipc_codes=codes, abstract=abstract)
    values.setdefault("asking_price", Decimal("500000"))
    return make.listing(holder, [patent], kind=values.pop("kind", ListingKind.transfer), **values)


ANTIBODIES = [
    ("一种抗PD-1单克隆抗体及其制备方法", ["C07K16/28", "A61K39/395"]),
    ("抗体偶联药物及其在肿瘤治疗中的用途", ["A61K47/68", "A61P35/00"]),
    ("一种靶向HER2的双特异性抗体", ["C07K16/32"]),
    ("人源化抗CD20抗体的制备方法", ["C07K16/28", "C12N15/13"]),
    ("纳米抗体及其在药物递送中的应用", ["C07K16/18", "A61K9/51"]),
    ("一种中和新冠病毒的抗体组合物", ["C07K16/10", "A61P31/14"]),
]
OTHERS = [
    ("一种茶叶揉捻机", ["A23F3/12"], "揉捻茶叶的机械装置。"),
    ("光伏支架的安装结构", ["H02S20/30"], "一种光伏组件支架。"),
    ("锂离子电池正极材料的制备方法", ["H01M4/525"], "经中试加工，结果表明循环性能好。"),
]


@pytest.fixture
def catalogue(make, holder):
    antibodies = [listing(make, holder, title, codes, industry=Industry.biomedicine) for title, codes in ANTIBODIES]
    others = [listing(make, holder, title, codes, abstract) for title, codes, abstract in OTHERS]
    return antibodies, others


def test_keywords_and_sentences_are_told_apart():
    assert engine.is_keyword_query("电池")
    assert engine.is_keyword_query("锂电池 正极")
    assert engine.is_keyword_query("CN202211740332.4")
    assert engine.is_keyword_query('"锂离子电池" -钠离子')
    assert not engine.is_keyword_query("抗体药物及其制备方法")
    assert not engine.is_keyword_query("冬天电池掉电快，想找改进电池材料的技术")


def test_generic_words_are_never_terms_and_words_are_whole():
    assert engine.meaningful_terms("一种正极材料的制备方法，用于中试加工处理") == ["正极"]
    assert "用电" not in engine.meaningful_terms("想用电脑管理仓库")  # no substring matches
    assert "药" not in engine.meaningful_terms("农药残留检测")


def test_a_sentence_finds_every_relevant_listing_not_one(catalogue):
    antibodies, others = catalogue
    result = search(SearchParams(q="抗体药物及其制备方法"), None)
    assert {hit.id for hit in result.hits} == {a.id for a in antibodies}
    assert result.total == len(antibodies)
    # Words the user separated keep their precise meaning: every word.
    precise = search(SearchParams(q="抗体 药物"), None)
    assert {hit.id for hit in precise.hits} == {antibodies[1].id, antibodies[4].id}
    # A short phrase few listings contain word for word: those first, then the weighted reading.
    phrase = search(SearchParams(q="抗体药物"), None)
    assert {hit.id for hit in phrase.hits[:2]} == {antibodies[1].id, antibodies[4].id}
    assert {hit.id for hit in phrase.hits} == {a.id for a in antibodies}


def test_reasons_name_meaningful_terms_and_the_subclass_in_words(catalogue):
    antibodies, _others = catalogue
    hit = search(SearchParams(q="抗体药物及其制备方法"), None).hits[0]
    reasons = "；".join(hit.reasons)
    assert "共同关键词" in reasons and "抗体" in reasons
    assert "制备" not in reasons and "方法" not in reasons
    assert re.search(r"可能属于 (C07K 肽、蛋白质、抗体|A61K 医用、牙科或化妆用配制品)", reasons)


def test_the_box_the_api_and_matching_give_the_same_top_ten(client, make, holder, sme, catalogue):
    antibodies, _others = catalogue
    for n in range(6):  # more than ten candidates, so the order matters
        listing(make, holder, f"抗肿瘤抗体药物制剂{n}号", ["A61K39/395"], abstract=f"第{n}种抗体注射液。")
    text = "想找抗肿瘤的抗体药物，最好能治疗肺癌"
    demand = create_demand(sme, DemandInput(title="想找抗肿瘤的抗体药物", description="最好能治疗肺癌",
                                            industry=Industry.biomedicine), publish=True)
    db.session.commit()
    api = [r["id"] for r in client.get("/api/v1/search", query_string={"q": text, "per_page": 10}).get_json()["results"]]
    html = client.get("/search", query_string={"q": text, "per_page": 10}).get_data(as_text=True)
    page = [int(i) for i in re.findall(r'href="/listings/(\d+)"', html)]
    page = list(dict.fromkeys(page))
    matched = [m.listing.id for m in matches_for_demand(demand, sme, limit=10)]
    assert len(api) >= 8  # the unrelated listings stay below the threshold
    assert api == page[:10] == matched


def generic_demand(sme):
    return create_demand(sme, DemandInput(
        title="抗肿瘤新药中试", description="寻求化合物的制备方法，需要中试加工和检测结果，处理工艺成熟的技术",
        industry=Industry.biomedicine), publish=True)


def test_a_listing_sharing_only_generic_words_is_not_mailed(make, holder, sme):
    demand = generic_demand(sme)
    db.session.commit()
    start = utcnow()
    cathode = listing(make, holder, "一种正极材料的制备方法", ["H01M4/525"],
                      abstract="经中试加工，结果表明该处理方法工艺简单。")
    assert matches_for_demand(demand, sme) == []
    assert demands_for_listing(cathode) == []
    assert send_due_digests(start + timedelta(minutes=1)) == 0
    # The same demand is mailed a listing that is about its subject.
    listing(make, holder, "一种抗肿瘤化合物及其制备方法", ["C07D401/14", "A61P35/00"], abstract="抑制肿瘤细胞增殖。")
    assert send_due_digests(start + timedelta(days=1, minutes=2)) == 1


def test_listing_to_demands_agrees_with_demand_to_listings(make, holder, sme, catalogue):
    antibodies, others = catalogue
    demand = create_demand(sme, DemandInput(title="抗体药物", description="想引进治疗肿瘤的抗体药物",
                                            industry=Industry.biomedicine), publish=True)
    db.session.commit()
    matched = {m.listing.id for m in matches_for_demand(demand, sme, limit=50)}
    for item in antibodies + others:
        answered = [found.demand.id for found in demands_for_listing(item)]
        assert (demand.id in answered) == (item.id in matched)
    assert matched and others[0].id not in matched


def test_vectors_follow_the_listings(app, make, holder, ctx):
    first = listing(make, holder, "一种低温锂离子电池电解液", ["H01M10/0567"])
    search(SearchParams(q="电池"), None)  # tests apply pending index and vector work before searching
    store = get_store()
    before = store.hashes()
    assert first.id in before
    withdraw_listing(first, holder)
    db.session.commit()
    search(SearchParams(q="电池"), None)
    assert first.id not in store.hashes()


def test_embed_command(runner, make, holder, ctx):
    listing(make, holder, "一种茶叶揉捻机", ["A23F3/12"])
    result = runner.invoke(args=["search", "embed"])
    assert result.exit_code == 0, result.output
    assert "listing(s) embedded" in result.output


def test_only_the_holder_sees_the_likely_takers(client, make, holder, sme, as_user):
    battery = listing(make, holder, "一种低温锂离子电池电解液", ["H01M10/0567"], abstract="提高电池低温放电容量。",
                      industry=Industry.new_energy)
    create_demand(sme, DemandInput(title="电动车电池冬天续航短", description="想找改进电池低温性能的技术",
                                   industry=Industry.new_energy), publish=True)
    maker = make.user(kind="enterprise")
    make.patent(maker.organization, title="一种锂离子电池隔膜", ipc_codes=["H01M50/40"])
    unrelated = make.user(kind="enterprise")
    make.patent(unrelated.organization, title="一种茶叶揉捻机", ipc_codes=["A23F3/12"])
    db.session.commit()
    takers = takers_for_listing(battery)
    names = [t.organization.name for t in takers]
    assert sme.organization.name in names and maker.organization.name in names
    assert unrelated.organization.name not in names
    reasons = "；".join(r for t in takers for r in t.reasons)
    assert "正在寻找" in reasons and "H01M 电池、燃料电池" in reasons
    as_user(holder)
    html = client.get(f"/listings/{battery.id}").get_data(as_text=True)
    assert "可能的受让方" in html and sme.organization.name in html
    as_user(sme)
    assert "可能的受让方" not in client.get(f"/listings/{battery.id}").get_data(as_text=True)
