"""Every indicator of the plan (SPEC §7), defined once: label, unit, default target, source,
how it is computed for a period and, for ledger figures, the entries behind it.

Templates, the report and the charts read these definitions; no figure or target is typed
anywhere else. Targets here are the plan's (section 三 主要目标); a district sets its own in
configuration (targets.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from . import ledger_figures as lf
from . import registry_figures as rf
from .periods import Period


@dataclass(frozen=True)
class Target:
    value: Decimal
    comparison: str = "ge"  # "ge": 达到 (≥), "gt": 超过 (>)
    basis: str = "annual"  # "annual": a yearly flow, pro-rated by time elapsed; "level": a share or a stock
    deadline: date | None = None
    wording: object = ""  # the plan's words

    def is_met_by(self, value: Decimal, goal: Decimal | None = None) -> bool:
        goal = self.value if goal is None else goal
        return value > goal if self.comparison == "gt" else value >= goal

    @property
    def sign(self) -> str:
        return ">" if self.comparison == "gt" else "≥"


@dataclass(frozen=True)
class Figure:
    value: Decimal | int | None
    note: object = ""  # why there is no value, or how it was measured


@dataclass(frozen=True)
class Indicator:
    key: str
    label: object
    unit: str  # a key of UNITS
    source: str  # ledger | official | operator (SOURCES)
    group: str  # a key of GROUPS
    compute: Callable[[Period, object], Figure]
    target: Target | None = None
    drilldown: Callable[[Period, object], lf.Drilldown] | None = None
    definition: object = ""
    annual_only: bool = False  # entered per year: a quarter shows the year's value
    integer: bool = True  # operator entry must be a whole number
    chart: bool = False  # drawn in the trend chart
    # The platform's own count of a district-wide figure (本平台口径), shown beside the official one.
    platform: Callable[[Period, object], Figure] | None = None

    @property
    def entered(self) -> bool:
        """Entered or imported by an operator per year (official statistics and plan figures)."""
        return self.source in ENTERED_SOURCES


UNITS = {
    "yuan": _l("万元"), "loans": _l("笔"), "deals": _l("笔"), "patents": _l("件"), "enterprises": _l("家"),
    "percent": _l("%"), "per_10k": _l("件/万人"), "person_times": _l("人次"), "events": _l("次"),
    "applications": _l("件"),
}
SOURCES = {"ledger": _l("本平台交易台账"), "official": _l("官方统计（运营方填报）"), "operator": _l("运营方填报")}
ENTERED_SOURCES = ("official", "operator")
PLATFORM_SOURCE = _l("本平台口径")
GROUPS = {
    "finance": _l("知识产权金融"), "deals": _l("转移转化"), "served": _l("服务企业"),
    "creation": _l("知识产权创造"), "management": _l("管理、宣传与培训（填报）"),
}
DEAL_LABELS = {"open_licence": _l("开放许可"), "licence": _l("许可"), "transfer": _l("转让"),
               "equity": _l("作价入股")}
PLAN_DEADLINE = date(2025, 6, 30)  # 至2025年6月底

REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.key in REGISTRY:
        raise ValueError(f"indicator {indicator.key} defined twice")
    REGISTRY[indicator.key] = indicator
    return indicator


def all_indicators() -> list[Indicator]:
    return list(REGISTRY.values())


def get(key: str) -> Indicator | None:
    return REGISTRY.get(key)


# --- ledger ---------------------------------------------------------------------------------

def _sum_of(kinds: tuple[str, ...]):
    def compute(period, ctx):
        return Figure(lf.total_amount(ctx.ledger.concluded(kinds, period)))

    def drill(period, ctx):
        entries = ctx.ledger.concluded(kinds, period)
        total = lf.total_amount(entries)
        return lf.Drilldown(entries, "sum", total, amount_total=total)

    return compute, drill


def _count_of(kinds: tuple[str, ...]):
    def compute(period, ctx):
        return Figure(len(ctx.ledger.concluded(kinds, period)))

    def drill(period, ctx):
        entries = ctx.ledger.concluded(kinds, period)
        return lf.Drilldown(entries, "count", len(entries), amount_total=lf.total_amount(entries))

    return compute, drill


compute, drill = _sum_of(("pledge",))
register(Indicator(
    "pledge_loan_amount", _l("专利质押贷款发放额"), "yuan", "ledger", "finance", compute, drilldown=drill,
    target=Target(Decimal("100000000"), "ge", wording=_l("年均专利质押贷款额度达1亿元")),
    definition=_l("当期放款（质押审查进入“已放款”）的贷款金额合计。"), chart=True))

compute, drill = _count_of(("pledge",))
register(Indicator(
    "pledge_loan_count", _l("专利质押贷款笔数"), "loans", "ledger", "finance", compute, drilldown=drill,
    definition=_l("当期放款的质押贷款笔数。")))


def _small_share(period, ctx):
    share = lf.small_loan_share(ctx.ledger.concluded(("pledge",), period))
    return Figure(share, "" if share is not None else _l("当期没有放款，无法计算占比。"))


def _small_share_drill(period, ctx):
    entries = ctx.ledger.concluded(("pledge",), period)
    marked = {e.id for e in entries if lf.amount_of(e) < lf.SMALL_LOAN_LIMIT}
    return lf.Drilldown(entries, "share", lf.small_loan_share(entries), amount_total=lf.total_amount(entries),
                        marked=marked)


register(Indicator(
    "small_pledge_loan_share", _l("1000万元以下质押贷款占比（按笔数）"), "percent", "ledger", "finance",
    _small_share, drilldown=_small_share_drill,
    definition=_l("当期放款金额低于1000万元的贷款笔数占全部放款笔数的比例。")))


def _insured(period, ctx):
    return Figure(len(lf.distinct_patents(ctx.ledger.concluded(("insurance",), period))))


def _insured_drill(period, ctx):
    entries = ctx.ledger.concluded(("insurance",), period)
    patents = lf.distinct_patents(entries)
    return lf.Drilldown(entries, "distinct_patents", len(patents), amount_total=lf.total_amount(entries),
                        items=patents)


register(Indicator(
    "insured_patents", _l("专利保险投保专利数"), "patents", "ledger", "finance", _insured, drilldown=_insured_drill,
    target=Target(Decimal("60"), "ge", wording=_l("年均专利保险投保专利数量达60件")),
    definition=_l("当期出单保单所保专利，去重计数（金额列为保费）。"), chart=True))

for kind in lf.DEAL_KINDS:
    compute, drill = _count_of((kind,))
    register(Indicator(
        f"deals_{kind}_count", _l("%(kind)s成交笔数", kind=DEAL_LABELS[kind]), "deals", "ledger", "deals",
        compute, drilldown=drill, chart=True,
        definition=_l("开放许可以接受许可（生效）计；许可、转让、作价入股以交易完成计。")))
    compute, drill = _sum_of((kind,))
    register(Indicator(
        f"deals_{kind}_amount", _l("%(kind)s成交金额", kind=DEAL_LABELS[kind]), "yuan", "ledger", "deals",
        compute, drilldown=drill, definition=_l("当期成交交易的约定金额合计（提成部分不计）。")))


def _served(sme_only: bool):
    def compute(period, ctx):
        return Figure(len(lf.distinct_beneficiaries(ctx.ledger.concluded(lf.SERVED_KINDS, period), sme_only)))

    def drill(period, ctx):
        entries = ctx.ledger.concluded(lf.SERVED_KINDS, period)
        orgs = lf.distinct_beneficiaries(entries, sme_only)
        if sme_only:
            entries = [e for e in entries if e.beneficiary_is_sme]
        return lf.Drilldown(entries, "distinct_beneficiaries", len(orgs), amount_total=lf.total_amount(entries),
                            items=orgs)

    return compute, drill


compute, drill = _served(False)
register(Indicator(
    "enterprises_served", _l("服务企业数"), "enterprises", "ledger", "served", compute, drilldown=drill,
    definition=_l("当期成交交易的被许可方、受让方、被投资方及放款借款企业，去重计数。")))
compute, drill = _served(True)
register(Indicator(
    "smes_served", _l("其中：中小微企业"), "enterprises", "ledger", "served", compute, drilldown=drill,
    definition=_l("上述企业中，台账记录为中小微企业的，去重计数。")))


# --- district-wide official statistics, with the platform's own registry count beside them -----
# The district's grants, service inventions, enterprises with ≥ 3 grants, PCT filings and valid
# inventions per 10,000 residents are official statistics: the operator enters or imports them per
# year and the target is judged against them. The platform's registry holds only the patents
# registered here, so its count is shown beside them as 本平台口径, never in their place.

def _entered(key: str):
    def compute(period, ctx):
        row = ctx.operator_value(period.year, key)
        if row is None:
            return Figure(None, _l("尚未填报"))
        return Figure(row.value, "")

    return compute


def entered_indicator(key, label, unit, source, group, target: Target, definition, integer=True,
                      platform=None) -> Indicator:
    """A figure the operator enters (or imports) per year: official statistics or plan figures."""
    return register(Indicator(key, label, unit, source, group, _entered(key), target=target,
                              definition=definition, annual_only=True, integer=integer, platform=platform))


def official_indicator(key, label, unit, platform, target: Target, definition, integer=True) -> Indicator:
    return entered_indicator(key, label, unit, "official", "creation", target, definition, integer, platform)


def _service_share(period, ctx):
    share, service, total = rf.service_invention_share(period)
    if share is None:
        return Figure(None, _l("当期没有授权专利，无法计算占比。"))
    return Figure(share, _l("%(service)d / %(total)d 件", service=service, total=total))


def _per_10k(period, ctx):
    on = period.as_of(ctx.today)
    count = rf.valid_inventions(on)
    population = ctx.population
    if population is None:
        return Figure(None, _l("未配置常住人口（DISTRICT_POPULATION），无法计算。"))
    return Figure(rf.per_ten_thousand(count, population),
                  _l("%(date)s 有效发明专利 %(count)d 件 ÷ 常住人口 %(population)s 人 × 10000",
                     date=on.isoformat(), count=count, population=f"{population:,}"))


official_indicator(
    "patent_grants", _l("专利授权量"), "patents",
    lambda period, ctx: Figure(rf.grants(period)),
    Target(Decimal("3500"), "gt", wording=_l("年专利授权量超3500件")),
    _l("全区全年专利授权件数（运营方按知识产权局统计填报）；本平台口径为平台登记专利中授权日在当期的件数。"))

official_indicator(
    "service_invention_share", _l("职务发明专利占授权量比例"), "percent", _service_share,
    Target(Decimal("75"), "gt", basis="level",
           wording=_l("授权专利中职务发明创造专利数量占全区专利授权量比例超75%")),
    _l("全区授权专利中职务发明创造的比例，以百分数填报；本平台口径按平台登记专利的申请人判断"
       "（申请人含单位视为职务发明，全为自然人的视为非职务发明）。"), integer=False)

official_indicator(
    "enterprises_3plus_grants", _l("授权3件以上专利的企业数"), "enterprises",
    lambda period, ctx: Figure(rf.enterprises_with_grants(period, 3)),
    Target(Decimal("150"), "gt", wording=_l("授权3件以上专利企业数量年均超150家")),
    _l("全区全年获授权专利不少于3件的企业数；本平台口径为平台登记专利中专利权人为企业的计数。"))

official_indicator(
    "foreign_filings", _l("PCT国际申请及向外国申请专利数"), "applications",
    lambda period, ctx: Figure(rf.foreign_filings(period)),
    Target(Decimal("50"), "gt", wording=_l("年均向外国申请专利数量或PCT国际申请数量超50件")),
    _l("全区全年PCT国际申请及向外国申请专利件数；本平台口径为平台登记中申请日在当期、标记为PCT或外国申请的件数。"))

official_indicator(
    "inventions_per_10k", _l("每万人有效发明专利拥有量"), "per_10k", _per_10k,
    Target(Decimal("95"), "ge", basis="level", deadline=PLAN_DEADLINE,
           wording=_l("至2025年6月底，每万人有效发明专利拥有量达95件")),
    _l("全区年末每万人有效发明专利拥有量（运营方按统计公报填报）；本平台口径为平台登记的有效发明专利数 ÷ 配置的常住人口 × 10000。"),
    integer=False)


# --- entered by an operator, per year ------------------------------------------------------

def operator_indicator(key, label, unit, target: Target, definition, integer=True) -> Indicator:
    return entered_indicator(key, label, unit, "operator", "management", target, definition, integer)


operator_indicator("trademark_applications", _l("商标申请量"), "applications",
                   Target(Decimal("10000"), "gt", wording=_l("商标申请数量年均超10000件")),
                   _l("全年商标申请件数（运营方按统计部门数据填报）。"))
operator_indicator("training_person_times", _l("知识产权教育培训人次"), "person_times",
                   Target(Decimal("1000"), "ge", wording=_l("组织开展线上线下相关教育培训不低于1000人次/年")),
                   _l("全年线上线下知识产权教育培训人次。"))
operator_indicator("publicity_events", _l("知识产权主题宣传活动次数"), "events",
                   Target(Decimal("6"), "ge", wording=_l("开展涉及知识产权主题宣传活动6次以上")),
                   _l("全年依托公共服务平台开展的主题宣传活动次数。"))
operator_indicator("ip_fund_share", _l("知识产权专项资金占一般预算支出比例"), "percent",
                   Target(Decimal("0.2"), "gt", basis="level",
                          wording=_l("年平均知识产权专项资金占区财政一般预算支出超0.2%")),
                   _l("全年知识产权专项资金 ÷ 区财政一般预算支出，以百分数填报（如 0.25）。"), integer=False)
operator_indicator("demo_enterprises_national", _l("国家级知识产权示范（优势）企业数"), "enterprises",
                   Target(Decimal("7"), "ge", basis="level", deadline=PLAN_DEADLINE,
                          wording=_l("至2025年6月底，国家级试点示范优势（或等同）企业达7家")),
                   _l("年末拥有国家知识产权试点示范优势（或等同）称号的企业数。"))
operator_indicator("demo_enterprises_provincial", _l("省级知识产权示范（优势）企业数"), "enterprises",
                   Target(Decimal("20"), "ge", basis="level", deadline=PLAN_DEADLINE,
                          wording=_l("至2025年6月底，省级试点示范优势（或等同）企业达20家")),
                   _l("年末拥有省知识产权试点示范优势（或等同）称号的企业数。"))
operator_indicator("demo_enterprises_municipal", _l("市级知识产权示范（优势）企业数"), "enterprises",
                   Target(Decimal("60"), "ge", basis="level", deadline=PLAN_DEADLINE,
                          wording=_l("至2025年6月底，市级试点示范优势（或等同）企业达60家")),
                   _l("年末拥有市知识产权试点示范优势（或等同）称号的企业数。"))
operator_indicator("standard_enterprises", _l("贯彻《企业知识产权管理规范》企业数"), "enterprises",
                   Target(Decimal("37"), "ge", basis="level", deadline=PLAN_DEADLINE,
                          wording=_l("贯彻《企业知识产权管理规范》企业数量达37家")),
                   _l("年末通过贯标的企业数。"))

del compute, drill

OPERATOR_KEYS = [i.key for i in REGISTRY.values() if i.entered]  # what the operator's form enters
OFFICIAL_KEYS = [i.key for i in REGISTRY.values() if i.source == "official"]
LEDGER_KEYS = [i.key for i in REGISTRY.values() if i.source == "ledger"]
