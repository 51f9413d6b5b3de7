"""Read-side questions about an organisation's patents: filters with counts, and their listings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_

from ..extensions import db
from ..listings.models import LIVE_STATUSES, Listing, ListingPatent
from .models import LegalStatus, Patent, PatentType


@dataclass
class PatentFilters:
    """What the holder picked on "我的专利"; empty means all."""

    patent_type: str = ""
    legal_status: str = ""
    listed: str = ""  # "yes" | "no" | ""
    q: str = ""
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> PatentFilters:
        patent_type = args.get("type", "")
        legal_status = args.get("status", "")
        listed = args.get("listed", "")
        return cls(
            patent_type=patent_type if patent_type in PatentType.__members__ else "",
            legal_status=legal_status if legal_status in LegalStatus.__members__ else "",
            listed=listed if listed in ("yes", "no") else "",
            q=(args.get("q", "") or "").strip()[:100],
        )


def _has_live_listing():
    return exists().where(ListingPatent.patent_id == Patent.id, ListingPatent.listing_id == Listing.id,
                          Listing.status.in_(LIVE_STATUSES))


def _conditions(owner_id: int, filters: PatentFilters, skip: str | None = None) -> list:
    conditions = [Patent.owner_id == owner_id]
    if filters.patent_type and skip != "type":
        conditions.append(Patent.patent_type == PatentType(filters.patent_type))
    if filters.legal_status and skip != "status":
        conditions.append(Patent.legal_status == LegalStatus(filters.legal_status))
    if filters.listed and skip != "listed":
        conditions.append(_has_live_listing() if filters.listed == "yes" else ~_has_live_listing())
    if filters.q:
        term = filters.q.upper().removeprefix("CN").replace(" ", "")
        like = f"%{filters.q}%"
        conditions.append(or_(Patent.title.ilike(like), Patent.app_no.like(f"%{term}%"),
                              Patent.pub_no.like(f"%{term}%")))
    return conditions


def owned_patents_query(owner_id: int, filters: PatentFilters):
    return (db.select(Patent).where(*_conditions(owner_id, filters))
            .order_by(Patent.app_date.desc().nulls_last(), Patent.id.desc()))


def facet_counts(owner_id: int, filters: PatentFilters) -> dict[str, dict[str, int]]:
    """Counts per filter value, each facet under the other facets' choices (so they add up)."""
    counts: dict[str, dict[str, int]] = {}
    for name, column in (("type", Patent.patent_type), ("status", Patent.legal_status)):
        rows = db.session.execute(db.select(column, func.count()).where(*_conditions(owner_id, filters, skip=name))
                                  .group_by(column)).all()
        counts[name] = {value.value: n for value, n in rows}
    listed = _has_live_listing()
    base = _conditions(owner_id, filters, skip="listed")
    yes = db.session.scalar(db.select(func.count()).select_from(Patent).where(*base, listed))
    total = db.session.scalar(db.select(func.count()).select_from(Patent).where(*base))
    counts["listed"] = {"yes": yes or 0, "no": (total or 0) - (yes or 0)}
    return counts


def listings_by_patent(patent_ids: list[int], *, live_only: bool = True) -> dict[int, list[Listing]]:
    if not patent_ids:
        return {}
    query = (db.select(ListingPatent.patent_id, Listing).join(Listing, Listing.id == ListingPatent.listing_id)
             .where(ListingPatent.patent_id.in_(patent_ids)).order_by(Listing.id.desc()))
    if live_only:
        query = query.where(Listing.status.in_(LIVE_STATUSES))
    result: dict[int, list[Listing]] = {}
    for patent_id, listing in db.session.execute(query).all():
        result.setdefault(patent_id, []).append(listing)
    return result


def is_publicly_listed(patent: Patent, user) -> bool:
    """A patent is public only through a listing this visitor may see (listings/visibility.py)."""
    from ..listings.visibility import visible_to

    return db.session.scalar(db.select(Listing.id).join(ListingPatent).where(
        ListingPatent.patent_id == patent.id, visible_to(user)).limit(1)) is not None
