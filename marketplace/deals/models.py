"""Deals (交易): open licences accepted on published terms, and negotiated licences,
transfers and equity contributions, each moving through the state machine of its kind."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..dates import business_today
from ..extensions import db
from ..files.models import StoredFile
from ..listings.models import LicenceType, Listing
from ..patents.models import Patent
from ..types import Money, StrEnumType, UTCDateTime, utcnow
from ..workflow import Machine, Step, Workflowed, states_sql


class DealKind(enum.StrEnum):
    open_licence = "open_licence"
    licence = "licence"
    transfer = "transfer"
    equity = "equity"

    @property
    def label(self) -> str:
        return str({"open_licence": _l("开放许可"), "licence": _l("许可"), "transfer": _l("转让"),
                    "equity": _l("作价入股")}[self])


class DealStatus(enum.StrEnum):
    accepted = "accepted"
    paid = "paid"
    recorded = "recorded"
    proposed = "proposed"
    negotiating = "negotiating"
    agreed = "agreed"
    completed = "completed"
    rejected = "rejected"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str(DEAL_STATUS_LABELS[self])


DEAL_STATUS_LABELS = {
    DealStatus.accepted: _l("已生效（待付款）"), DealStatus.paid: _l("已付款（待备案）"),
    DealStatus.recorded: _l("已备案"), DealStatus.proposed: _l("已提议"), DealStatus.negotiating: _l("协商中"),
    DealStatus.agreed: _l("已达成一致"), DealStatus.completed: _l("已完成"), DealStatus.rejected: _l("已拒绝"),
    DealStatus.cancelled: _l("已取消"),
}

OPEN_LICENCE_MACHINE = Machine(
    name="open_licence",
    initial=DealStatus.accepted.value,
    endings={DealStatus.cancelled.value},
    conclusion=DealStatus.accepted.value,  # the licence exists from the notice (专利法 §51)
    groups={"to_record": (DealStatus.accepted.value, DealStatus.paid.value)},  # 备案 still due
    steps=[
        Step("accepted", "paid", "holder", _l("确认已收款"), needs=("paid_on",), done=_l("已登记收款。")),
        Step("paid", "recorded", "either", _l("登记备案号"), needs=("recordation_no",),
             done=_l("已登记备案号，许可备案完成。")),
        Step("accepted", "cancelled", "either", _l("取消许可"), done=_l("已取消。")),
    ],
)

_OPEN = (DealStatus.proposed.value, DealStatus.negotiating.value)  # terms on the table

NEGOTIATED_MACHINE = Machine(
    name="negotiated",
    initial=DealStatus.proposed.value,
    endings={DealStatus.rejected.value, DealStatus.cancelled.value},
    conclusion=DealStatus.completed.value,
    steps=[
        *[Step(s, "negotiating", "offeree", _l("还价"), done=_l("已提交还价。")) for s in _OPEN],
        *[Step(s, "agreed", "offeree", _l("同意当前条件")) for s in _OPEN],
        Step("agreed", "completed", "holder", _l("确认交易完成"), done=_l("交易已完成。")),
        *[Step(s, "rejected", "offeree", _l("拒绝")) for s in _OPEN],
        *[Step(s, "cancelled", "either", _l("撤销"), done=_l("已取消。")) for s in _OPEN],
        Step("agreed", "cancelled", "either", _l("终止交易"), done=_l("已取消。")),
    ],
)

# Each kind of deal moves through one machine (SPEC §4).
DEAL_MACHINES: dict[DealKind, Machine] = {
    DealKind.open_licence: OPEN_LICENCE_MACHINE, DealKind.licence: NEGOTIATED_MACHINE,
    DealKind.transfer: NEGOTIATED_MACHINE, DealKind.equity: NEGOTIATED_MACHINE,
}


def _status_fits_kind() -> str:
    return " OR ".join(f"(kind = '{kind}' AND {states_sql('status', machine.states)})"
                       for kind, machine in DEAL_MACHINES.items())


class Deal(Workflowed, db.Model):
    __tablename__ = "deal"
    ledger_subject_type = "deal"
    __table_args__ = (
        CheckConstraint("holder_org_id != counterparty_org_id", name="two_parties"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        CheckConstraint("royalty_rate IS NULL OR (royalty_rate >= 0 AND royalty_rate <= 100)", name="royalty_percent"),
        CheckConstraint(_status_fits_kind(), name="status_fits_kind"),
        CheckConstraint("(kind = 'licence') = (licence_type IS NOT NULL) OR kind = 'open_licence'",
                        name="licence_type_for_licences"),
        # A transfer or an exclusive/sole licence concludes at most once per listing: the
        # operation sets `conclusion_key` to the listing id when such a deal is agreed.
        UniqueConstraint("conclusion_key", name="uq_deal_conclusion_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DealKind] = mapped_column(StrEnumType(DealKind))
    status: Mapped[DealStatus] = mapped_column(StrEnumType(DealStatus), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), index=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    counterparty_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    licence_type: Mapped[LicenceType | None] = mapped_column(StrEnumType(LicenceType))
    amount: Mapped[Decimal | None] = mapped_column(Money())  # the fee or price currently on the table / agreed
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    terms: Mapped[str] = mapped_column(Text, default="")
    term_end: Mapped[date | None] = mapped_column(Date)
    notice: Mapped[str] = mapped_column(Text, default="")  # the licensee's written notice (open licence)
    recordation_due: Mapped[date | None] = mapped_column(Date)  # 备案 within 3 months
    recordation_no: Mapped[str] = mapped_column(String(60), default="")
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_amount: Mapped[Decimal | None] = mapped_column(Money())  # what the holder says it received
    conclusion_key: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    listing: Mapped[Listing | None] = relationship()
    holder: Mapped[Organization] = relationship(foreign_keys=[holder_org_id])
    counterparty: Mapped[Organization] = relationship(foreign_keys=[counterparty_org_id])
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[DealPatent]] = relationship(cascade="all, delete-orphan", back_populates="deal")
    documents: Mapped[list[DealDocument]] = relationship(cascade="all, delete-orphan", order_by="DealDocument.id")
    offers: Mapped[list[DealOffer]] = relationship(cascade="all, delete-orphan", back_populates="deal",
                                                   order_by="DealOffer.version")

    @property
    def patents(self) -> list[Patent]:
        return [item.patent for item in self.items]

    @property
    def machine(self) -> Machine:
        return DEAL_MACHINES[self.kind]

    @property
    def latest_offer(self) -> DealOffer | None:
        return self.offers[-1] if self.offers else None

    @property
    def is_exclusive_conclusion(self) -> bool:
        """Concluding this deal uses the listing up: a transfer or equity contribution (the
        patents change owner), or a sole/exclusive licence."""
        return self.kind in (DealKind.transfer, DealKind.equity) or (
            self.kind == DealKind.licence and self.licence_type in (LicenceType.sole, LicenceType.exclusive))

    def party_of(self, user) -> str | None:
        if not getattr(user, "is_authenticated", False):
            return None
        if user.organization_id == self.holder_org_id:
            return "holder"
        if user.organization_id == self.counterparty_org_id:
            return "counterparty"
        return None

    def roles_of(self, user) -> set[str]:
        party = self.party_of(user)
        return self.roles_of_org(user.organization_id) if party is not None else set()

    def roles_of_org(self, org_id: int) -> set[str]:
        if org_id == self.holder_org_id:
            roles = {"holder"}
        elif org_id == self.counterparty_org_id:
            roles = {"counterparty"}
        else:
            return set()
        offer = self.latest_offer
        if offer is not None and offer.by_org_id != org_id:
            roles.add("offeree")
        return roles

    def parties_to_move(self) -> set[str]:
        """Which side the deal waits on: the parties with a step that moves it forward
        (cancelling or rejecting is always possible and does not count)."""
        waiting = set()
        for party, org_id in (("holder", self.holder_org_id), ("counterparty", self.counterparty_org_id)):
            roles = self.roles_of_org(org_id)
            if any(step.allows(roles) for step in self.machine.steps_from(self.status_value)
                   if step.target not in self.machine.endings):
                waiting.add(party)
        return waiting

    def waiting_for(self, user) -> str:
        """"mine", "theirs" or "" (nothing to do: the deal is over) from the user's side."""
        waiting = self.parties_to_move()
        if not waiting:
            return ""
        return "mine" if self.party_of(user) in waiting else "theirs"

    @classmethod
    def waiting_on_org(cls, org_id: int):
        """SQL for "deals waiting on this organisation": parties_to_move() read off the machines."""
        return or_(and_(cls.holder_org_id == org_id, cls._moves_sql("holder")),
                   and_(cls.counterparty_org_id == org_id, cls._moves_sql("counterparty")))

    @classmethod
    def _moves_sql(cls, party: str):
        latest_by = (select(DealOffer.by_org_id).where(DealOffer.deal_id == cls.id)
                     .order_by(DealOffer.version.desc()).limit(1).scalar_subquery())
        other_org = cls.counterparty_org_id if party == "holder" else cls.holder_org_id
        conditions = []
        for kind, machine in DEAL_MACHINES.items():
            for state in machine.states:
                roles = set().union(*(s.roles for s in machine.steps_from(state) if s.target not in machine.endings))
                here = and_(cls.kind == kind, cls.status == state)
                if party in roles:
                    conditions.append(here)
                elif "offeree" in roles:  # the party the latest offer was made to
                    conditions.append(and_(here, latest_by == other_org))
        return or_(*conditions)

    @classmethod
    def concluded_sql(cls):
        """SQL for "the deal is concluded and stands": its kind's concluded states."""
        return or_(*(and_(cls.kind == kind, cls.status.in_(machine.concluded_states))
                     for kind, machine in DEAL_MACHINES.items()))

    @classmethod
    def is_live_sql(cls):
        """SQL for "the deal is not over": its status is not terminal in its kind's machine."""
        return or_(*(and_(cls.kind == kind, cls.status.in_(machine.states), cls.status.not_in(machine.terminal))
                     for kind, machine in DEAL_MACHINES.items()))

    @property
    def recordation_days_left(self) -> int | None:
        """Days until the 备案 date (negative once past); None when nothing awaits 备案."""
        from .recordation import is_awaiting

        if not is_awaiting(self):
            return None
        return (self.recordation_due - business_today()).days

    @property
    def recordation_is_deadline(self) -> bool:
        """The law's deadline (licence contracts, 细则 §15), not the site's advice (open licences)."""
        from .recordation import is_deadline

        return is_deadline(self)

    def can_view(self, user) -> bool:
        return self.party_of(user) is not None or (getattr(user, "is_authenticated", False) and user.is_operator)

    def ledger_context(self) -> dict:
        beneficiary = self.counterparty  # the enterprise served: licensee, assignee, investee
        return {
            "deal_kind": self.kind.value, "holder_org": self.holder, "counterparty_org": self.counterparty,
            "beneficiary_org": beneficiary, "patent_ids": [item.patent_id for item in self.items],
            "amount": self.amount,
        }

    def on_enter(self, status: str, actor, data: dict) -> None:
        from . import effects

        effects.on_enter(self, status, actor, data)

    def notify_parties(self, step, actor) -> None:
        from . import effects

        effects.notify(self, step, actor)

    def __repr__(self) -> str:
        return f"<Deal {self.id} {self.kind.value} {self.status.value}>"


class DealPatent(db.Model):
    __tablename__ = "deal_patent"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), primary_key=True, index=True)

    deal: Mapped[Deal] = relationship(back_populates="items")
    patent: Mapped[Patent] = relationship()


class DealOffer(db.Model):
    """One version of the terms, proposed by one side; the other side may accept or counter."""

    __tablename__ = "deal_offer"
    __table_args__ = (
        UniqueConstraint("deal_id", "version", name="uq_deal_offer_version"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        CheckConstraint("royalty_rate IS NULL OR (royalty_rate >= 0 AND royalty_rate <= 100)", name="royalty_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    by_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    terms: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="offers")
    by_org: Mapped[Organization] = relationship()


class DealReminder(db.Model):
    """A recordation reminder already sent: at most one per deal and threshold, so the daily
    `deals remind` can run any number of times without repeating itself."""

    __tablename__ = "deal_reminder"
    __table_args__ = (UniqueConstraint("deal_id", "threshold", name="uq_deal_reminder_threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    threshold: Mapped[str] = mapped_column(String(20))  # "due_soon" (≤ 14 days) or "overdue"
    sent_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DealDocument(db.Model):
    """A file either party attaches to a deal: the signed contract, a payment receipt, the
    recordation certificate. Its SHA-256 is kept so a later dispute can prove which file it was."""

    __tablename__ = "deal_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    by_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    file: Mapped[StoredFile] = relationship()
    by_org: Mapped[Organization] = relationship()
