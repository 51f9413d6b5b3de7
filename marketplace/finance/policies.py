"""Patent insurance (专利保险): policies recorded by insurers, and holders' quote requests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, OrgKind, User
from ..dates import business_today
from ..extensions import db
from ..patents.models import Patent
from ..types import Money, StrEnumType, UTCDateTime, utcnow
from ..workflow import Machine, Workflowed, states_sql
from .machines import INSURANCE_MACHINE, PolicyStatus, PolicyType


def _org_id(user) -> int | None:
    return user.organization_id if getattr(user, "is_authenticated", False) else None


class InsurancePolicy(Workflowed, db.Model):
    __tablename__ = "insurance_policy"
    ledger_subject_type = "insurance_policy"
    __table_args__ = (
        UniqueConstraint("insurer_org_id", "policy_no", name="uq_insurance_policy_insurer_number"),
        CheckConstraint("insurer_org_id != insured_org_id", name="two_parties"),
        CheckConstraint("premium > 0", name="premium_positive"),
        CheckConstraint("coverage > 0", name="coverage_positive"),
        CheckConstraint("ends_on > starts_on", name="period_ordered"),
        CheckConstraint(states_sql("status", INSURANCE_MACHINE.reachable("issued", avoiding=INSURANCE_MACHINE.endings),
                                   negate=True) + " OR (policy_no IS NOT NULL AND issued_on IS NOT NULL)",
                        name="issued_has_number"),
        CheckConstraint("policy_type != 'other' OR type_note != ''", name="other_type_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    insurer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    insured_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    quote_request_id: Mapped[int | None] = mapped_column(ForeignKey("quote_request.id"), unique=True)
    policy_type: Mapped[PolicyType] = mapped_column(StrEnumType(PolicyType))
    type_note: Mapped[str] = mapped_column(String(100), default="")
    policy_no: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[PolicyStatus] = mapped_column(StrEnumType(PolicyStatus), default=PolicyStatus.quoted, index=True)
    premium: Mapped[Decimal] = mapped_column(Money())
    coverage: Mapped[Decimal] = mapped_column(Money())
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    insurer: Mapped[Organization] = relationship(foreign_keys=[insurer_org_id])
    insured: Mapped[Organization] = relationship(foreign_keys=[insured_org_id])
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[InsuredPatent]] = relationship(cascade="all, delete-orphan", order_by="InsuredPatent.patent_id")
    quote_request: Mapped[QuoteRequest | None] = relationship(back_populates="policy")

    @property
    def patents(self) -> list[Patent]:
        return [item.patent for item in self.items]

    @property
    def type_label(self) -> str:
        return self.type_note if self.policy_type == PolicyType.other and self.type_note else self.policy_type.label

    @property
    def machine(self) -> Machine:
        return INSURANCE_MACHINE

    def roles_of(self, user) -> set[str]:
        org_id = _org_id(user)
        if org_id == self.insurer_org_id and user.organization.kind == OrgKind.insurer:
            return {"insurer"}
        if org_id is not None and org_id == self.insured_org_id:
            return {"insured"}
        return set()

    def can_view(self, user) -> bool:
        return bool(self.roles_of(user)) or (getattr(user, "is_authenticated", False) and user.is_operator)

    def ledger_context(self) -> dict:
        return {
            "deal_kind": "insurance", "holder_org": self.insured, "counterparty_org": self.insurer,
            "beneficiary_org": self.insured, "patent_ids": [item.patent_id for item in self.items],
            "amount": self.premium,
        }

    def on_enter(self, status: str, actor, data: dict) -> None:
        if status == PolicyStatus.issued.value:
            self.policy_no = data["policy_no"]
            self.issued_on = data["issued_on"]
        elif status == PolicyStatus.lapsed.value:
            self.lapsed_on = data.get("lapsed_on") or business_today()

    def notify_parties(self, step, actor) -> None:
        from flask_babel import gettext as _

        from ..notify.operations import notify_organization
        from ..urls import external_url

        other = self.insured if actor is None or actor.organization_id == self.insurer_org_id else self.insurer
        notify_organization(other, _("专利保险 %(type)s：%(action)s，当前状态：%(status)s", type=self.type_label,
                                        action=str(step.label), status=self.status.label),
                            external_url("finance.policy_detail", policy_id=self.id))


class InsuredPatent(db.Model):
    __tablename__ = "insured_patent"

    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policy.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), primary_key=True, index=True)

    patent: Mapped[Patent] = relationship()


class QuoteStatus(enum.StrEnum):
    open = "open"
    answered = "answered"
    declined = "declined"

    @property
    def label(self) -> str:
        return str({"open": _l("待报价"), "answered": _l("已报价"), "declined": _l("已婉拒")}[self])


class QuoteRequest(db.Model):
    """A holder asks one insurer for a quote on some of its patents."""

    __tablename__ = "quote_request"
    __table_args__ = (CheckConstraint("coverage_wanted IS NULL OR coverage_wanted > 0", name="coverage_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    insurer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    policy_type: Mapped[PolicyType] = mapped_column(StrEnumType(PolicyType))
    coverage_wanted: Mapped[Decimal | None] = mapped_column(Money())
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuoteStatus] = mapped_column(StrEnumType(QuoteStatus), default=QuoteStatus.open, index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requester: Mapped[Organization] = relationship(foreign_keys=[requester_org_id])
    insurer: Mapped[Organization] = relationship(foreign_keys=[insurer_org_id])
    items: Mapped[list[QuotePatent]] = relationship(cascade="all, delete-orphan", order_by="QuotePatent.patent_id")
    policy: Mapped[InsurancePolicy | None] = relationship(back_populates="quote_request")

    @property
    def patents(self) -> list[Patent]:
        return [item.patent for item in self.items]

    def can_view(self, user) -> bool:
        return _org_id(user) in (self.requester_org_id, self.insurer_org_id)

    def is_insurer(self, user) -> bool:
        return _org_id(user) == self.insurer_org_id


class QuotePatent(db.Model):
    __tablename__ = "quote_patent"

    quote_id: Mapped[int] = mapped_column(ForeignKey("quote_request.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), primary_key=True)

    patent: Mapped[Patent] = relationship()
