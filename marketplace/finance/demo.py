"""Demo (order 60): pledge requests in every state at both banks, agencies' appraisals, and
insurance policies, spread over the last two years with the ledger dated accordingly.

Patents come from the demo registry when an organisation has free ones (granted before the
period, in force, in no live listing, not pledged); otherwise this step registers its own."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from werkzeug.datastructures import FileStorage

from ..dates import add_months, business_date, business_today
from ..demo import DemoContext, demo_step
from ..extensions import db
from ..listings.models import LIVE_STATUSES, Industry, Listing, ListingPatent
from ..patents.models import Encumbrance, LegalStatus, Patent, PatentType
from ..patents.numbers import check_digit
from . import appraisals, insurance, operations
from .machines import PolicyType

BORROWERS = {  # org key → industry, IPC codes to draw from, title stems
    "ent_xinrui": (Industry.electronics, ["H01L21/02", "H01L23/48", "G06F13/40", "H03K17/687"],
                   ["一种低功耗芯片封装结构", "一种高速串行接口电路", "一种功率器件驱动电路", "一种晶圆级测试方法"]),
    "ent_kangyuan": (Industry.biomedicine, ["A61K36/00", "A61P35/00", "C12N15/10", "C07K16/28"],
                     ["一种中药提取物及其制备方法", "一种抗肿瘤组合物", "一种重组蛋白表达方法", "一种快速检测试剂盒"]),
    "ent_shuzhi": (Industry.big_data, ["G06F16/27", "G06N3/08", "G06Q10/06", "H04L67/10"],
                   ["一种分布式数据同步方法", "一种基于深度学习的票据识别方法", "一种政务数据共享系统", "一种边缘计算调度方法"]),
    "ent_minfeng": (Industry.high_end_equipment, ["B23K26/38", "B25J9/16", "G05B19/418", "F16H1/28"],
                    ["一种激光切割头", "一种六轴机器人关节减速器", "一种柔性装配生产线", "一种数控机床夹具"]),
    "ent_haiyun": (Industry.new_energy, ["H01M10/05", "H02J3/38", "H02S40/30", "F03D7/04"],
                   ["一种锂电池热管理系统", "一种光伏并网逆变控制方法", "一种储能电站能量调度方法", "一种风机变桨控制装置"]),
}
INSURED_EXTRA = ["uni_minjiang", "uni_haixi", "inst_optics"]
PURPOSES = ["新产品研发投入", "购置生产设备", "补充流动资金", "扩大产能", "技术改造升级", "市场推广与渠道建设"]

# (bank, final status, how many) — every state at both banks; some requests go to both banks.
PLAN = [(bank, status, n) for bank in ("bank_xingmin", "bank_rongcheng") for status, n in (
    ("repaid", 4), ("disbursed", 6), ("defaulted", 1), ("rejected", 2), ("withdrawn", 1), ("registered", 1),
    ("approved", 1), ("info_requested", 1), ("under_review", 1), ("submitted", 1))]
DAYS_AGO = {"repaid": (730, 420), "defaulted": (700, 380), "disbursed": (320, 45), "rejected": (700, 10),
            "withdrawn": (650, 10), "registered": (40, 25), "approved": (30, 15), "info_requested": (20, 8),
            "under_review": (12, 4), "submitted": (5, 0)}


def _pdf(title: str) -> bytes:
    text = title.encode("ascii", "ignore") or b"document"
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
           b"% " + text + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _file(name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(_pdf(name)), filename=name, content_type="application/pdf")


class PatentSupply:
    """Hands out free patents per organisation, registering new ones when none are left."""

    def __init__(self, ctx: DemoContext, period_start: date):
        self.ctx, self.rng, self.period_start = ctx, ctx.rng, period_start
        self.used: set[int] = set()

    def take(self, key: str, count: int) -> list[Patent]:
        org = self.ctx.orgs[key]
        in_listing = db.select(ListingPatent.patent_id).join(Listing).where(Listing.status.in_(LIVE_STATUSES))
        encumbered = db.select(Encumbrance.patent_id).where(Encumbrance.in_force())
        free = db.session.scalars(db.select(Patent).where(
            Patent.owner_id == org.id, Patent.legal_status == LegalStatus.granted,
            Patent.grant_date < self.period_start, Patent.expires_on > business_today() + timedelta(days=365),
            Patent.id.not_in(in_listing), Patent.id.not_in(encumbered)).order_by(Patent.id)).all()
        chosen = [p for p in free if p.id not in self.used][:count]
        while len(chosen) < count:
            chosen.append(self._register(key))
        self.used.update(p.id for p in chosen)
        return chosen

    def _register(self, key: str) -> Patent:
        org = self.ctx.orgs[key]
        _industry, codes, titles = BORROWERS.get(key, (Industry.other, ["G01N21/00", "G06T7/00"],
                                                       ["一种光学检测方法", "一种图像增强方法"]))
        invention = self.rng.random() < 0.7
        year = self.rng.randint(2016, 2020) if invention else self.rng.randint(2019, 2021)
        while True:
            body = f"{year}{1 if invention else 2}{self.rng.randint(1000000, 9999999)}"
            app_no = f"{body}.{check_digit(body)}"
            if db.session.scalar(db.select(Patent.id).where(Patent.app_no == app_no)) is None:
                break
        app_date = date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        grant = min(app_date + timedelta(days=self.rng.randint(300, 900)), self.period_start - timedelta(days=30))
        patent = Patent(app_no=app_no, patent_type=PatentType.invention if invention else PatentType.utility,
                        title=self.rng.choice(titles) + ("" if invention else "（实用新型）"),
                        abstract="本专利公开了一种技术方案，用于演示质押融资与专利保险。",
                        claims_count=self.rng.randint(4, 15), ipc_codes=self.rng.sample(codes, self.rng.randint(1, min(3, len(codes)))),
                        applicants=org.name, inventors="演示发明人", app_date=app_date, grant_date=grant,
                        legal_status=LegalStatus.granted, is_pct=invention and self.rng.random() < 0.2,
                        owner_id=org.id, source="demo:finance")
        db.session.add(patent)
        db.session.flush()
        return patent


@demo_step(order=60)
def finance_demo(ctx: DemoContext) -> None:
    logger = current_app.logger
    level = logger.level
    logger.setLevel(logging.WARNING)  # thousands of demo notifications would flood the console
    try:
        today = business_date(ctx.now)
        supply = PatentSupply(ctx, today - timedelta(days=730))
        _pledges(ctx, supply, today)
        _insurance(ctx, supply, today)
    finally:
        logger.setLevel(level)


def _round(amount: Decimal, step: int = 10000) -> Decimal:
    return (amount / step).quantize(Decimal(1)) * step


def _pledges(ctx: DemoContext, supply: PatentSupply, today: date) -> None:
    rng, users = ctx.rng, ctx.users
    agency = users["agency_zhiheng"]
    other_bank = {"bank_xingmin": "bank_rongcheng", "bank_rongcheng": "bank_xingmin"}
    for bank_key, status, count in PLAN:
        for _n in range(count):
            borrower = rng.choice(list(BORROWERS))
            industry = BORROWERS[borrower][0]
            oldest, newest = DAYS_AGO[status]
            submitted = today - timedelta(days=rng.randint(newest, oldest))
            amount = _round(Decimal(rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8, 12])) * Decimal(rng.randint(800, 1200)) * 1000)
            term = rng.choice([6, 12, 12, 12, 24, 36]) if status != "repaid" else rng.choice([6, 9, 12])
            if status == "disbursed":
                term = max(term, (today - submitted).days // 30 + 3)
            patents = supply.take(borrower, rng.choice([1, 1, 2, 2, 3]))
            both = rng.random() < 0.35
            banks = [users[bank_key]] + ([users[other_bank[bank_key]]] if both else [])
            request = operations.submit_pledge_request(users[borrower], operations.PledgeInput(
                patent_ids=[p.id for p in patents], amount=amount, term_months=min(term, 120),
                purpose=rng.choice(PURPOSES), bank_ids=[b.organization_id for b in banks], industry=industry,
                uploads=[_file("business-licence.pdf"), _file("financial-statements.pdf")]), on=submitted)
            if status not in ("submitted",) and rng.random() < 0.85:
                for patent in patents:
                    appraisals.attach_appraisal(
                        agency, patent_number=patent.number, method=rng.choice(["income", "income", "market", "cost"]),
                        amount=_round(amount / len(patents) * Decimal(rng.uniform(1.6, 3.2))),
                        appraised_on=min(submitted + timedelta(days=3), today), report=_file("appraisal-report.pdf"),
                        on=min(submitted + timedelta(days=3), today))
            review = request.reviews[0]
            _drive(review, users[borrower], users[bank_key], status, submitted, today, rng)
            if both and request.reviews[1].status.is_pending:
                second = request.reviews[1]
                if rng.random() < 0.5:
                    operations.start_review(second, second_user(users, second), on=min(submitted + timedelta(days=2), today))
                if second.status.is_pending and status in ("rejected", "withdrawn", "repaid", "defaulted", "disbursed"):
                    operations.reject(second, second_user(users, second), "授信政策暂不支持该行业。",
                                      on=min(submitted + timedelta(days=6), today))
    db.session.flush()


def second_user(users, review):
    return users["bank_xingmin"] if review.bank.id == users["bank_xingmin"].organization_id else users["bank_rongcheng"]


def _drive(review, holder, bank, status: str, submitted: date, today: date, rng) -> None:
    """Walk one review to `status`, each step on a plausible later day (never after today)."""
    day = submitted

    def later(lo: int, hi: int) -> date:
        nonlocal day
        day = min(day + timedelta(days=rng.randint(lo, hi)), today)
        return day

    if status == "submitted":
        return
    if status == "withdrawn":
        operations.withdraw_review(review, holder, "已通过其他渠道解决资金需求。", on=later(2, 10))
        return
    operations.start_review(review, bank, on=later(1, 3))
    if status == "under_review":
        return
    if status == "rejected":
        operations.reject(review, bank, rng.choice(["企业近两年营收下滑，第一还款来源不足。", "质押专利剩余保护期偏短。"]),
                          on=later(3, 10))
        return
    operations.request_information(review, bank, "请补充近两年审计报告及专利年费缴纳凭证。", on=later(1, 4))
    if status == "info_requested":
        return
    operations.post_message(review, holder, "已补充上传审计报告及年费缴纳凭证，请查收。", on=later(1, 4))
    approved = _round(review.requested_amount * Decimal(rng.choice(["1", "1", "0.9", "0.8"])))
    operations.approve(review, bank, amount=approved, rate=rng.choice(["3.45", "3.85", "4.05", "4.35", "4.75"]),
                       term_months=review.request.term_months, on=later(3, 8))
    if status == "approved":
        return
    registered_on = later(5, 12)
    operations.register_pledge(review, bank, registration_no=f"Y{registered_on.year}35{rng.randint(1000000, 9999999)}",
                               registered_on=registered_on, on=registered_on)
    if status == "registered":
        return
    disbursed_on = later(2, 6)
    operations.disburse(review, bank, amount=review.approved_amount, disbursed_on=disbursed_on, on=disbursed_on)
    if status == "repaid":
        repaid_on = min(add_months(disbursed_on, review.approved_term_months), today - timedelta(days=1))
        operations.record_repayment(review, bank, repaid_on=repaid_on, on=repaid_on)
    elif status == "defaulted":
        operations.record_default(review, bank, "借款人逾期 90 天未归还本息，银行启动质权处置程序。",
                                  on=min(disbursed_on + timedelta(days=rng.randint(200, 300)), today))


def _insurance(ctx: DemoContext, supply: PatentSupply, today: date) -> None:
    rng, users = ctx.rng, ctx.users
    insurer = users["insurer_anxin"]
    insured_keys = list(BORROWERS) + [k for k in INSURED_EXTRA if k in ctx.orgs]
    types = [PolicyType.enforcement, PolicyType.infringement_loss, PolicyType.infringement_loss,
             PolicyType.pledge_guarantee, PolicyType.open_licence]
    serial = 0
    for year_back in (1, 0):
        for _n in range(22):
            key = rng.choice(insured_keys)
            start = today - timedelta(days=365 * year_back + rng.randint(5, 360))
            patents = supply.take(key, rng.choice([1, 2, 2, 3, 4]))
            coverage = _round(Decimal(rng.choice([30, 50, 80, 100, 150, 200, 300])) * 10000)
            serial += 1
            issue = start <= today - timedelta(days=3) or rng.random() < 0.5
            insurance.record_policy(insurer, insurance.PolicyInput(
                insured_org_id=ctx.orgs[key].id, patent_ids=[p.id for p in patents], policy_type=rng.choice(types),
                premium=_round(coverage * Decimal(rng.choice(["0.012", "0.018", "0.025", "0.03"])), 100),
                coverage=coverage, starts_on=start, ends_on=start + timedelta(days=364), issue_now=issue,
                policy_no=f"AX{start.year}{serial:05d}"), on=start)
    # Two holders waiting for a quote.
    for key in ("ent_xinrui", "ent_shuzhi"):
        insurance.request_quote(users[key], insurer_id=insurer.organization_id, policy_type=PolicyType.infringement_loss,
                                patent_ids=[p.id for p in supply.take(key, 1)], coverage_wanted=Decimal("1000000"),
                                message="希望为核心专利投保被侵权损失保险，请报价。", on=today)
    insurance.lapse_policies(today)
    db.session.flush()
