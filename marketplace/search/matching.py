"""Demands ↔ listings ↔ enterprises, ranked by the one engine (engine.py through queries.search).

Demand → listings is the search of the demand's text (title and description), with the IPC
subclasses the demand names as a certain prior: the same scores, order and reasons as the search
box for the same text. Listing → demands asks the same question the other way round (each open
demand's search, limited to the listing), so a listing is mailed to a demand exactly when it
would show among that demand's matches. Listing → enterprises (可能的受让方) adds the enterprises'
own patents (shared IPC subclasses and meaningful title words) to their open demands."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import Organization, OrgKind, OrgStatus
from ..demands.models import Demand, DemandStatus
from ..extensions import db
from ..listings.industry import guess_industry
from ..listings.models import Listing, ListingKind
from ..listings.pricing import budget_fit
from ..patents.ipc_titles import subclass_label
from ..patents.models import Patent
from .engine import meaningful_terms
from .params import MAX_PER_PAGE, SearchParams
from .queries import search

DEMAND_TEXT_CHARS = 300  # a demand's title and the start of its description


def demand_text(demand: Demand) -> str:
    text = demand.title.strip()
    if demand.description and demand.description.strip():
        text = f"{text}，{demand.description.strip()}"
    return text[:DEMAND_TEXT_CHARS]


@dataclass
class Match:
    listing: Listing
    score: float
    found_because: list[str]  # the engine's reasons: shared terms, subclass, semantic closeness
    same_industry: bool = False
    kind_wanted: bool | None = None
    budget_fits: bool | None = None

    @property
    def reasons(self) -> list[str]:
        reasons = list(self.found_because)
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


def _match(demand: Demand, listing: Listing, score: float, found_because: list[str]) -> Match:
    kind_wanted = (listing.kind.value in demand.wanted_kinds) if demand.wanted_kinds else None
    return Match(listing, score, found_because, listing.industry == demand.industry, kind_wanted,
                 budget_fit(listing, demand))


def _demand_hits(demand: Demand, user, limit: int, only_ids: set[int] | None):
    params = SearchParams(q=demand_text(demand), per_page=min(MAX_PER_PAGE, limit + 10))
    hits = search(params, user, facets=False, only_ids=only_ids,
                  stated_subclasses=tuple(demand.ipc_hint or ())).hits
    return [hit for hit in hits if hit.kind != ListingKind.pledge.value]


def matches_for_demand(demand: Demand, user, limit: int = 10, only_ids: set[int] | None = None) -> list[Match]:
    """The listings that answer a demand, best first, each with its reasons (none below the
    engine's threshold; never the demand's own organisation's, never a pledge)."""
    hits = _demand_hits(demand, user, limit, only_ids)
    listings = {listing.id: listing for listing in db.session.scalars(
        select(Listing).where(Listing.id.in_([hit.id for hit in hits])))}
    matches = []
    for hit in hits:
        listing = listings.get(hit.id)
        if listing is None or listing.owner_id == demand.organization_id:
            continue
        matches.append(_match(demand, listing, hit.score, hit.reasons))
    return matches[:limit]


# --- listing → demands ------------------------------------------------------------------

@dataclass
class DemandMatch:
    demand: Demand
    score: float
    match: Match


def open_demands(limit: int = 1000) -> list[Demand]:
    return db.session.scalars(select(Demand).where(Demand.status == DemandStatus.open)
                              .order_by(Demand.published_at.desc()).limit(limit)).all()


def demands_for_listings(listings: list[Listing], demands: list[Demand] | None = None,
                         limit: int = 10) -> dict[int, list[DemandMatch]]:
    """For each listing, the open demands it answers (one engine search per demand, limited to
    these listings): a listing appears for a demand exactly when it is among that demand's matches."""
    found: dict[int, list[DemandMatch]] = defaultdict(list)
    by_id = {listing.id: listing for listing in listings}
    for demand in demands if demands is not None else open_demands():
        if not demand.is_open:
            continue
        candidates = {i for i, listing in by_id.items() if listing.owner_id != demand.organization_id}
        if not candidates:
            continue
        for hit in _demand_hits(demand, None, len(candidates), candidates):
            listing = by_id[hit.id]
            found[hit.id].append(DemandMatch(demand, hit.score, _match(demand, listing, hit.score, hit.reasons)))
    for matches in found.values():
        matches.sort(key=lambda m: -m.score)
        del matches[limit:]
    return found


def demands_for_listing(listing: Listing, limit: int = 10, demands: list[Demand] | None = None) -> list[DemandMatch]:
    return demands_for_listings([listing], demands, limit).get(listing.id, [])


# --- listing → enterprises (可能的受让方) ------------------------------------------------------

DEMAND_WEIGHT = 1.0
INDUSTRY_WEIGHT = 0.2
PATENT_SUBCLASS_WEIGHT = 0.4
PATENT_TERMS_WEIGHT = 0.4
TAKER_THRESHOLD = 0.5


@dataclass
class Taker:
    organization: Organization
    score: float
    reasons: list[str] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)


def _listing_subclasses(listing: Listing) -> list[str]:
    return list(dict.fromkeys(s for patent in listing.patents for s in patent.ipc_subclasses))


def takers_for_listing(listing: Listing, limit: int = 10) -> list[Taker]:
    """Registered enterprises that might take this listing, with reasons: their open demands it
    answers (the engine's scores), their industry, and how close their own patents are to it."""
    enterprises = {org.id: org for org in db.session.scalars(select(Organization).where(
        Organization.kind == OrgKind.enterprise, Organization.status == OrgStatus.verified,
        Organization.id != listing.owner_id))}
    if not enterprises:
        return []
    takers: dict[int, Taker] = {}

    def taker(org_id: int) -> Taker:
        return takers.setdefault(org_id, Taker(enterprises[org_id], 0.0))

    demands = [d for d in open_demands() if d.organization_id in enterprises]
    for match in demands_for_listing(listing, limit=50, demands=demands):
        entry = taker(match.demand.organization_id)
        if not entry.demands:
            entry.score += DEMAND_WEIGHT * match.score
            entry.reasons.append(_("正在寻找：“%(title)s”", title=match.demand.title))
            entry.reasons.extend(match.match.found_because)
        entry.demands.append(match.demand)

    subclasses = _listing_subclasses(listing)
    listing_terms = set(meaningful_terms("\n".join([listing.title, *(p.title for p in listing.patents)])))
    patents = db.session.scalars(select(Patent).where(Patent.owner_id.in_(list(enterprises)))).all()
    own: dict[int, list[Patent]] = defaultdict(list)
    for patent in patents:
        own[patent.owner_id].append(patent)
    for org_id, org_patents in own.items():
        shared_subclasses: dict[str, int] = defaultdict(int)
        shared_terms: set[str] = set()
        for patent in org_patents:
            for subclass in patent.ipc_subclasses:
                if subclass in subclasses:
                    shared_subclasses[subclass] += 1
            shared_terms |= listing_terms & set(meaningful_terms(patent.title))
        if not shared_subclasses and not shared_terms:
            continue
        entry = taker(org_id)
        if shared_subclasses:
            best, count = max(shared_subclasses.items(), key=lambda item: item[1])
            entry.score += PATENT_SUBCLASS_WEIGHT * min(1.0, 0.5 + 0.25 * count)
            entry.reasons.append(_("自有专利同属 %(label)s（%(n)d 件）", label=subclass_label(best), n=count))
        if shared_terms:
            entry.score += PATENT_TERMS_WEIGHT * min(1.0, math.sqrt(len(shared_terms)) / 2)
            entry.reasons.append(_("自有专利涉及：%(terms)s", terms="、".join(sorted(shared_terms)[:5])))
    for org_id, entry in takers.items():
        industries = {d.industry for d in entry.demands} | {guess_industry(p.ipc_codes or []) for p in own[org_id]}
        if listing.industry in industries:
            entry.score += INDUSTRY_WEIGHT
            entry.reasons.append(_("同一行业：%(industry)s", industry=listing.industry.label))
    found = [t for t in takers.values() if t.score >= TAKER_THRESHOLD]
    found.sort(key=lambda t: (-t.score, t.organization.name))
    return found[:limit]


def budget_label(amount: Decimal | None) -> str:
    from ..formatting import money

    return money(amount) if amount is not None else _("不限")
