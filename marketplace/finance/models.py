"""Pledge requests (质押融资申请), one review per chosen bank, their threads and documents,
and agencies' appraisals (评估) of patents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, OrgKind, User
from ..extensions import db
from ..files.models import StoredFile
from ..listings.models import Industry, Listing
from ..patents.models import Patent
from ..types import Money, StrEnumType, UTCDateTime, utcnow
from ..workflow import Machine, Workflowed, states_sql
from .machines import (
    APPROVED_STATES,
    DISBURSED_STATES,
    PLEDGE_MACHINE,
    REGISTERED_STATES,
    ReviewStatus,
)

MAX_RATE = Decimal("36")  # percent a year: the ceiling the courts protect for private lending


def _org_id(user) -> int | None:
    return user.organization_id if getattr(user, "is_authenticated", False) else None


def _is_operator(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_operator


class PledgeRequest(db.Model):
    """What the holder asks for: patents, amount, term, purpose; sent to one or more banks.

    It publishes a pledge listing so that the pool's encumbrance rules see it: while the
    request is live its patents cannot be transferred or exclusively licensed."""

    __tablename__ = "pledge_request"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months BETWEEN 1 AND 120", name="term_months_range"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text)
    industry: Mapped[Industry] = mapped_column(StrEnumType(Industry), default=Industry.other)
    score: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # financing score when submitted
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    listing: Mapped[Listing] = relationship()
    items: Mapped[list[PledgeRequestPatent]] = relationship(cascade="all, delete-orphan",
                                                            order_by="PledgeRequestPatent.position")
    reviews: Mapped[list[PledgeReview]] = relationship(back_populates="request", order_by="PledgeReview.id")
    documents: Mapped[list[PledgeDocument]] = relationship(cascade="all, delete-orphan",
                                                           order_by="PledgeDocument.id")

    @property
    def patents(self) -> list[Patent]:
        return [item.patent for item in self.items]

    @property
    def is_live(self) -> bool:
        return any(r.status.is_pending for r in self.reviews)

    @property
    def pledged_review(self) -> PledgeReview | None:
        return next((r for r in self.reviews if r.status.value in REGISTERED_STATES), None)

    def review_for_bank(self, org_id: int | None) -> PledgeReview | None:
        return next((r for r in self.reviews if r.bank_org_id == org_id), None)

    # --- who may see what ------------------------------------------------------------

    def is_holder(self, user) -> bool:
        return _org_id(user) == self.holder_org_id

    def can_view(self, user) -> bool:
        """The holder, the chosen banks, and the platform operator (read-only)."""
        return self.is_holder(user) or self.review_for_bank(_org_id(user)) is not None or _is_operator(user)

    def can_read_documents(self, user) -> bool:
        """Documents go to the holder and the banks it chose, to no one else."""
        return self.is_holder(user) or self.review_for_bank(_org_id(user)) is not None


class PledgeRequestPatent(db.Model):
    __tablename__ = "pledge_request_patent"

    request_id: Mapped[int] = mapped_column(ForeignKey("pledge_request.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    patent: Mapped[Patent] = relationship()


class PledgeDocument(db.Model):
    __tablename__ = "pledge_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("pledge_request.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)

    file: Mapped[StoredFile] = relationship()


class PledgeReview(Workflowed, db.Model):
    """One bank's handling of one request: the SPEC §4 pledge-loan machine."""

    __tablename__ = "pledge_review"
    ledger_subject_type = "pledge_review"
    __table_args__ = (
        UniqueConstraint("request_id", "bank_org_id", name="uq_pledge_review_request_bank"),
        CheckConstraint("requested_amount > 0", name="requested_amount_positive"),
        CheckConstraint("approved_amount IS NULL OR (approved_amount > 0 AND approved_amount <= requested_amount)",
                        name="approved_within_request"),
        CheckConstraint("rate IS NULL OR (rate >= 0 AND rate <= 36)", name="rate_range"),
        CheckConstraint("approved_term_months IS NULL OR approved_term_months BETWEEN 1 AND 120",
                        name="approved_term_range"),
        CheckConstraint("disbursed_amount IS NULL OR (disbursed_amount > 0 AND disbursed_amount <= approved_amount)",
                        name="disbursed_within_approval"),
        # What each stage of the machine must carry, from that stage on.
        CheckConstraint(states_sql("status", APPROVED_STATES, negate=True)
                        + " OR (approved_amount IS NOT NULL AND rate IS NOT NULL AND approved_term_months IS NOT NULL)",
                        name="approval_terms"),
        CheckConstraint(states_sql("status", REGISTERED_STATES, negate=True)
                        + " OR (registration_no IS NOT NULL AND registered_on IS NOT NULL)", name="registration_recorded"),
        CheckConstraint(states_sql("status", DISBURSED_STATES, negate=True)
                        + " OR (disbursed_amount IS NOT NULL AND disbursed_on IS NOT NULL)", name="disbursement_recorded"),
        CheckConstraint(states_sql("status", PLEDGE_MACHINE.reachable("repaid"), negate=True) + " OR repaid_on IS NOT NULL",
                        name="repayment_recorded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("pledge_request.id"), index=True)
    bank_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[ReviewStatus] = mapped_column(StrEnumType(ReviewStatus), default=ReviewStatus.submitted,
                                                 index=True)
    requested_amount: Mapped[Decimal] = mapped_column(Money())
    approved_amount: Mapped[Decimal | None] = mapped_column(Money())
    rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent a year
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    registration_no: Mapped[str | None] = mapped_column(String(60))  # 质押登记号
    registered_on: Mapped[date | None] = mapped_column(Date)
    disbursed_amount: Mapped[Decimal | None] = mapped_column(Money())
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    repaid_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)  # rejected, withdrawn, defaulted
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    request: Mapped[PledgeRequest] = relationship(back_populates="reviews")
    bank: Mapped[Organization] = relationship()
    messages: Mapped[list[ReviewMessage]] = relationship(back_populates="review", order_by="ReviewMessage.id",
                                                         cascade="all, delete-orphan")

    @property
    def machine(self) -> Machine:
        return PLEDGE_MACHINE

    def roles_of(self, user) -> set[str]:
        org_id = _org_id(user)
        if org_id is None:
            return set()
        if org_id == self.request.holder_org_id:
            return {"holder"}
        if org_id == self.bank_org_id and user.organization.kind == OrgKind.bank:
            return {"bank"}
        return set()

    def can_view(self, user) -> bool:
        return bool(self.roles_of(user)) or _is_operator(user)

    def is_bank(self, user) -> bool:
        return "bank" in self.roles_of(user)

    @property
    def loan_amount(self) -> Decimal:
        return self.disbursed_amount or self.approved_amount or self.requested_amount

    def ledger_context(self) -> dict:
        borrower = self.request.holder
        return {
            "deal_kind": "pledge", "holder_org": borrower, "counterparty_org": self.bank,
            "beneficiary_org": borrower, "patent_ids": [item.patent_id for item in self.request.items],
            "amount": self.loan_amount,
        }

    def on_enter(self, status: str, actor, data: dict) -> None:
        from . import effects

        effects.on_enter(self, status, actor, data)

    def notify_parties(self, step, actor) -> None:
        from . import effects

        effects.notify(self, step, actor)

    def __repr__(self) -> str:
        return f"<PledgeReview {self.id} request={self.request_id} bank={self.bank_org_id} {self.status.value}>"


class ReviewMessage(db.Model):
    """The thread between the holder and one bank: information requests and answers."""

    __tablename__ = "review_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("pledge_review.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    review: Mapped[PledgeReview] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    author_org: Mapped[Organization] = relationship()


class AppraisalMethod(enum.StrEnum):
    income = "income"
    market = "market"
    cost = "cost"

    @property
    def label(self) -> str:
        return str({"income": _l("收益法"), "market": _l("市场法"), "cost": _l("成本法")}[self])


class Appraisal(db.Model):
    """An agency's appraisal of one patent: the amount is the agency's, never the site's."""

    __tablename__ = "appraisal"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[AppraisalMethod] = mapped_column(StrEnumType(AppraisalMethod))
    appraised_on: Mapped[date] = mapped_column(Date)
    report_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    patent: Mapped[Patent] = relationship()
    agency: Mapped[Organization] = relationship()
    report: Mapped[StoredFile] = relationship()

    def can_view(self, user) -> bool:
        """The patent's owner, the agency, operators, and banks reviewing a request with it."""
        org_id = _org_id(user)
        if org_id is None:
            return False
        if org_id in (self.patent.owner_id, self.agency_org_id) or user.is_operator:
            return True
        if user.organization.kind != OrgKind.bank:
            return False
        return db.session.scalar(
            db.select(PledgeReview.id).join(PledgeRequestPatent,
                                            PledgeRequestPatent.request_id == PledgeReview.request_id)
            .where(PledgeRequestPatent.patent_id == self.patent_id, PledgeReview.bank_org_id == org_id).limit(1)
        ) is not None


def latest_appraisal(patent_id: int) -> Appraisal | None:
    return db.session.scalar(db.select(Appraisal).where(Appraisal.patent_id == patent_id)
                             .order_by(Appraisal.appraised_on.desc(), Appraisal.id.desc()).limit(1))
