"""Title to a patent (SPEC §3 "Who holds what"): an organisation holds a patent only when the
patentee (or the applicant, while pending) is that organisation, by normalised name or a
declared alias. Any other registration is an ownership claim that waits, with its evidence, for an
operator; until one confirms it the patent cannot be listed, pledged or insured.

This module is the one place that decides; the patent form, the web import, the command-line
import and `load_owned_patents` all ask it."""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..files.models import StoredFile
from ..types import StrEnumType, UTCDateTime, utcnow
from .models import Patent


class ClaimStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(CLAIM_STATUS_LABELS[self])


CLAIM_STATUS_LABELS = {ClaimStatus.pending: _l("待核实"), ClaimStatus.confirmed: _l("已确认"),
                       ClaimStatus.rejected: _l("已驳回"), ClaimStatus.withdrawn: _l("已撤回")}


class TitleBasis(enum.StrEnum):
    """Why an organisation holds a patent."""

    patentee = "patentee"  # its name (or alias) is the patentee's
    operator_vouched = "operator_vouched"  # the operator imported it for the organisation (CLI --owner)
    operator_confirmed = "operator_confirmed"  # an operator confirmed a claim on its evidence

    @property
    def label(self) -> str:
        return str({"patentee": _l("专利权人名称一致"), "operator_vouched": _l("运营方导入并担保"),
                    "operator_confirmed": _l("运营方核实确认")}[self])


class OwnershipClaim(db.Model):
    """An organisation says it holds a patent although the record names another patentee
    (e.g. after a transfer the record does not show yet). One pending claim per organisation
    and patent."""

    __tablename__ = "ownership_claim"
    __table_args__ = (
        Index("uq_ownership_claim_pending", "patent_id", "org_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patent.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(StrEnumType(ClaimStatus), default=ClaimStatus.pending, index=True)
    statement: Mapped[str] = mapped_column(Text, default="")  # the claimant's explanation
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    patentees: Mapped[str] = mapped_column(Text, default="")  # what the record said when claimed
    source: Mapped[str] = mapped_column(String(300), default="")  # form, web import job, file
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")  # the operator's reason

    patent: Mapped[Patent] = relationship()
    org: Mapped[Organization] = relationship()
    evidence: Mapped[StoredFile | None] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def can_view(self, user) -> bool:
        return bool(user.is_authenticated and (user.is_operator or user.organization_id == self.org_id))


# --- names ------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[；;、,，\n]+")
_NOISE = re.compile(r"[\s\u3000·・.。()（）\[\]【】\"'“”‘’《》<>-]")


def normalise_name(name: str) -> str:
    """A name as compared: full-width folded to half-width, spaces, brackets and dots dropped,
    Latin letters lower-cased. 中国科学院福建物质结构研究所 == 中国科学院 福建物质结构研究所."""
    folded = unicodedata.normalize("NFKC", name or "").lower()
    return _NOISE.sub("", folded)


def patentee_names(applicants: str) -> list[str]:
    """The patentees (or applicants) a record names, in order."""
    return [n.strip() for n in _SEPARATORS.split(applicants or "") if n.strip()]


def names_of(org: Organization) -> set[str]:
    return {normalise_name(n) for n in [org.name, *(org.aliases or "").splitlines()] if normalise_name(n)}


def holds_title(org: Organization, applicants: str) -> bool:
    """Whether the record's patentees include `org`, by its name or a declared alias."""
    mine = names_of(org)
    return any(normalise_name(name) in mine for name in patentee_names(applicants))


def guess_kind(name: str):
    """The organisation kind a patentee's name suggests, or None for a natural person's name."""
    from ..accounts.models import OrgKind
    from ..indicators.registry_figures import is_organisation_name

    if not is_organisation_name(name):
        return None
    if any(word in name for word in ("大学", "学院", "学校")):
        return OrgKind.university
    if any(word in name for word in ("研究院", "研究所", "科学院", "研究中心", "实验室")):
        return OrgKind.institute
    return OrgKind.enterprise


class RegistryOwners:
    """For `import-patents --by-applicant`: the organisation each patentee names, found by
    normalised name or alias, else created pending (no USCC until it registers here)."""

    def __init__(self):
        self.by_name: dict[str, int] = {}
        for org in db.session.scalars(db.select(Organization)):
            if org.holds_patents:  # only these kinds hold patents (OrgKind.holds_patents)
                for name in names_of(org):
                    self.by_name.setdefault(name, org.id)
        self.created: list[str] = []

    def owner_for(self, applicants: str) -> int:
        """The first patentee that is an organisation; DomainError when every one is a person."""
        names = patentee_names(applicants)
        for name in names:
            key = normalise_name(name)
            if key in self.by_name:
                return self.by_name[key]
        for name in names:
            kind = guess_kind(name)
            if kind is None:
                continue
            org = Organization(name=name[:200], kind=kind, uscc=None,
                               description=_("由专利登记导入创建（专利权人），待该单位注册认领。"))
            db.session.add(org)
            db.session.flush()
            self.by_name[normalise_name(name)] = org.id
            self.created.append(name)
            return org.id
        if not names:
            raise DomainError(_("没有专利权人（申请人），无法按专利权人登记。"), field="applicants")
        raise DomainError(_("专利权人为个人（%(names)s），不登记到机构名下。", names="、".join(names)),
                          field="applicants")


# --- claims and decisions -----------------------------------------------------------------

def open_claim(patent: Patent, org: Organization, user=None, *, statement: str = "", source: str = "",
               evidence: StoredFile | None = None) -> OwnershipClaim:
    """Record that `org` claims `patent`; the claim already pending is returned as it is."""
    existing = db.session.scalar(db.select(OwnershipClaim).where(
        OwnershipClaim.patent_id == patent.id, OwnershipClaim.org_id == org.id,
        OwnershipClaim.status == ClaimStatus.pending))
    if existing is not None:
        return existing
    claim = OwnershipClaim(patent_id=patent.id, org_id=org.id, statement=(statement or "").strip()[:2000],
                           patentees=patent.applicants or "", source=source[:300], evidence=evidence,
                           claimed_by_id=getattr(user, "id", None))
    db.session.add(claim)
    db.session.flush()
    return claim


def pending_claims():
    return db.select(OwnershipClaim).where(OwnershipClaim.status == ClaimStatus.pending)


def rivals(claim: OwnershipClaim) -> list[OwnershipClaim]:
    """Other pending claims on the same patent: the conflict the operator must settle."""
    return list(db.session.scalars(pending_claims().where(
        OwnershipClaim.patent_id == claim.patent_id, OwnershipClaim.id != claim.id)))


def _require_operator(user) -> None:
    if not (getattr(user, "is_authenticated", False) and user.is_operator):
        raise PermissionDenied(_("只有平台运营人员可以核实专利权属。"))


def _lock_pending(claim: OwnershipClaim) -> OwnershipClaim:
    """Re-read the claim under a lock: two operators deciding at once decide once."""
    fresh = db.session.scalar(db.select(OwnershipClaim).where(OwnershipClaim.id == claim.id)
                              .with_for_update().execution_options(populate_existing=True))
    if fresh is None or fresh.status != ClaimStatus.pending:
        raise DomainError(_("该权属申报已经处理过了。"))
    return fresh


def confirm_claim(claim: OwnershipClaim, user, reason: str = "") -> OwnershipClaim:
    """The operator accepts the evidence: the claimant becomes the owner with a confirmed title;
    every other pending claim on the patent is rejected with the same reason."""
    _require_operator(user)
    claim = _lock_pending(claim)
    patent = db.session.get(Patent, claim.patent_id, with_for_update=True)
    now = utcnow()
    claim.status, claim.decided_by_id, claim.decided_at = ClaimStatus.confirmed, user.id, now
    claim.reason = (reason or "").strip()[:2000]
    if patent.owner_id != claim.org_id:
        from ..listings.models import LIVE_STATUSES, Listing, ListingPatent

        live = db.session.scalar(db.select(Listing.id).join(ListingPatent).where(
            ListingPatent.patent_id == patent.id, Listing.status.in_(LIVE_STATUSES)).limit(1))
        if live is not None:
            raise DomainError(_("该专利仍有现任持有人的在架挂牌（#%(id)d），请先下架后再确认权属。", id=live))
        patent.owner_id = claim.org_id
    patent.title_confirmed = True
    for other in rivals(claim):
        other.status, other.decided_by_id, other.decided_at = ClaimStatus.rejected, user.id, now
        other.reason = _("已确认 %(org)s 的权属申报。", org=claim.org.name)
    db.session.flush()
    return claim


def reject_claim(claim: OwnershipClaim, user, reason: str) -> OwnershipClaim:
    _require_operator(user)
    if not (reason or "").strip():
        raise DomainError(_("请写明驳回理由，申报机构会看到它。"), field="reason")
    claim = _lock_pending(claim)
    claim.status, claim.decided_by_id, claim.decided_at = ClaimStatus.rejected, user.id, utcnow()
    claim.reason = reason.strip()[:2000]
    db.session.flush()
    return claim


def check_title(patents) -> None:
    """Refuse to list, pledge or insure a patent whose title an operator has not confirmed."""
    for patent in patents:
        if not patent.title_confirmed:
            raise DomainError(_("专利 %(number)s 的权属尚待平台核实（登记的专利权人为：%(names)s），核实前不能挂牌、质押或投保。",
                                number=patent.number, names=patent.applicants or _("未填写")), field="patent_ids")
