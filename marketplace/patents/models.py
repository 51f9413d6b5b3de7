"""Patents in the registry, and the encumbrances that deals and pledges put on them."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    event,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization
from ..dates import add_years, business_today
from ..extensions import db
from ..types import StrEnumType, UTCDateTime, utcnow
from .numbers import display_application_number, parse_ipc


class PatentType(enum.StrEnum):
    invention = "invention"
    utility = "utility"
    design = "design"

    @property
    def label(self) -> str:
        return str({"invention": _l("发明"), "utility": _l("实用新型"), "design": _l("外观设计")}[self])

    @property
    def needs_evaluation_report(self) -> bool:
        """Utility models and designs are granted unexamined: an open licence needs a 专利权评价报告."""
        return self != PatentType.invention


class LegalStatus(enum.StrEnum):
    pending = "pending"
    granted = "granted"
    lapsed = "lapsed"
    expired = "expired"
    invalidated = "invalidated"

    @property
    def label(self) -> str:
        return str({"pending": _l("审查中"), "granted": _l("有效（已授权）"), "lapsed": _l("失效（未缴年费）"),
                    "expired": _l("期限届满"), "invalidated": _l("被宣告无效")}[self])

    @property
    def in_force(self) -> bool:
        return self in (LegalStatus.pending, LegalStatus.granted)


DESIGN_RULE_CHANGE = date(2021, 6, 1)


def term_years(patent_type: PatentType, application_date: date) -> int:
    """Invention 20, utility model 10, design 15 (10 for applications filed before 2021-06-01)."""
    if patent_type == PatentType.invention:
        return 20
    if patent_type == PatentType.utility:
        return 10
    return 15 if application_date >= DESIGN_RULE_CHANGE else 10


def expiry_date(patent_type: PatentType, application_date: date | None) -> date | None:
    """The last day of the term: the day before the anniversary of the filing date (the
    anniversary of 29 February is 28 February in a common year: `add_years`, the one rule)."""
    if application_date is None:
        return None
    return add_years(application_date, term_years(patent_type, application_date)) - timedelta(days=1)


class Patent(db.Model):
    __tablename__ = "patent"
    __table_args__ = (
        CheckConstraint("app_no IS NOT NULL OR pub_no IS NOT NULL", name="has_number"),
        CheckConstraint("grant_date IS NULL OR app_date IS NULL OR grant_date >= app_date", name="grant_after_filing"),
        CheckConstraint("claims_count IS NULL OR claims_count >= 0", name="claims_count_positive"),
        Index("ix_patent_owner_status", "owner_id", "legal_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    app_no: Mapped[str | None] = mapped_column(String(20), unique=True)  # canonical: 201710601862.3
    pub_no: Mapped[str | None] = mapped_column(String(20), unique=True)  # CN116510786B
    patent_type: Mapped[PatentType] = mapped_column(StrEnumType(PatentType))
    title: Mapped[str] = mapped_column(String(500))
    abstract: Mapped[str] = mapped_column(Text, default="")
    first_claim: Mapped[str] = mapped_column(Text, default="")
    claims_count: Mapped[int | None]
    ipc_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # canonical, main first
    ipc_main: Mapped[str | None] = mapped_column(String(30), index=True)
    ipc_main_subclass: Mapped[str | None] = mapped_column(String(4), index=True)
    applicants: Mapped[str] = mapped_column(Text, default="")  # 申请人, "；"-separated
    inventors: Mapped[str] = mapped_column(Text, default="")
    app_date: Mapped[date | None] = mapped_column(Date)
    pub_date: Mapped[date | None] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)  # kept by an event below
    legal_status: Mapped[LegalStatus] = mapped_column(StrEnumType(LegalStatus), default=LegalStatus.granted)
    is_pct: Mapped[bool] = mapped_column(default=False)  # PCT or other foreign filing
    evaluation_report_no: Mapped[str] = mapped_column(String(60), default="")  # 专利权评价报告
    province: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # False while the owner's title rests on a claim an operator has not confirmed (patents/title.py):
    # such a patent cannot be listed, pledged or insured.
    title_confirmed: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    title_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # on what the title rests
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[Organization] = relationship()

    @property
    def number(self) -> str:
        """The number people quote: the application number, else the publication number."""
        return display_application_number(self.app_no) if self.app_no else (self.pub_no or "")

    @property
    def ipc_subclasses(self) -> list[str]:
        seen: list[str] = []
        for code in self.ipc_codes or []:
            subclass = parse_ipc(code).subclass
            if subclass not in seen:
                seen.append(subclass)
        return seen

    def is_in_force(self, today: date | None = None) -> bool:
        today = today or business_today()
        return self.legal_status.in_force and (self.expires_on is None or self.expires_on >= today)

    def days_left(self, today: date | None = None) -> int | None:
        if self.expires_on is None:
            return None
        return (self.expires_on - (today or business_today())).days

    # --- who may do what (asked by routes) ---------------------------------------------

    def is_owned_by(self, user) -> bool:
        return bool(user.is_authenticated and user.organization_id == self.owner_id)

    def can_edit(self, user) -> bool:
        """Any member of the owning organisation keeps its patents up to date."""
        return self.is_owned_by(user)

    def __repr__(self) -> str:
        return f"<Patent {self.id} {self.number}>"


@event.listens_for(Patent, "before_insert")
@event.listens_for(Patent, "before_update")
def _derive_columns(mapper, connection, patent: Patent) -> None:
    patent.expires_on = expiry_date(patent.patent_type, patent.app_date)
    codes = patent.ipc_codes or []
    patent.ipc_main = codes[0] if codes else None
    patent.ipc_main_subclass = parse_ipc(codes[0]).subclass if codes else None


class EncumbranceKind(enum.StrEnum):
    """What a concluded deal or a pledge puts on a patent."""

    exclusive_licence = "exclusive_licence"
    sole_licence = "sole_licence"
    pledge = "pledge"

    @property
    def label(self) -> str:
        return str({"exclusive_licence": _l("独占许可"), "sole_licence": _l("排他许可"), "pledge": _l("质押")}[self])


class Encumbrance(db.Model):
    """A right granted on a patent that limits what else may be offered on it.

    At most one active exclusive-or-sole licence and one active pledge per patent: the
    partial unique indexes say so in the schema."""

    __tablename__ = "encumbrance"
    __table_args__ = (
        Index("uq_encumbrance_exclusivity", "patent_id", unique=True,
              sqlite_where=text("released_at IS NULL AND kind IN ('exclusive_licence', 'sole_licence')"),
              postgresql_where=text("released_at IS NULL AND kind IN ('exclusive_licence', 'sole_licence')")),
        Index("uq_encumbrance_pledge", "patent_id", unique=True,
              sqlite_where=text("released_at IS NULL AND kind = 'pledge'"),
              postgresql_where=text("released_at IS NULL AND kind = 'pledge'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id"), index=True)
    kind: Mapped[EncumbranceKind] = mapped_column(StrEnumType(EncumbranceKind))
    holder_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))  # licensee or bank
    source: Mapped[str] = mapped_column(String(60), default="")  # e.g. "deal:12", "pledge:3"
    starts_on: Mapped[date] = mapped_column(Date, default=business_today)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    patent: Mapped[Patent] = relationship()
    holder: Mapped[Organization] = relationship()

    @classmethod
    def in_force(cls, today: date | None = None):
        """SQL condition: the encumbrance binds the patent on `today` (not released, and its end
        date, if it has one, not yet past). The one rule every check asks."""
        today = today or business_today()
        return and_(cls.released_at.is_(None), or_(cls.ends_on.is_(None), cls.ends_on >= today))

    def is_in_force(self, today: date | None = None) -> bool:
        today = today or business_today()
        return self.released_at is None and (self.ends_on is None or self.ends_on >= today)


def licence_term_end(term_end: date | None, patent: Patent) -> date | None:
    """A licence ends on its stated end date, and in any case when the patent expires."""
    ends = [day for day in (term_end, patent.expires_on) if day is not None]
    return min(ends) if ends else None


def release_ended_encumbrances(patent_ids=None, today: date | None = None) -> None:
    """Mark encumbrances past their end date released (on these patents, or all), so the
    schema's one-at-a-time indexes make room for the next licence or pledge."""
    today = today or business_today()
    query = db.select(Encumbrance).where(Encumbrance.released_at.is_(None), Encumbrance.ends_on < today)
    if patent_ids is not None:
        query = query.where(Encumbrance.patent_id.in_(list(patent_ids)))
    ended = db.session.scalars(query).all()
    for encumbrance in ended:
        encumbrance.released_at = utcnow()
    db.session.flush()


# Organisations that hold patents and so offer them; banks, insurers and the regulator do not.
HOLDER_KINDS = ("university", "institute", "enterprise", "agency")


def may_hold_patents(user) -> bool:
    return bool(user.is_authenticated and user.organization.kind.value in HOLDER_KINDS)
