"""A transparent patent score after GB/T 42748-2023 (专利评估指引): three first-level dimensions,
legal (法律价值), technical (技术价值) and economic (经济价值), each built from named indicators.

Every indicator scores 0–100 by a rule stated next to it, and shows the data it used. An
indicator without data (citations: the registry holds none) is marked unavailable and the
remaining weights of its dimension are renormalised to 1. Weights depend on the scenario and
live in ONE table, SCENARIO_WEIGHTS: changing the scenario changes the weights, not the data.

    dimension score = Σ wᵢ·sᵢ / Σ wᵢ        (over the dimension's available indicators)
    patent score    = Σ W_d · dimension_d    (W_d: the scenario's dimension weights, Σ W_d = 1)
    bundle score    = arithmetic mean of the patents' scores (each patent counts once, so a
                      bundle is not worth more for holding many weak patents)

Scores are Decimals; the final figures are rounded half-up to one decimal. The score is
computed from the registry and the site's own records, never stored as a valuation: an
appraisal amount comes only from an agency (models.Appraisal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from ..dates import business_today
from ..listings.industry import guess_industry
from ..listings.models import Industry
from ..patents.models import LegalStatus, Patent, PatentType

D = Decimal
ONE_PLACE = D("0.1")

DIMENSIONS = {"legal": _l("法律价值"), "technical": _l("技术价值"), "economic": _l("经济价值")}

# indicator → (dimension, label, how it is scored)
INDICATORS = {
    "legal_status": ("legal", _l("法律状态"), _l("有效 100；审查中 40；失效、届满、无效 0")),
    "remaining_term": ("legal", _l("剩余保护期"), _l("剩余整月数 ÷ 120 × 100，满 10 年记 100")),
    "claims_count": ("legal", _l("保护范围（权利要求项数）"), _l("每项 10 分，10 项及以上记 100")),
    "patent_type": ("technical", _l("专利类型（创造性审查）"), _l("发明 100；实用新型 60；外观设计 40")),
    "ipc_breadth": ("technical", _l("技术覆盖面（IPC 小类数）"), _l("10 + 30 × 不同小类数，最高 100")),
    "pct_family": ("technical", _l("国际布局（PCT/同族）"), _l("有 PCT 或境外申请 100；否则 30")),
    "citations": ("technical", _l("被引用次数"), _l("登记簿无引证数据：不参与计算")),
    "market_fit": ("economic", _l("产业契合度"), _l("规划重点产业 100；新材料、新能源、高端装备 80；现代农业 70；其他 50")),
    "transactions": ("economic", _l("本平台许可、转让记录"), _l("30 + 35 × 已成交次数，最高 100")),
    "financing": ("economic", _l("质押与保险记录"),
                  _l("50 + 25 × 已还清质押 + 15 × 保单 − 50 × 违约，限 0–100")),
}

# The one weights table: scenario → dimension weights, and indicator weights within each dimension.
SCENARIO_WEIGHTS = {
    "financing": {
        "dimensions": {"legal": D("0.45"), "technical": D("0.20"), "economic": D("0.35")},
        "indicators": {
            "legal_status": D("0.30"), "remaining_term": D("0.40"), "claims_count": D("0.30"),
            "patent_type": D("0.35"), "ipc_breadth": D("0.25"), "pct_family": D("0.20"), "citations": D("0.20"),
            "market_fit": D("0.40"), "transactions": D("0.30"), "financing": D("0.30"),
        },
    },
    "licensing": {
        "dimensions": {"legal": D("0.30"), "technical": D("0.35"), "economic": D("0.35")},
        "indicators": {
            "legal_status": D("0.30"), "remaining_term": D("0.30"), "claims_count": D("0.40"),
            "patent_type": D("0.30"), "ipc_breadth": D("0.30"), "pct_family": D("0.20"), "citations": D("0.20"),
            "market_fit": D("0.40"), "transactions": D("0.45"), "financing": D("0.15"),
        },
    },
}
SCENARIOS = {"financing": _l("质押融资"), "licensing": _l("许可交易")}
DEFAULT_SCENARIO = "financing"

PLAN_INDUSTRIES = {Industry.electronics, Industry.biomedicine, Industry.big_data, Industry.ai, Industry.internet_plus}
INDUSTRY_SCORES = {**dict.fromkeys(PLAN_INDUSTRIES, D(100)), Industry.new_materials: D(80),
                   Industry.new_energy: D(80), Industry.high_end_equipment: D(80),
                   Industry.modern_agriculture: D(70), Industry.other: D(50)}

@dataclass
class Facts:
    """What the site knows about a patent beyond the registry row (gathered by `gather_facts`)."""

    industry: Industry = Industry.other
    industry_source: str = "ipc"  # "listing" or "ipc"
    transactions: int = 0  # licences (incl. open licences) and transfers concluded here
    pledges_repaid: int = 0
    pledges_defaulted: int = 0
    policies: int = 0  # insurance policies ever issued on it


@dataclass
class Indicator:
    key: str
    score: Decimal | None  # None: no data, left out of its dimension
    data: str  # the data behind the score, as shown
    weight: Decimal = D(0)  # the scenario's weight within the dimension
    effective_weight: Decimal = D(0)  # after renormalising over the available indicators

    @property
    def available(self) -> bool:
        return self.score is not None

    @property
    def dimension(self) -> str:
        return INDICATORS[self.key][0]

    @property
    def label(self) -> str:
        return str(INDICATORS[self.key][1])

    @property
    def rule(self) -> str:
        return str(INDICATORS[self.key][2])


@dataclass
class Dimension:
    key: str
    weight: Decimal
    score: Decimal
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(DIMENSIONS[self.key])


@dataclass
class Valuation:
    patent: Patent
    scenario: str
    dimensions: list[Dimension]
    total: Decimal  # 0–100, one decimal

    @property
    def scenario_label(self) -> str:
        return str(SCENARIOS[self.scenario])


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (0 when end is not after start)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def indicator_scores(patent: Patent, facts: Facts, today: date) -> list[Indicator]:
    """Each indicator's score and data: depends on the patent and facts, never on the scenario."""
    status = patent.legal_status
    status_score = {LegalStatus.granted: D(100), LegalStatus.pending: D(40)}.get(status, D(0))
    if patent.expires_on is None:
        term = Indicator("remaining_term", None, str(_l("缺申请日，无法计算届满日")))
    else:
        months = months_between(today, patent.expires_on) if status.in_force else 0
        term = Indicator("remaining_term", min(D(100), D(months) * 100 / 120),
                         str(_l("届满日 %(d)s，剩余 %(m)d 个月", d=patent.expires_on.isoformat(), m=months)))
    if patent.claims_count is None:
        claims = Indicator("claims_count", None, str(_l("登记簿未载权利要求项数")))
    else:
        claims = Indicator("claims_count", min(D(100), D(patent.claims_count) * 10),
                           str(_l("%(n)d 项权利要求", n=patent.claims_count)))
    subclasses = patent.ipc_subclasses
    if subclasses:
        breadth = Indicator("ipc_breadth", min(D(100), D(10) + D(30) * len(subclasses)),
                            str(_l("%(n)d 个小类：%(list)s", n=len(subclasses), list="、".join(subclasses))))
    else:
        breadth = Indicator("ipc_breadth", None, str(_l("无 IPC 分类号")))
    type_score = {PatentType.invention: D(100), PatentType.utility: D(60), PatentType.design: D(40)}[patent.patent_type]
    source = _l("挂牌所填产业") if facts.industry_source == "listing" else _l("按主分类号推定")
    financing = D(50) + D(25) * facts.pledges_repaid + D(15) * facts.policies - D(50) * facts.pledges_defaulted
    return [
        Indicator("legal_status", status_score, status.label),
        term,
        claims,
        Indicator("patent_type", type_score, patent.patent_type.label),
        breadth,
        Indicator("pct_family", D(100) if patent.is_pct else D(30),
                  str(_l("有 PCT/境外申请") if patent.is_pct else _l("无 PCT/境外申请记录"))),
        Indicator("citations", None, str(_l("暂无引证数据"))),
        Indicator("market_fit", INDUSTRY_SCORES[facts.industry], f"{facts.industry.label}（{source}）"),
        Indicator("transactions", min(D(100), D(30) + D(35) * facts.transactions),
                  str(_l("已成交 %(n)d 次", n=facts.transactions))),
        Indicator("financing", max(D(0), min(D(100), financing)),
                  str(_l("已还清质押 %(r)d 次，保单 %(p)d 份，违约 %(d)d 次", r=facts.pledges_repaid,
                         p=facts.policies, d=facts.pledges_defaulted))),
    ]


def score(patent: Patent, facts: Facts, scenario: str = DEFAULT_SCENARIO, today: date | None = None) -> Valuation:
    """Pure arithmetic over the indicators with the scenario's weights."""
    if scenario not in SCENARIO_WEIGHTS:
        raise ValueError(f"unknown scenario {scenario!r}")
    today = today or business_today()
    weights = SCENARIO_WEIGHTS[scenario]
    indicators = indicator_scores(patent, facts, today)
    dimensions = []
    for key in DIMENSIONS:
        members = [i for i in indicators if i.dimension == key]
        for indicator in members:
            indicator.weight = weights["indicators"][indicator.key]
        available = sum((i.weight for i in members if i.available), D(0))
        total = D(0)
        for indicator in members:
            if indicator.available and available:
                indicator.effective_weight = indicator.weight / available
                total += indicator.effective_weight * indicator.score
        dimensions.append(Dimension(key, weights["dimensions"][key], total, members))
    overall = sum((d.weight * d.score for d in dimensions), D(0))
    return Valuation(patent, scenario, dimensions, round1(overall))


def round1(value: Decimal) -> Decimal:
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def bundle_score(valuations: list[Valuation]) -> Decimal | None:
    if not valuations:
        return None
    return round1(sum((v.total for v in valuations), D(0)) / len(valuations))


# --- facts from the database ------------------------------------------------------------

def gather_facts(patent: Patent) -> Facts:
    from ..deals.models import Deal, DealPatent
    from ..extensions import db
    from ..listings.models import Listing, ListingPatent, ListingStatus
    from .machines import ReviewStatus
    from .models import PledgeRequestPatent, PledgeReview
    from .policies import InsurancePolicy, InsuredPatent

    industry = db.session.scalar(
        db.select(Listing.industry).join(ListingPatent)
        .where(ListingPatent.patent_id == patent.id, Listing.status != ListingStatus.draft,
               Listing.industry != Industry.other)
        .order_by(Listing.created_at.desc()).limit(1))
    source = "listing"
    if industry is None:
        # When no listing names the industry, the patent's IPC codes suggest one, as for imports.
        industry, source = guess_industry(patent.ipc_codes), "ipc"
    transactions = db.session.scalar(
        db.select(db.func.count(Deal.id)).join(DealPatent).where(DealPatent.patent_id == patent.id,
                                                                 Deal.concluded_sql())) or 0
    review_counts = dict(db.session.execute(
        db.select(PledgeReview.status, db.func.count(PledgeReview.id))
        .join(PledgeRequestPatent, PledgeRequestPatent.request_id == PledgeReview.request_id)
        .where(PledgeRequestPatent.patent_id == patent.id,
               PledgeReview.status.in_([ReviewStatus.repaid, ReviewStatus.defaulted]))
        .group_by(PledgeReview.status)).all())
    policies = db.session.scalar(
        db.select(db.func.count(InsurancePolicy.id)).join(InsuredPatent)
        .where(InsuredPatent.patent_id == patent.id, InsurancePolicy.issued_on.is_not(None))) or 0
    return Facts(industry=industry, industry_source=source, transactions=transactions,
                 pledges_repaid=review_counts.get(ReviewStatus.repaid, 0),
                 pledges_defaulted=review_counts.get(ReviewStatus.defaulted, 0), policies=policies)


def value_patent(patent: Patent, scenario: str = DEFAULT_SCENARIO, today: date | None = None) -> Valuation:
    return score(patent, gather_facts(patent), scenario, today)
