"""Figures from the patent registry on the site, which is the district's patents (SPEC §7).

The registry keeps each patent's current legal status, not the day it lapsed: a stock figure
for a past date counts patents granted by then, not yet expired then, and not since lapsed or
invalidated."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import func

from ..accounts.models import Organization, OrgKind
from ..extensions import db
from ..patents.models import LegalStatus, Patent, PatentType
from .periods import Period

# 职务发明 (service inventions) are made for an employer, which then applies. Applicant names
# say who applied: a name containing one of these words is an organisation; a name without
# any (e.g. 张三, 李四) is taken as a natural person. A patent is a service invention when at
# least one applicant is an organisation; with no applicant recorded, the owning organisation
# on the site stands as the applicant. Latin names count as organisations when they carry a
# company or institution marker.
ORGANISATION_WORDS = (
    "公司", "大学", "学院", "学校", "研究院", "研究所", "中心", "医院", "集团", "实验室", "协会",
    "学会", "基金会", "委员会", "银行", "事务所", "合作社", "合伙", "商行", "工作室", "部队", "企业", "高校",
)
PERSON_NAME_MAX = 6  # characters, for a Chinese name without ·
# Single characters that end an organisation's name (…机械厂, …农科所, …管理局), looked for only at
# the end, after a trailing bracket such as （深圳） is dropped, so that a person's name is not caught.
ORGANISATION_ENDINGS = ("厂", "局", "院", "所", "站", "馆", "社", "处", "司", "部")
TRAILING_BRACKET = re.compile(r"[（(][^（()）]*[)）]\s*$")
LATIN_ORGANISATION = re.compile(
    r"\b(co|corp|corporation|company|inc|ltd|llc|gmbh|ag|sa|bv|plc|university|institute|college|"
    r"hospital|laboratory|laboratories|foundation|centre|center|group)\b\.?", re.IGNORECASE)
APPLICANT_SEPARATORS = re.compile(r"[;；,，、\n]+")


def is_organisation_name(name: str) -> bool:
    name = name.strip()
    if not name:
        return False
    if LATIN_ORGANISATION.search(name):
        return True
    if any(word in name for word in ORGANISATION_WORDS) or any(c.isdigit() for c in name):
        return True
    if "·" not in name and "•" not in name and not name.isascii() and len(name) > PERSON_NAME_MAX:
        return True
    return TRAILING_BRACKET.sub("", name).endswith(ORGANISATION_ENDINGS)


def is_service_invention(applicants: str | None) -> bool:
    names = [n.strip() for n in APPLICANT_SEPARATORS.split(applicants or "") if n.strip()]
    if not names:
        return True  # the owner on the site is an organisation
    return any(is_organisation_name(n) for n in names)


def grants(period: Period) -> int:
    return db.session.scalar(db.select(func.count(Patent.id)).where(
        Patent.grant_date >= period.start, Patent.grant_date <= period.end)) or 0


def service_invention_share(period: Period) -> tuple[Decimal | None, int, int]:
    """(per cent, service inventions, grants) among patents granted in the period."""
    applicants = db.session.scalars(db.select(Patent.applicants).where(
        Patent.grant_date >= period.start, Patent.grant_date <= period.end)).all()
    if not applicants:
        return None, 0, 0
    service = sum(1 for a in applicants if is_service_invention(a))
    return (Decimal(100) * service / len(applicants)).quantize(Decimal("0.01")), service, len(applicants)


def enterprises_with_grants(period: Period, at_least: int = 3) -> int:
    """Enterprises (owner organisations of kind enterprise) with `at_least` patents granted in the period."""
    per_owner = (db.select(Patent.owner_id)
                 .join(Organization, Organization.id == Patent.owner_id)
                 .where(Organization.kind == OrgKind.enterprise,
                        Patent.grant_date >= period.start, Patent.grant_date <= period.end)
                 .group_by(Patent.owner_id).having(func.count(Patent.id) >= at_least)).subquery()
    return db.session.scalar(db.select(func.count()).select_from(per_owner)) or 0


def foreign_filings(period: Period) -> int:
    """PCT or other foreign filings (Patent.is_pct) filed in the period."""
    return db.session.scalar(db.select(func.count(Patent.id)).where(
        Patent.is_pct.is_(True), Patent.app_date >= period.start, Patent.app_date <= period.end)) or 0


def valid_inventions(on: date) -> int:
    """Invention patents in force on `on`."""
    return db.session.scalar(db.select(func.count(Patent.id)).where(
        Patent.patent_type == PatentType.invention, Patent.legal_status == LegalStatus.granted,
        Patent.grant_date <= on, (Patent.expires_on.is_(None)) | (Patent.expires_on >= on))) or 0


def per_ten_thousand(count: int, population: int | None) -> Decimal | None:
    if not population or population <= 0:
        return None
    return (Decimal(count) * Decimal(10000) / Decimal(population)).quantize(Decimal("0.01"))


def years() -> list[int]:
    first, last = db.session.execute(db.select(func.min(Patent.grant_date), func.max(Patent.grant_date))).one()
    return list(range(first.year, last.year + 1)) if first and last else []
