"""Listings (挂牌): patents of one owner offered on one kind of deal, with that kind's terms."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..extensions import db
from ..patents.models import Patent
from ..types import Money, StrEnumType, UTCDateTime, utcnow
from ..workflow import Machine, Step, Workflowed


class ListingKind(enum.StrEnum):
    open_licence = "open_licence"
    licence = "licence"
    transfer = "transfer"
    equity = "equity"
    pledge = "pledge"

    @property
    def label(self) -> str:
        return str(LISTING_KIND_LABELS[self])


LISTING_KIND_LABELS = {
    ListingKind.open_licence: _l("开放许可"),
    ListingKind.licence: _l("许可"),
    ListingKind.transfer: _l("转让"),
    ListingKind.equity: _l("作价入股"),
    ListingKind.pledge: _l("质押融资需求"),
}


class ListingStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    in_negotiation = "in_negotiation"
    closed = "closed"
    withdrawn = "withdrawn"
    expired = "expired"

    @property
    def label(self) -> str:
        return str({"draft": _l("草稿"), "published": _l("已发布"), "in_negotiation": _l("洽谈中"),
                    "closed": _l("已成交"), "withdrawn": _l("已撤回"), "expired": _l("已失效")}[self])

    @property
    def is_live(self) -> bool:
        return self in LIVE_STATUSES


_LIVE = (ListingStatus.published.value, ListingStatus.in_negotiation.value)

# A listing's lifecycle. The holder publishes and withdraws; the platform moves it as deals
# progress (a deal agreed, concluded or released) and expires it when a patent lapses.
LISTING_MACHINE = Machine(
    name="listing",
    initial=ListingStatus.draft.value,
    endings={ListingStatus.withdrawn.value, ListingStatus.expired.value},
    steps=[
        Step("draft", "published", "holder|system", _l("发布"), name="publish"),
        Step("published", "in_negotiation", "system", _l("进入洽谈"), name="negotiate"),
        Step("in_negotiation", "published", "system", _l("重新开放"), name="reopen"),
        *[Step(s, "closed", "system", _l("成交"), name="close") for s in _LIVE],
        *[Step(s, "expired", "system", _l("失效"), name="expire") for s in _LIVE],
        # Withdrawing asks for no verified organisation: a holder can always take back its offer.
        *[Step(s, "withdrawn", "holder|operator|system", _l("撤回"), name="withdraw", verified=False)
          for s in ("draft", *_LIVE)],
    ],
    groups={
        "live": _LIVE,  # offered now: it holds its patents' slots and can be dealt on
        "public": (*_LIVE, ListingStatus.closed.value),  # shown to visitors (a pledge need: to banks)
        "editable": (ListingStatus.draft.value, ListingStatus.published.value),
    },
)
LIVE_STATUSES = tuple(ListingStatus(s) for s in LISTING_MACHINE.group("live"))


class LicenceType(enum.StrEnum):
    ordinary = "ordinary"
    sole = "sole"
    exclusive = "exclusive"

    @property
    def label(self) -> str:
        return str({"ordinary": _l("普通许可"), "sole": _l("排他许可"), "exclusive": _l("独占许可")}[self])


class PaymentMethod(enum.StrEnum):
    lump_sum = "lump_sum"
    royalty = "royalty"
    entry_fee_plus_royalty = "entry_fee_plus_royalty"
    free = "free"

    @property
    def label(self) -> str:
        return str({"lump_sum": _l("一次性支付"), "royalty": _l("按销售提成"),
                    "entry_fee_plus_royalty": _l("入门费+提成"), "free": _l("免费")}[self])

    @property
    def needs_fee(self) -> bool:
        return self in (PaymentMethod.lump_sum, PaymentMethod.entry_fee_plus_royalty)

    @property
    def needs_royalty(self) -> bool:
        return self in (PaymentMethod.royalty, PaymentMethod.entry_fee_plus_royalty)


class Industry(enum.StrEnum):
    """The plan's industries (电子信息、生物医药、大数据、人工智能、互联网+) and the others SPEC lists."""

    electronics = "electronics"
    biomedicine = "biomedicine"
    big_data = "big_data"
    ai = "ai"
    internet_plus = "internet_plus"
    new_materials = "new_materials"
    new_energy = "new_energy"
    high_end_equipment = "high_end_equipment"
    modern_agriculture = "modern_agriculture"
    other = "other"

    @property
    def label(self) -> str:
        return str(INDUSTRY_LABELS[self])


INDUSTRY_LABELS = {
    Industry.electronics: _l("电子信息"),
    Industry.biomedicine: _l("生物医药"),
    Industry.big_data: _l("大数据"),
    Industry.ai: _l("人工智能"),
    Industry.internet_plus: _l("互联网+"),
    Industry.new_materials: _l("新材料"),
    Industry.new_energy: _l("新能源"),
    Industry.high_end_equipment: _l("高端装备"),
    Industry.modern_agriculture: _l("现代农业"),
    Industry.other: _l("其他"),
}


class Listing(Workflowed, db.Model):
    __tablename__ = "listing"
    ledger_subject_type = ""  # a listing is an offer, not a deal: its changes are not ledger events
    __table_args__ = (
        # Each kind carries its own terms; the schema refuses a listing without them.
        CheckConstraint("kind != 'open_licence' OR (payment_method IS NOT NULL AND term_end IS NOT NULL)",
                        name="open_licence_terms"),
        CheckConstraint("payment_method IS NULL OR kind = 'open_licence'", name="payment_only_open_licence"),
        CheckConstraint("(kind = 'licence') = (licence_type IS NOT NULL)", name="licence_type_iff_licence"),
        CheckConstraint("kind != 'equity' OR (valuation IS NOT NULL AND equity_share IS NOT NULL)", name="equity_terms"),
        CheckConstraint("kind != 'pledge' OR (amount_wanted IS NOT NULL AND term_months IS NOT NULL)", name="pledge_terms"),
        CheckConstraint("royalty_rate IS NULL OR (royalty_rate >= 0 AND royalty_rate <= 100)", name="royalty_rate_percent"),
        CheckConstraint("sme_discount IS NULL OR (sme_discount >= 0 AND sme_discount <= 100)", name="sme_discount_percent"),
        CheckConstraint("equity_share IS NULL OR (equity_share > 0 AND equity_share <= 100)", name="equity_share_percent"),
        CheckConstraint("fee_amount IS NULL OR fee_amount >= 0", name="fee_not_negative"),
        CheckConstraint("asking_price IS NULL OR asking_price > 0", name="asking_price_positive"),
        CheckConstraint("valuation IS NULL OR valuation > 0", name="valuation_positive"),
        CheckConstraint("amount_wanted IS NULL OR amount_wanted > 0", name="amount_wanted_positive"),
        CheckConstraint("term_months IS NULL OR term_months > 0", name="term_months_positive"),
        CheckConstraint("term_start IS NULL OR term_end IS NULL OR term_end > term_start", name="term_ordered"),
        CheckConstraint("payment_method != 'free' OR (COALESCE(fee_amount, 0) = 0 AND royalty_rate IS NULL)",
                        name="free_is_free"),
        Index("ix_listing_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[ListingKind] = mapped_column(StrEnumType(ListingKind))
    status: Mapped[ListingStatus] = mapped_column(StrEnumType(ListingStatus), default=ListingStatus.draft)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    industry: Mapped[Industry] = mapped_column(StrEnumType(Industry), default=Industry.other)

    # open licence (开放许可声明)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(StrEnumType(PaymentMethod))
    fee_amount: Mapped[Decimal | None] = mapped_column(Money())  # lump sum, or the entry fee
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent of net sales
    sme_discount: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent off the fee for SMEs
    # licence, open licence: term; licence: type and territory
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    licence_type: Mapped[LicenceType | None] = mapped_column(StrEnumType(LicenceType))
    territory: Mapped[str] = mapped_column(String(200), default="")
    # licence, transfer: asking price (NULL = negotiable)
    asking_price: Mapped[Decimal | None] = mapped_column(Money())
    # equity (作价入股)
    valuation: Mapped[Decimal | None] = mapped_column(Money())
    equity_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent expected
    # pledge (质押融资需求)
    amount_wanted: Mapped[Decimal | None] = mapped_column(Money())
    term_months: Mapped[int | None]
    purpose: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[ListingPatent]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingPatent.position"
    )

    @property
    def patents(self) -> list[Patent]:
        return [item.patent for item in self.items]

    @property
    def price(self) -> Decimal | None:
        """The sum due (asking price, fee, valuation, amount wanted; 0 when free); None for 面议
        and 仅提成. The full reading, with its label and band, is `pricing.price_of`."""
        return self.price_terms.amount

    @property
    def price_terms(self):
        from .pricing import price_of

        return price_of(self)

    @property
    def is_exclusive(self) -> bool:
        return self.kind == ListingKind.licence and self.licence_type in (LicenceType.sole, LicenceType.exclusive)

    # --- who may do what (asked by routes and operations alike) ---------------------

    def is_owned_by(self, user) -> bool:
        return user.is_authenticated and user.organization_id == self.owner_id

    def can_view(self, user) -> bool:
        """SPEC §3 "Who sees what", as every surface asks it: listings/visibility.py."""
        from .visibility import can_view

        return can_view(self, user)

    def can_edit(self, user) -> bool:
        return self.is_owned_by(user) and self.status.value in LISTING_MACHINE.group("editable")

    # --- its machine --------------------------------------------------------------------

    @property
    def machine(self) -> Machine:
        return LISTING_MACHINE

    def roles_of(self, user) -> set[str]:
        if not getattr(user, "is_authenticated", False):
            return set()
        roles = {"holder"} if user.organization_id == self.owner_id else set()
        return roles | ({"operator"} if user.is_operator else set())

    def on_enter(self, status: str, actor, data: dict) -> None:
        from .operations import on_enter

        on_enter(self, status)

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.kind.value} {self.status.value}>"


class ListingSlot(enum.StrEnum):
    """What a live listing holds on each of its patents; one holder per slot per patent."""

    transfer = "transfer"  # a live transfer offer
    exclusivity = "exclusivity"  # a live open licence, sole or exclusive licence offer


class ListingPatent(db.Model):
    __tablename__ = "listing_patent"
    __table_args__ = (
        Index("uq_listing_patent_transfer", "patent_id", unique=True,
              sqlite_where=text("slot = 'transfer'"), postgresql_where=text("slot = 'transfer'")),
        Index("uq_listing_patent_exclusivity", "patent_id", unique=True,
              sqlite_where=text("slot = 'exclusivity'"), postgresql_where=text("slot = 'exclusivity'")),
    )

    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    slot: Mapped[ListingSlot | None] = mapped_column(StrEnumType(ListingSlot))  # set while the listing is live

    listing: Mapped[Listing] = relationship(back_populates="items")
    patent: Mapped[Patent] = relationship()

