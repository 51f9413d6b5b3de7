"""Writes on the patent registry: add or update one patent from what a holder typed or imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ..dates import check_date
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from .models import LegalStatus, Patent, PatentType
from .numbers import (
    NumberError,
    canonical_application_number,
    canonical_ipc_list,
    canonical_publication_number,
    granted_from_publication_number,
    is_pct_national_phase,
    type_from_application_number,
    type_from_publication_number,
)


@dataclass
class PatentInput:
    """One patent as stated by a form or an import row (raw text, checked by `clean`)."""

    title: str = ""
    app_no: str = ""
    pub_no: str = ""
    patent_type: str = ""
    abstract: str = ""
    first_claim: str = ""
    claims_count: int | None = None
    ipc_codes: list[str] | str = field(default_factory=list)
    applicants: str = ""
    inventors: str = ""
    app_date: date | None = None
    pub_date: date | None = None
    grant_date: date | None = None
    legal_status: str = ""
    is_pct: bool = False
    evaluation_report_no: str = ""
    province: str = ""
    source: str = ""


@dataclass
class CleanPatent:
    values: dict


def clean(data: PatentInput) -> CleanPatent:
    """Validate and canonicalise; raise DomainError naming the field on the first problem."""
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("请填写专利名称。"), field="title")
    if len(title) > 500:
        raise DomainError(_("专利名称过长（最多 500 字）。"), field="title")
    app_no = pub_no = None
    try:
        if (data.app_no or "").strip():
            app_no = canonical_application_number(data.app_no)
    except NumberError as error:
        raise DomainError(str(error), field="app_no") from error
    try:
        if (data.pub_no or "").strip():
            pub_no = canonical_publication_number(data.pub_no)
    except NumberError as error:
        raise DomainError(str(error), field="pub_no") from error
    if not app_no and not pub_no:
        raise DomainError(_("请填写申请号（或公开/公告号）。"), field="app_no")
    try:
        ipc_codes = canonical_ipc_list(data.ipc_codes)
    except NumberError as error:
        raise DomainError(str(error), field="ipc_codes") from error

    type_text = (data.patent_type or "").strip()
    patent_type = _parse_type(type_text) if type_text else None
    if type_text and patent_type is None:
        raise DomainError(_("专利类型应为发明、实用新型或外观设计。"), field="patent_type")
    derived = (type_from_application_number(app_no) if app_no else None) or (
        type_from_publication_number(pub_no) if pub_no else None)
    if patent_type is None:
        patent_type = PatentType(derived) if derived else None
    elif derived and derived != patent_type.value:
        raise DomainError(_("专利类型与申请号不符：该申请号是%(type)s。", type=PatentType(derived).label), field="patent_type")
    if patent_type is None:
        raise DomainError(_("请选择专利类型。"), field="patent_type")

    for name, what in (("app_date", _("申请日")), ("pub_date", _("公开日")), ("grant_date", _("授权日"))):
        check_date(getattr(data, name), name, what)
    if data.grant_date and data.app_date and data.grant_date < data.app_date:
        raise DomainError(_("授权日不能早于申请日。"), field="grant_date")
    if data.pub_date and data.app_date and data.pub_date < data.app_date:
        raise DomainError(_("公开日不能早于申请日。"), field="pub_date")
    if data.claims_count is not None and not (0 <= int(data.claims_count) <= 1000):
        raise DomainError(_("权利要求项数应在 0–1000 之间。"), field="claims_count")

    status_text = (data.legal_status or "").strip()
    if status_text:
        legal_status = _parse_status(status_text)
        if legal_status is None:
            raise DomainError(_("法律状态应为审查中、有效、失效、届满或无效。"), field="legal_status")
    elif data.grant_date or (pub_no and granted_from_publication_number(pub_no)):
        legal_status = LegalStatus.granted
    else:
        legal_status = LegalStatus.pending
    return CleanPatent(values={
        "title": title, "app_no": app_no, "pub_no": pub_no, "patent_type": patent_type,
        "abstract": (data.abstract or "").strip(), "first_claim": (data.first_claim or "").strip(),
        "claims_count": data.claims_count, "ipc_codes": ipc_codes,
        "applicants": (data.applicants or "").strip(), "inventors": (data.inventors or "").strip(),
        "app_date": data.app_date, "pub_date": data.pub_date, "grant_date": data.grant_date,
        "legal_status": legal_status, "is_pct": bool(data.is_pct) or bool(app_no and is_pct_national_phase(app_no)),
        "evaluation_report_no": (data.evaluation_report_no or "").strip(),
        "province": (data.province or "").strip()[:40], "source": (data.source or "").strip()[:300],
    })


TYPE_WORDS = {"invention": PatentType.invention, "发明": PatentType.invention, "发明专利": PatentType.invention,
              "utility": PatentType.utility, "实用新型": PatentType.utility, "design": PatentType.design,
              "外观设计": PatentType.design, "外观": PatentType.design}
STATUS_WORDS = {"pending": LegalStatus.pending, "审查中": LegalStatus.pending, "在审": LegalStatus.pending,
                "granted": LegalStatus.granted, "有效": LegalStatus.granted, "授权": LegalStatus.granted,
                "lapsed": LegalStatus.lapsed, "失效": LegalStatus.lapsed, "expired": LegalStatus.expired,
                "届满": LegalStatus.expired, "invalidated": LegalStatus.invalidated, "无效": LegalStatus.invalidated}


def _parse_type(text: str) -> PatentType | None:
    return TYPE_WORDS.get(text.strip().lower())


def _parse_status(text: str) -> LegalStatus | None:
    return STATUS_WORDS.get(text.strip().lower())


def find_existing(values: dict) -> Patent | None:
    """The same patent already in the registry: by application number, else publication number."""
    if values["app_no"]:
        found = db.session.scalar(db.select(Patent).where(Patent.app_no == values["app_no"]))
        if found:
            return found
    if values["pub_no"]:
        return db.session.scalar(db.select(Patent).where(Patent.pub_no == values["pub_no"]))
    return None


class ClaimRecorded(DomainError):
    """The patent is registered to another organisation: the registration became an ownership
    claim for an operator to decide (409, with the claim to show)."""

    status_code = 409

    def __init__(self, message, claim):
        super().__init__(message)
        self.claim = claim


def save_patent(owner, data: PatentInput, patent: Patent | None = None, *, user=None,
                statement: str = "") -> tuple[Patent, bool]:
    """Add a patent from the form, or replace what the form states about `patent`.

    Returns (patent, changed). The importer merges instead (a sparser file never erases);
    here what the holder typed is the record, so a field left empty is cleared.
    A patent whose patentee is not `owner` is registered as an ownership claim (title.py)."""
    from . import title

    values = clean(data).values
    existing = find_existing(values)
    if existing is not None and (patent is None or existing.id != patent.id):
        if existing.owner_id != owner.id:
            claim = title.open_claim(existing, owner, user, statement=statement, source=_("专利登记表"))
            raise ClaimRecorded(_("专利 %(number)s 已由其他机构登记。已记录贵单位的权属申报（#%(id)d），"
                                  "平台核实证据后处理；请在申报页上传专利证书或著录项目变更通知书。",
                                  number=existing.number, id=claim.id), claim)
        raise DomainError(_("专利 %(number)s 已登记，请在“我的专利”中编辑它。", number=existing.number), field="app_no")
    if patent is None:
        confirmed = title.holds_title(owner, values["applicants"])
        patent = Patent(owner_id=owner.id, title_confirmed=confirmed, **values)
        db.session.add(patent)
        db.session.flush()
        if not confirmed:
            title.open_claim(patent, owner, user, statement=statement, source=_("专利登记表"))
        return patent, True
    if patent.owner_id != owner.id:
        raise PermissionDenied(_("只有专利权人可以修改专利信息。"))
    changed = False
    for name, value in values.items():
        if name in ("province", "source"):
            continue  # not on the form: kept from the import
        if getattr(patent, name) != value:
            setattr(patent, name, value)
            changed = True
    if changed:
        db.session.flush()
    if patent.title_confirmed and not title.holds_title(owner, patent.applicants):
        # The holder changed the patentee to another name: the title is a claim again. An edit
        # never confirms a title; only an operator does.
        patent.title_confirmed = False
        title.open_claim(patent, owner, user, statement=statement, source=_("专利信息修改"))
    return patent, changed


def load_owned_patents(owner_id: int, patent_ids, not_owned_message: str) -> list[Patent]:
    """The patents with these ids, in the order given, all owned by `owner_id`; one query.

    Raises DomainError on the field ``patent_ids`` when none is given, one is unknown, or one
    belongs to another organisation (`not_owned_message` says so in the caller's words)."""
    from .title import check_title

    ids = list(dict.fromkeys(int(i) for i in patent_ids))
    if not ids:
        raise DomainError(_("请至少选择一件专利。"), field="patent_ids")
    by_id = {p.id: p for p in db.session.scalars(db.select(Patent).where(Patent.id.in_(ids)))}
    for patent_id in ids:
        patent = by_id.get(patent_id)
        if patent is None or patent.owner_id != owner_id:
            raise DomainError(not_owned_message, field="patent_ids")
    patents = [by_id[i] for i in ids]
    check_title(patents)
    return patents
