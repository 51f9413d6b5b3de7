"""Demands ↔ listings: ranked matches with the reasons a person can check.

Demand → listings runs through the same index and query code as the search page: the demand's
words (title counted twice), the technical terms its words imply (vocabulary), and a boost for
the IPC subclasses it names or implies; a first pass's top results vote for further subclasses
(pseudo-relevance feedback). Listing → demands compares profiles directly: there are few demands."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from whoosh import query

from ..demands.models import Demand, DemandStatus
from ..extensions import db
from ..listings.models import Listing
from ..listings.pricing import budget_fit
from .params import SearchParams
from .queries import Hit, search
from .schema import TEXT_FIELDS
from .tokenizer import query_terms
from .vocabulary import expand

# Generic words an SME uses that say nothing about the technology.
FILLER = frozenset(["技术", "方案", "产品", "公司", "企业", "我们", "我司", "工厂", "厂", "问题", "方法", "系统", "装置", "设备", "解决", "提高", "提升", "降低", "减少", "效果", "更好", "比较", "现在", "目前", "经常", "客户", "成本", "效率", "质量", "能力", "方面", "相关", "合作", "专利", "购买", "引进", "一下", "一套", "可以", "希望", "需要", "寻求", "能", "用", "做", "新", "好", "多", "少", "大", "小", "高", "低", "快", "慢"])

# Weights chosen on bench/search_quality.py (a grid over these four; larger IPC boosts raise the
# figure further but let the subclass outweigh the words, so the middle of the range is kept).
TITLE_WEIGHT = 1.0
EXPANSION_WEIGHT = 0.6
HINT_BOOST = 12.0  # per IPC subclass the demand states
IMPLIED_BOOST = 10.0  # per IPC subclass its words imply
FEEDBACK_BOOST = 6.0  # per IPC subclass the first pass's top results agree on
FEEDBACK_DEPTH = 10
FEEDBACK_SHARE = 0.3


@dataclass
class Profile:
    """What a demand (or a search box text) is about, ready to query and to explain."""

    title_terms: list[str]
    terms: list[str]  # every own term (title first)
    expansions: list[str]
    subclasses: dict[str, float]  # subclass → boost
    stated_subclasses: list[str] = field(default_factory=list)

    @property
    def all_terms(self) -> list[str]:
        return self.terms + [t for t in self.expansions if t not in self.terms]


def _meaningful(terms: list[str]) -> list[str]:
    return [t for t in terms if t not in FILLER and not (len(t) == 1 and "\u4e00" <= t <= "\u9fff")]


def profile_of(title: str, description: str = "", ipc_hint: list[str] | None = None) -> Profile:
    title_terms = _meaningful(query_terms(title))
    terms = list(dict.fromkeys(title_terms + _meaningful(query_terms(description))))
    expansion = expand(f"{title} {description}")
    subclasses = {s: IMPLIED_BOOST * w for s, w in expansion.subclasses.items()}
    for subclass in ipc_hint or []:
        subclasses[subclass] = subclasses.get(subclass, 0.0) + HINT_BOOST
    return Profile(title_terms, terms, [t for t in expansion.terms if t not in terms], subclasses,
                   list(ipc_hint or []))


def demand_profile(demand: Demand) -> Profile:
    return profile_of(demand.title, demand.description, demand.ipc_hint)


def _term_query(term: str, weight: float) -> query.Query:
    return query.Or([query.Term(name, term, boost=boost * weight) for name, boost in TEXT_FIELDS.items()])


def profile_query(profile: Profile) -> query.Query | None:
    parts = []
    for term in profile.terms:
        parts.append(_term_query(term, TITLE_WEIGHT if term in profile.title_terms else 1.0))
    for term in profile.expansions:
        parts.append(_term_query(term, EXPANSION_WEIGHT))
    if not parts:
        return None
    return query.Or(parts, scale=0.9)


def subclass_boosts(subclasses: dict[str, float]) -> query.Query | None:
    if not subclasses:
        return None
    return query.Or([query.ConstantScoreQuery(query.Term("ipc_subclass", s), score=w)
                     for s, w in subclasses.items()])


def ranked_hits(profile: Profile, user, limit: int = 10, params: SearchParams | None = None,
                only_ids: set[int] | None = None) -> list[Hit]:
    """The listings that answer a profile best, visible to `user`, through the site's search."""
    text = profile_query(profile)
    if text is None:
        return []
    params = params or SearchParams(per_page=limit)
    first = search(params, user, text=text, boosts=subclass_boosts(profile.subclasses), facets=False,
                   only_ids=only_ids)
    votes: Counter[str] = Counter()
    for rank, hit in enumerate(first.hits[:FEEDBACK_DEPTH]):
        for subclass in hit.subclasses[:3]:
            votes[subclass] += 1.0 / (1 + 0.2 * rank)
    total = sum(votes.values())
    agreed = {s: FEEDBACK_BOOST * v / total for s, v in votes.items() if total and v / total >= FEEDBACK_SHARE}
    if not agreed:
        return first.hits
    merged = dict(profile.subclasses)
    for subclass, weight in agreed.items():
        merged[subclass] = merged.get(subclass, 0.0) + weight
    second = search(params, user, text=text, boosts=subclass_boosts(merged), facets=False, only_ids=only_ids)
    return second.hits


# --- reasons ---------------------------------------------------------------------------

@dataclass
class Match:
    listing: Listing
    score: float
    shared_terms: list[str]
    same_subclasses: list[str]
    same_industry: bool
    kind_wanted: bool | None
    budget_fits: bool | None

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_terms:
            reasons.append(_("共同关键词：%(terms)s", terms="、".join(self.shared_terms[:6])))
        if self.same_subclasses:
            reasons.append(_("同属 IPC 小类 %(codes)s", codes="、".join(self.same_subclasses)))
        if self.same_industry:
            reasons.append(_("同一行业：%(industry)s", industry=self.listing.industry.label))
        if self.kind_wanted:
            reasons.append(_("交易方式符合：%(kind)s", kind=self.listing.kind.label))
        elif self.kind_wanted is False:
            reasons.append(_("交易方式为%(kind)s，与您希望的不同", kind=self.listing.kind.label))
        if self.budget_fits:
            reasons.append(_("价格在预算内"))
        elif self.budget_fits is False:
            reasons.append(_("价格超出预算"))
        return reasons


def listing_text(listing: Listing) -> str:
    return "\n".join([listing.title, listing.description or "", *(p.title for p in listing.patents),
                      *(p.abstract for p in listing.patents if p.abstract)])


def listing_subclasses(listing: Listing) -> list[str]:
    seen: list[str] = []
    for patent in listing.patents:
        for subclass in patent.ipc_subclasses:
            if subclass not in seen:
                seen.append(subclass)
    return seen


def explain(demand: Demand | None, profile: Profile, listing: Listing, score: float) -> Match:
    text = listing_text(listing).lower()
    shared = [t for t in profile.all_terms if t in text]
    implied = set(profile.subclasses)
    same = [s for s in listing_subclasses(listing) if s in implied]
    if demand is None:
        return Match(listing, score, shared, same, False, None, None)
    kind_wanted = (listing.kind.value in demand.wanted_kinds) if demand.wanted_kinds else None
    return Match(listing, score, shared, same, listing.industry == demand.industry, kind_wanted,
                 budget_fit(listing, demand))


def matches_for_demand(demand: Demand, user, limit: int = 10, only_ids: set[int] | None = None) -> list[Match]:
    """Ranked listings for a demand, each with its reasons; fit of kind, industry and budget reorders."""
    profile = demand_profile(demand)
    hits = ranked_hits(profile, user, limit=limit * 2, only_ids=only_ids)
    hits = [hit for hit in hits if hit.kind != "pledge"]
    listings = {listing.id: listing for listing in db.session.scalars(
        db.select(Listing).where(Listing.id.in_([hit.id for hit in hits])))}
    matches = []
    for hit in hits:
        listing = listings.get(hit.id)
        if listing is None or listing.owner_id == demand.organization_id:
            continue
        match = explain(demand, profile, listing, hit.score)
        bonus = 1.0 + 0.15 * match.same_industry + 0.15 * bool(match.kind_wanted) + 0.1 * bool(match.budget_fits)
        if match.kind_wanted is False:
            bonus -= 0.2
        if match.budget_fits is False:
            bonus -= 0.1
        match.score = hit.score * bonus
        matches.append(match)
    matches.sort(key=lambda m: -m.score)
    return matches[:limit]


# --- listing → demands ------------------------------------------------------------------

@dataclass
class DemandMatch:
    demand: Demand
    score: float
    match: Match


def open_demands(limit: int = 1000) -> list[Demand]:
    return db.session.scalars(db.select(Demand).where(Demand.status == DemandStatus.open)
                              .order_by(Demand.published_at.desc()).limit(limit)).all()


def demands_for_listing(listing: Listing, limit: int = 10, demands: list[Demand] | None = None) -> list[DemandMatch]:
    """Open demands this listing answers, best first (shown to the listing's holder). A page that
    asks for many listings passes `open_demands()` once instead of a query per listing."""
    text = listing_text(listing).lower()
    listing_terms = set(query_terms(text))
    subclasses = set(listing_subclasses(listing))
    found = []
    for demand in demands if demands is not None else open_demands():
        if not demand.is_open or demand.organization_id == listing.owner_id:
            continue
        profile = demand_profile(demand)
        own = [t for t in profile.terms if t in listing_terms or (len(t) > 1 and t in text)]
        implied = [t for t in profile.expansions if t in listing_terms or t in text]
        same = [s for s in subclasses if s in profile.subclasses]
        if not own and not (same and implied):
            continue
        score = 2.0 * len(own) + 0.5 * len(implied) + 1.5 * len(same) + (1.0 if listing.industry == demand.industry else 0)
        match = explain(demand, profile, listing, score)
        found.append(DemandMatch(demand, score, match))
    found.sort(key=lambda m: -m.score)
    return found[:limit]


def budget_label(amount: Decimal | None) -> str:
    from ..formatting import money

    return money(amount) if amount is not None else _("不限")
