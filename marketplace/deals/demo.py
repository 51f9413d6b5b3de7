"""Demo inquiries and deals: every kind in every state, spread over the last two years.

Each scenario is a generator that yields the next simulated day it wants to act on; a small
scheduler runs all scenarios in date order, so the ledger reads chronologically and every
entry's `occurred_on` is the simulated date. Listings come from the listings demo when it has
made some; otherwise (or when they run out) this step makes its own patents and listings
through the real operations."""

from __future__ import annotations

import heapq
from collections.abc import Generator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from ..dates import business_date
from ..demo import DemoContext, demo_step
from ..errors import DomainError
from ..extensions import db
from ..listings.models import (
    LIVE_STATUSES,
    Industry,
    LicenceType,
    Listing,
    ListingKind,
    PaymentMethod,
)
from ..listings.operations import ListingInput, check_offerable, create_listing, publish_listing
from ..notify.models import Notification, OutboxMail
from ..patents.models import Encumbrance, LegalStatus, Patent, PatentType
from ..patents.numbers import check_digit
from ..types import utcnow
from . import operations as ops
from . import recordation
from .inquiries import operations as inquiry_ops
from .models import NEGOTIATED_MACHINE, Deal, DealKind

HOLDERS = ["uni_minjiang", "uni_haixi", "inst_optics"]
ENTERPRISES = ["ent_xinrui", "ent_kangyuan", "ent_shuzhi", "ent_minfeng", "ent_haiyun"]

TITLES = [
    ("一种基于深度学习的晶圆缺陷检测方法", Industry.electronics, "G06T7/00"),
    ("一种低功耗物联网传感节点及其唤醒方法", Industry.electronics, "H04W52/02"),
    ("一种靶向肿瘤微环境的纳米药物载体及其制备方法", Industry.biomedicine, "A61K9/51"),
    ("一种重组胶原蛋白的高效表达与纯化方法", Industry.biomedicine, "C07K14/78"),
    ("一种面向政务数据的隐私计算联合查询方法", Industry.big_data, "G06F21/62"),
    ("一种多源异构数据的实时清洗与融合系统", Industry.big_data, "G06F16/215"),
    ("一种基于大模型的工业设备故障诊断方法", Industry.ai, "G06N3/08"),
    ("一种面向茶园的病虫害图像识别方法", Industry.modern_agriculture, "G06V20/188"),
    ("一种固态锂电池复合电解质及其制备方法", Industry.new_energy, "H01M10/0562"),
    ("一种海上风电机组叶片的健康监测方法", Industry.new_energy, "F03D17/00"),
    ("一种石墨烯改性的防腐涂层材料", Industry.new_materials, "C09D5/08"),
    ("一种高精度数控机床热误差补偿方法", Industry.high_end_equipment, "G05B19/404"),
    ("一种光纤光栅应变传感器的温度解耦方法", Industry.electronics, "G01L1/24"),
    ("一种基于区块链的供应链金融存证方法", Industry.internet_plus, "G06Q40/04"),
    ("一种可见光通信的自适应调制方法", Industry.electronics, "H04B10/116"),
    ("一种水产养殖水质智能调控系统", Industry.modern_agriculture, "A01K63/04"),
]

QUESTIONS = [
    "请问该专利目前是否已有样机或中试数据？我司希望了解产业化成熟度。",
    "贵方能否提供技术交底和为期半年的技术支持？费用如何计算？",
    "许可地域是否可以限定在福建省内？价格能否相应调整？",
    "我司是中小微企业，付款能否分两期？",
]
ANSWERS = [
    "已完成中试，可提供测试报告；欢迎来校实地考察。",
    "可以提供技术支持，建议在合同中约定服务内容和期限。",
    "可以协商，请贵司提出具体方案。",
]


class _Demo:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng = ctx, ctx.rng
        self.today = business_date(ctx.now)
        self.serial = 0
        self.used: set[int] = set()  # listings a scenario has taken for an exclusive conclusion
        self.mine: set[int] = set()  # listings this step made (their dates follow the simulation)

    def user(self, key: str):
        return self.ctx.users.get(key + ".member") if self.rng.random() < 0.3 and key + ".member" in self.ctx.users \
            else self.ctx.users[key]

    def other_than(self, listing: Listing, key: str) -> str:
        """`key`, unless that organisation owns the listing: then the next enterprise."""
        if self.ctx.orgs[key].id != listing.owner_id:
            return key
        return next(k for k in ENTERPRISES if self.ctx.orgs[k].id != listing.owner_id)

    def at(self, day: date) -> datetime:
        return datetime.combine(day, time(1 + self.rng.randint(0, 9), self.rng.randint(0, 59)), tzinfo=UTC)

    # --- listings: existing ones first, else our own ------------------------------------

    def listing(self, kind: ListingKind, holder: str | None = None, licence_type: LicenceType | None = None,
                exclusive_use: bool = False, start: date | None = None) -> Listing:
        owners = [self.ctx.orgs[k].id for k in HOLDERS + ENTERPRISES if k in self.ctx.orgs]
        query = db.select(Listing).where(Listing.kind == kind, Listing.status.in_(LIVE_STATUSES),
                                         Listing.owner_id.in_(owners))
        if licence_type is not None:
            query = query.where(Listing.licence_type == licence_type)
        for listing in db.session.scalars(query.order_by(Listing.id)):
            if listing.id in self.used or (holder and listing.owner_id != self.ctx.orgs[holder].id):
                continue
            try:
                check_offerable(listing)
            except DomainError:
                continue
            if exclusive_use or kind in (ListingKind.transfer, ListingKind.equity) or listing.is_exclusive:
                # Scenarios run interleaved: a listing one of them may conclude is nobody else's.
                self.used.add(listing.id)
            if listing.id in self.mine and start is not None and business_date(listing.published_at) >= start:
                listing.created_at = listing.published_at = self.at(start - timedelta(days=self.rng.randint(10, 60)))
            return listing
        listing = self.make_listing(kind, holder or self.rng.choice(HOLDERS), licence_type, start)
        if exclusive_use or kind in (ListingKind.transfer, ListingKind.equity):
            self.used.add(listing.id)
        return listing

    def make_patent(self, owner_key: str) -> Patent:
        title, _industry, ipc = TITLES[self.serial % len(TITLES)]
        while True:
            self.serial += 1
            year = 2018 + self.serial % 5
            body = f"{year}1{7300000 + self.serial:07d}"
            app_no = f"{body}.{check_digit(body)}"
            if db.session.scalar(db.select(Patent.id).where(Patent.app_no == app_no)) is None:
                break
        owner = self.ctx.orgs[owner_key]
        app_date = date(year, 1 + self.serial % 12, 1 + self.serial % 27)
        patent = Patent(app_no=app_no, patent_type=PatentType.invention, title=title, ipc_codes=[ipc],
                        abstract=f"本发明公开了{title}，具有成本低、效率高、易于产业化的特点。",
                        applicants=owner.name, inventors="、".join(["陈明", "林华", "黄志强"][: 1 + self.serial % 3]),
                        app_date=app_date, grant_date=app_date + timedelta(days=700 + self.serial * 7 % 300),
                        legal_status=LegalStatus.granted, owner_id=owner.id, claims_count=6 + self.serial % 9)
        db.session.add(patent)
        db.session.flush()
        return patent

    def make_listing(self, kind: ListingKind, holder: str, licence_type: LicenceType | None,
                     start: date | None) -> Listing:
        patent = self.make_patent(holder)
        title, industry, _ipc = TITLES[(self.serial - 1) % len(TITLES)]
        data = ListingInput(kind=kind, title=f"{kind.label}：{title}", patent_ids=[patent.id], industry=industry,
                            description=f"{self.ctx.orgs[holder].name}的{title}，可提供技术支持。")
        price = Decimal(self.rng.randrange(20, 300) * 10000)
        if kind == ListingKind.open_licence:
            data.payment_method = PaymentMethod.lump_sum
            data.fee_amount = Decimal(self.rng.choice([20000, 30000, 50000, 80000]))
            data.sme_discount = Decimal(self.rng.choice([0, 30, 50])) or None
            data.term_end = min(patent.expires_on, date(self.today.year + 5, 12, 31))
        elif kind == ListingKind.licence:
            data.licence_type = licence_type or LicenceType.ordinary
            data.asking_price, data.territory = price / 2, "中国大陆"
            data.term_end = min(patent.expires_on, date(self.today.year + 6, 12, 31))
        elif kind == ListingKind.transfer:
            data.asking_price = price
        elif kind == ListingKind.equity:
            data.valuation, data.equity_share = price * 5, Decimal(self.rng.choice([5, 8, 10, 15]))
        user = self.ctx.users[holder]
        listing = create_listing(user, data)
        publish_listing(listing, user)
        when = self.at((start or self.today) - timedelta(days=self.rng.randint(10, 60)))
        listing.created_at = listing.published_at = patent.created_at = when
        db.session.flush()
        self.mine.add(listing.id)
        return listing

    # --- after each step: dates that follow the simulation --------------------------------

    def stamp(self, deal: Deal, day: date) -> None:
        when = self.at(day)
        if len(deal.offers) and deal.offers[-1].created_at > when:
            deal.offers[-1].created_at = when
        if deal.concluded_at is not None and deal.concluded_at > when:
            deal.concluded_at = when
        if deal.listing is not None and deal.listing.ended_at is not None and deal.listing.ended_at > when:
            deal.listing.ended_at = when
        deal.updated_at = when
        db.session.flush()


def _gap(rng, low: int = 3, high: int = 25) -> timedelta:
    return timedelta(days=rng.randint(low, high))


# --- scenarios: generators yielding the next day they act on --------------------------------

Scenario = Generator[date, date, None]


def open_licence(demo: _Demo, end: str, start: date, listing: Listing, licensee: str) -> Scenario:
    rng = demo.rng
    day = yield start
    holder_user = demo.ctx.users[next(k for k, o in demo.ctx.orgs.items() if o.id == listing.owner_id)]
    user = demo.user(licensee)
    fee, _ = ops.open_licence_fee(listing, user.organization)
    from .views import notice_template

    deal = ops.accept_open_licence(listing, user, notice_template(listing, user, fee), today=day)
    deal.created_at = demo.at(day)
    demo.stamp(deal, day)
    if end == "accepted":
        return
    if end == "cancelled":
        day = yield day + _gap(rng, 5, 40)
        ops.cancel(deal, rng.choice([holder_user, user]), "企业调整产品方向，双方协商解除许可", occurred_on=day)
        demo.stamp(deal, day)
        return
    day = yield day + _gap(rng, 5, 30)
    ops.record_payment(deal, holder_user, paid_on=day, amount_paid=deal.amount, occurred_on=day)
    demo.stamp(deal, day)
    if end == "paid":
        return
    day = yield day + _gap(rng, 20, 70)
    number = f"{day.year}99{demo.rng.randint(1, 9999999):07d}"
    ops.record_recordation(deal, rng.choice([holder_user, user]), number, occurred_on=day)
    demo.stamp(deal, day)


def negotiated(demo: _Demo, end: str, start: date, listing: Listing, buyer: str, thread=None,
               by_holder: bool = False) -> Scenario:
    rng = demo.rng
    day = yield start
    holder_key = next(k for k, o in demo.ctx.orgs.items() if o.id == listing.owner_id)
    holder, buyer_user = demo.user(holder_key), demo.user(buyer)
    base = listing.price or Decimal(rng.randrange(20, 200) * 10000)
    first = (base * Decimal(rng.choice(["0.7", "0.8", "0.85"]))).quantize(Decimal("1000"))
    royalty = Decimal(rng.choice(["2", "3", "5"])) if listing.kind == ListingKind.licence and rng.random() < 0.4 else None
    terms = rng.choice(["合同签订后 30 日内一次性付清", "分两期支付：签约付 60%，验收后付 40%", "含一年技术支持与人员培训"])
    if by_holder:
        deal = ops.propose_deal(listing, holder, amount=base, royalty_rate=royalty, terms=terms,
                                counterparty_org=buyer_user.organization, thread=thread, occurred_on=day)
    else:
        deal = ops.propose_deal(listing, buyer_user, amount=first, royalty_rate=royalty, terms=terms, thread=thread,
                                occurred_on=day)
    deal.created_at = demo.at(day)
    if thread is not None:
        thread.last_message_at = thread.messages[-1].created_at = demo.at(day)
    demo.stamp(deal, day)
    offeree, offerer = (buyer_user, holder) if by_holder else (holder, buyer_user)
    if end == "proposed":
        return
    if end == "rejected" and rng.random() < 0.5:
        day = yield day + _gap(rng)
        ops.reject(deal, offeree, "价格差距较大，暂不考虑", occurred_on=day)
        demo.stamp(deal, day)
        return
    rounds = 1 if end in ("agreed", "completed", "cancelled") else rng.randint(1, 2)
    for round_ in range(rounds):
        day = yield day + _gap(rng)
        price = (first + (base - first) * Decimal(round_ + 1) / Decimal(rounds + 1)).quantize(Decimal("1000"))
        ops.counter_offer(deal, offeree, amount=price, royalty_rate=royalty, terms=terms + "；价格按最新一版",
                          occurred_on=day)
        demo.stamp(deal, day)
        offeree, offerer = offerer, offeree
    if end == "negotiating":
        return
    day = yield day + _gap(rng)
    if end == "rejected":
        ops.reject(deal, offeree, "内部评审未通过", occurred_on=day)
    elif end == "cancelled" and rng.random() < 0.5:
        ops.cancel(deal, offerer, "项目预算调整，撤回提议", occurred_on=day)
    else:
        ops.agree(deal, offeree, occurred_on=day)
        demo.stamp(deal, day)
        if end == "agreed":
            return
        day = yield day + _gap(rng, 10, 45)
        if end == "cancelled":
            ops.cancel(deal, rng.choice([holder, buyer_user]), "资金未按期到位，终止交易", occurred_on=day)
        else:
            ops.complete(deal, demo.ctx.users[holder_key], occurred_on=day)
            for encumbrance in db.session.scalars(db.select(Encumbrance).where(Encumbrance.source == f"deal:{deal.id}")):
                encumbrance.starts_on = day
            if deal.kind == DealKind.licence and rng.random() < 0.6:  # most licence contracts get recorded
                demo.stamp(deal, day)
                day = yield day + _gap(rng, 20, 80)
                number = f"{day.year}99{rng.randint(1, 9999999):07d}"
                recordation.record_licence_number(deal, rng.choice([holder, buyer_user]), number, occurred_on=day)
    demo.stamp(deal, day)


def inquiry(demo: _Demo, start: date, listing: Listing, asker: str, then=None) -> Scenario:
    """A conversation of a few messages; `then(thread, day)` may continue it as a proposal."""
    rng = demo.rng
    day = yield start
    holder_key = next(k for k, o in demo.ctx.orgs.items() if o.id == listing.owner_id)
    thread = inquiry_ops.open_thread(listing, demo.user(asker), rng.choice(QUESTIONS), at=demo.at(day))
    for n in range(rng.randint(1, 4)):
        day = yield day + _gap(rng, 1, 6)
        who = demo.user(holder_key) if n % 2 == 0 else demo.user(asker)
        text = rng.choice(ANSWERS) if n % 2 == 0 else rng.choice(QUESTIONS)
        inquiry_ops.post_message(thread, who, text, at=demo.at(day))
    if then is not None:
        yield from then(thread, day + _gap(rng, 2, 10))


def _run(scenarios: list[Scenario], today: date) -> None:
    queue: list[tuple[date, int, Scenario]] = []
    for n, scenario in enumerate(scenarios):
        heapq.heappush(queue, (min(next(scenario), today), n, scenario))
    while queue:
        day, n, scenario = heapq.heappop(queue)
        try:
            heapq.heappush(queue, (min(scenario.send(day), today), n, scenario))
        except StopIteration:
            continue


@demo_step(order=50)
def inquiries_and_deals(ctx: DemoContext) -> None:
    _build(ctx)


def _build(ctx: DemoContext) -> None:
    demo, rng, today = _Demo(ctx), ctx.rng, business_date(ctx.now)
    first_note = db.session.scalar(db.select(db.func.max(Notification.id))) or 0
    first_mail = db.session.scalar(db.select(db.func.max(OutboxMail.id))) or 0

    def when(low: int, high: int) -> date:  # a start day between `high` and `low` days ago
        return today - timedelta(days=rng.randint(low, high))

    smes = ["ent_xinrui", "ent_kangyuan", "ent_shuzhi"]
    scenarios: list[Scenario] = []
    # Open licences: several enterprises on the same declarations, every state, due dates near and past.
    open_listings = [demo.listing(ListingKind.open_licence, holder, exclusive_use=True,
                                  start=today - timedelta(days=720)) for holder in HOLDERS + HOLDERS]
    plan = [("recorded", 600, 700), ("recorded", 300, 500), ("recorded", 120, 250), ("paid", 100, 400),
            ("paid", 40, 80), ("accepted", 75, 85), ("accepted", 100, 140), ("accepted", 3, 20),
            ("cancelled", 200, 500)]
    for n, (end, high_ago, low_ago) in enumerate(plan):
        listing = open_listings[n % len(open_listings)]
        licensee = demo.other_than(listing, ENTERPRISES[n % len(ENTERPRISES)])
        scenarios.append(open_licence(demo, end, when(min(high_ago, low_ago), max(high_ago, low_ago)),
                                      listing, licensee))
    # And a steady flow of concluded deals, one of each kind per quarter, for the indicators.
    for quarter in range(8):
        start = today - timedelta(days=90 * quarter + rng.randint(15, 75))
        n = len(plan) + quarter
        listing = open_listings[n % len(open_listings)]
        scenarios.append(open_licence(demo, "recorded", start, listing,
                                      demo.other_than(listing, ENTERPRISES[n % len(ENTERPRISES)])))
        kind = [ListingKind.licence, ListingKind.transfer, ListingKind.equity][quarter % 3]
        listing = demo.listing(kind, exclusive_use=kind != ListingKind.licence, start=start)
        scenarios.append(negotiated(demo, "completed", start, listing,
                                    demo.other_than(listing, ENTERPRISES[(quarter + 1) % len(ENTERPRISES)])))
    # Negotiated kinds, each in each state; completed ones more than once.
    ends = ["proposed", "negotiating", "agreed", "completed", "completed", "rejected", "cancelled"]
    for kind in (ListingKind.licence, ListingKind.transfer, ListingKind.equity):
        for n, end in enumerate(ends):
            recent = end not in NEGOTIATED_MACHINE.terminal
            start = when(5, 60) if recent else when(90, 700)
            licence_type = None
            if kind == ListingKind.licence:
                licence_type = LicenceType.exclusive if end in ("completed", "agreed") and n % 2 == 0 else (
                    LicenceType.sole if end == "cancelled" else LicenceType.ordinary)
            exclusive = kind != ListingKind.licence or licence_type != LicenceType.ordinary
            listing = demo.listing(kind, licence_type=licence_type, exclusive_use=exclusive, start=start)
            buyer = demo.other_than(listing, (smes + ENTERPRISES)[(n + len(kind.value)) % 8])
            scenarios.append(negotiated(demo, end, start, listing, buyer))
    # Inquiries: some stay conversations, two become proposals (one proposed by the holder).
    for n, kind in enumerate([ListingKind.open_licence, ListingKind.licence, ListingKind.transfer,
                              ListingKind.equity, ListingKind.licence, ListingKind.transfer]):
        start = when(10, 500)
        listing = (open_listings[n % 3] if kind == ListingKind.open_licence
                   else demo.listing(kind, exclusive_use=kind != ListingKind.licence, start=start))
        asker = demo.other_than(listing, ENTERPRISES[(n + 2) % len(ENTERPRISES)])
        then = None
        if n in (2, 4):
            def then(thread, day, listing=listing, asker=asker, by_holder=n == 4):
                yield from negotiated(demo, "negotiating" if by_holder else "agreed", day, listing, asker,
                                      thread=thread, by_holder=by_holder)
        scenarios.append(inquiry(demo, start, listing, asker, then))
    _run(scenarios, today)

    # The demo's notifications and mails describe the past: read and sent, so inboxes start calm.
    now = utcnow()
    db.session.execute(db.update(Notification).where(Notification.id > first_note).values(read_at=now))
    db.session.execute(db.update(OutboxMail).where(OutboxMail.id > first_mail).values(sent_at=now))
    db.session.flush()
