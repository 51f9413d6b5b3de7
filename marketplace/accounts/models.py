"""Organisations, their users, invitations and login throttling."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..types import StrEnumType, UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    university = "university"
    institute = "institute"
    enterprise = "enterprise"
    bank = "bank"
    insurer = "insurer"
    agency = "agency"
    regulator = "regulator"

    @property
    def label(self) -> str:
        return str(ORG_KIND_LABELS[self])

    @property
    def holds_patents(self) -> bool:
        """SPEC §3 "Who holds what": this kind owns patents and may be a party to a deal on them
        (licensee, assignee, equity partner, insured holder, pledgor)."""
        return self in PATENT_HOLDER_KINDS


# The one list of kinds that hold patents; banks, insurers, agencies and the regulator never do.
PATENT_HOLDER_KINDS = (OrgKind.university, OrgKind.institute, OrgKind.enterprise)

ORG_KIND_LABELS = {
    OrgKind.university: _l("高校"),
    OrgKind.institute: _l("科研院所"),
    OrgKind.enterprise: _l("企业"),
    OrgKind.bank: _l("银行"),
    OrgKind.insurer: _l("保险机构"),
    OrgKind.agency: _l("服务机构"),
    OrgKind.regulator: _l("监管部门"),
}


class OrgStatus(enum.StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"

    @property
    def label(self) -> str:
        return str({"pending": _l("待审核"), "verified": _l("已认证"), "rejected": _l("未通过")}[self])


class OrgRole(enum.StrEnum):
    member = "member"
    admin = "admin"

    @property
    def label(self) -> str:
        return str({"member": _l("成员"), "admin": _l("管理员")}[self])


class SiteRole(enum.StrEnum):
    user = "user"
    operator = "operator"


class Organization(db.Model):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint("is_sme = false OR kind = 'enterprise'", name="sme_is_enterprise"),
        CheckConstraint("length(uscc) = 18", name="uscc_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(StrEnumType(OrgKind))
    is_sme: Mapped[bool] = mapped_column(default=False)
    # None only for an organisation the registry named as a patentee before it registered here
    # (`import-patents --by-applicant`); it stays pending until it registers with its USCC.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Other names the organisation's patents may carry as patentee (former names, English names),
    # one per line; the title rule compares patentees with the name and these.
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OrgStatus] = mapped_column(StrEnumType(OrgStatus), default=OrgStatus.pending, index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(
        back_populates="organization", foreign_keys="User.organization_id", order_by="User.id"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == OrgStatus.verified

    @property
    def holds_patents(self) -> bool:
        return self.kind.holds_patents

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r} {self.kind.value}>"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    org_role: Mapped[OrgRole] = mapped_column(StrEnumType(OrgRole), default=OrgRole.member)
    site_role: Mapped[SiteRole] = mapped_column(StrEnumType(SiteRole), default=SiteRole.user)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship(
        back_populates="users", foreign_keys=[organization_id]
    )

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard KDF; tests may choose a cheaper method.
        from flask import current_app

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.password_changed_at = utcnow()

    def get_id(self) -> str:
        """The session identifier: id plus a marker of the password hash, so changing or
        resetting the password ends every other session and remember-me cookie."""
        import hashlib

        marker = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}.{marker}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def is_operator(self) -> bool:
        return self.site_role == SiteRole.operator

    @property
    def is_org_admin(self) -> bool:
        return self.org_role == OrgRole.admin

    @property
    def can_act(self) -> bool:
        """Publish, accept, approve: only users of verified organisations (or operators)."""
        return self.is_operator or self.organization.is_verified

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Invitation(db.Model):
    """A link an organisation's admin sends so a colleague can join the organisation."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    org_role: Mapped[OrgRole] = mapped_column(StrEnumType(OrgRole), default=OrgRole.member)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class LoginThrottle(db.Model):
    """Failed sign-ins counted per key ("email:…" or "ip:…") within a window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


def organisation_counts() -> dict[OrgStatus, int]:
    rows = db.session.execute(
        db.select(Organization.status, func.count()).group_by(Organization.status)
    ).all()
    return {status: count for status, count in rows}
