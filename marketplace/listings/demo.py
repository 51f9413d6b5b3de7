"""Demo listings: every kind, in every realistic status, spread over the plan's industries.

Listings go through the real operations, so every rule (terms, encumbrances, expiry) holds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..dates import add_years, business_date
from ..demo import DemoContext, demo_step
from ..extensions import db
from ..patents.demo_grammar import GRAMMAR, MATURITY
from ..patents.models import LegalStatus, Patent, PatentType
from .models import Industry, LicenceType, ListingKind, ListingStatus, PaymentMethod
from .operations import ListingInput, create_listing, publish_listing, transition, withdraw_listing

# holder key → how many listings of each kind it posts
PLAN = {
    "uni_minjiang": {ListingKind.open_licence: 30, ListingKind.licence: 10, ListingKind.transfer: 12, ListingKind.equity: 4},
    "uni_haixi": {ListingKind.open_licence: 20, ListingKind.licence: 6, ListingKind.transfer: 8, ListingKind.equity: 3},
    "inst_optics": {ListingKind.open_licence: 12, ListingKind.licence: 6, ListingKind.transfer: 6, ListingKind.equity: 3},
    "ent_xinrui": {ListingKind.pledge: 2, ListingKind.licence: 2, ListingKind.transfer: 2},
    "ent_kangyuan": {ListingKind.pledge: 2, ListingKind.transfer: 1, ListingKind.licence: 1},
    "ent_shuzhi": {ListingKind.pledge: 2, ListingKind.licence: 2, ListingKind.open_licence: 1},
    "ent_minfeng": {ListingKind.pledge: 3, ListingKind.transfer: 2, ListingKind.licence: 1},
    "ent_haiyun": {ListingKind.pledge: 3, ListingKind.transfer: 2, ListingKind.equity: 1},
}
TERRITORIES = ["中国大陆", "中国大陆", "福建省", "全球"]
PURPOSES = ["研发投入与新产品试制", "购置生产设备", "补充流动资金，扩大生产", "建设中试生产线", "采购原材料"]


def _money(rng, low: int, high: int, step: int) -> Decimal:
    return Decimal(rng.randrange(low, high + 1, step))


def _years_ahead(today: date, years: int) -> date:
    return add_years(today, years)


def _fits(patent: Patent, kind: ListingKind, today: date) -> bool:
    if not patent.is_in_force(today) or (patent.expires_on and patent.expires_on < today + timedelta(days=400)):
        return False
    if kind in (ListingKind.open_licence, ListingKind.pledge):
        if patent.legal_status != LegalStatus.granted:
            return False
        if kind == ListingKind.open_licence and patent.patent_type.needs_evaluation_report:
            return bool(patent.evaluation_report_no)
    return True


def _terms(ctx: DemoContext, kind: ListingKind, patents: list[Patent], today: date) -> dict:
    rng = ctx.rng
    earliest = min(p.expires_on for p in patents if p.expires_on)
    if kind == ListingKind.open_licence:
        method = rng.choices(list(PaymentMethod), weights=[40, 25, 20, 15])[0]
        terms = {"payment_method": method, "term_end": min(_years_ahead(today, rng.randint(3, 5)), earliest)}
        if method.needs_fee:
            terms["fee_amount"] = _money(rng, 10_000, 200_000, 1_000)
        if method.needs_royalty:
            terms["royalty_rate"] = Decimal(rng.randrange(10, 61, 5)) / 10
        if method != PaymentMethod.free and rng.random() < 0.3:
            terms["sme_discount"] = Decimal(rng.choice([20, 30, 50]))
        return terms
    if kind == ListingKind.licence:
        licence_type = rng.choices(list(LicenceType), weights=[70, 15, 15])[0]
        terms = {"licence_type": licence_type, "territory": rng.choice(TERRITORIES)}
        if rng.random() < 0.6:
            terms["term_end"] = min(_years_ahead(today, rng.randint(3, 8)), earliest)
        if rng.random() < 0.65:
            terms["asking_price"] = _money(rng, 50_000, 1_000_000, 10_000)
        return terms
    if kind == ListingKind.transfer:
        return {"asking_price": _money(rng, 100_000, 3_000_000, 10_000)} if rng.random() < 0.7 else {}
    if kind == ListingKind.equity:
        return {"valuation": _money(rng, 1_000_000, 20_000_000, 100_000),
                "equity_share": Decimal(rng.randint(5, 35))}
    amount = _money(rng, 1_000_000, 9_900_000, 100_000) if rng.random() < 0.75 else _money(rng, 10_000_000, 30_000_000, 500_000)
    return {"amount_wanted": amount, "term_months": rng.choice([6, 12, 12, 24, 36]), "purpose": rng.choice(PURPOSES)}


def _title(kind: ListingKind, patents: list[Patent], industry: Industry) -> str:
    first = patents[0].title
    if len(patents) > 1:
        return f"{industry.label}专利组合：{first}等 {len(patents)} 件"
    if kind == ListingKind.pledge:
        return f"以“{first}”申请质押融资"
    return first


def _description(ctx: DemoContext, industry: Industry) -> str:
    words = GRAMMAR[industry]
    scenes = ctx.rng.sample(words["scene"], 2)
    return (f"技术成熟度：{ctx.rng.choice(MATURITY)}。可用于{scenes[0]}、{scenes[1]}等场景，"
            f"{ctx.rng.choice(words['effect'])}。")


def _backdate(ctx: DemoContext, listing) -> None:
    """Spread the demo's listings over the past year and a half, as if posted over time."""
    created = ctx.now - timedelta(days=ctx.rng.randint(20, 540), minutes=ctx.rng.randint(0, 1440))
    listing.created_at = created
    if listing.published_at is not None:
        listing.published_at = created + timedelta(days=ctx.rng.randint(0, 10))
    listing.updated_at = listing.published_at or created
    if listing.ended_at is not None:
        listing.ended_at = listing.updated_at = created + timedelta(days=ctx.rng.randint(15, 19))


def _final_status(ctx: DemoContext) -> ListingStatus:
    return ctx.rng.choices(
        [ListingStatus.published, ListingStatus.draft, ListingStatus.in_negotiation, ListingStatus.withdrawn],
        weights=[76, 10, 8, 6])[0]


@demo_step(order=30)
def listings(ctx: DemoContext) -> None:
    today = business_date(ctx.now)
    industry_of = {patent.id: industry for patent, industry in ctx.extra.get("patents", [])}
    by_owner: dict[int, list[Patent]] = {}
    for patent, _industry in ctx.extra.get("patents", []):
        by_owner.setdefault(patent.owner_id, []).append(patent)
    made = []
    for key, plan in PLAN.items():
        user = ctx.users[key]
        pool = list(by_owner.get(ctx.orgs[key].id, []))
        ctx.rng.shuffle(pool)
        for kind, count in plan.items():
            for _n in range(count):
                candidates = [p for p in pool if _fits(p, kind, today)]
                if not candidates:
                    break
                first = candidates[0]
                industry = industry_of[first.id]
                size = 1 if ctx.rng.random() < 0.85 or kind == ListingKind.open_licence and first.patent_type != PatentType.invention else ctx.rng.randint(2, 3)
                patents = [first] + [p for p in candidates[1:] if industry_of[p.id] == industry][: size - 1]
                for patent in patents:
                    pool.remove(patent)
                data = ListingInput(kind=kind, title=_title(kind, patents, industry), patent_ids=[p.id for p in patents],
                                    description=_description(ctx, industry), industry=industry,
                                    **_terms(ctx, kind, patents, today))
                listing = create_listing(user, data)
                status = _final_status(ctx)
                if status != ListingStatus.draft:
                    publish_listing(listing, user)
                if status == ListingStatus.in_negotiation and kind != ListingKind.open_licence:
                    transition(listing, ListingStatus.in_negotiation)
                elif status == ListingStatus.withdrawn:
                    withdraw_listing(listing, user)
                _backdate(ctx, listing)
                made.append(listing)
        # One published listing whose patent then lapsed (annual fee not paid): the expiry job's work.
        if key in ("uni_minjiang", "ent_minfeng"):
            live = [item for item in made if item.owner_id == ctx.orgs[key].id and item.status == ListingStatus.published]
            if live:
                lapsed = live[-1]
                for patent in lapsed.patents:
                    patent.legal_status = LegalStatus.lapsed
                transition(lapsed, ListingStatus.expired)
    db.session.flush()
    ctx.extra["listings"] = made
