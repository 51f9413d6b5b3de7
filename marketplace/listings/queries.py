"""Read-side queries for listing pages: the holder's listings, the public market, facet counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import OrgKind
from ..dates import business_today
from ..extensions import db
from ..patents.models import LegalStatus, Patent
from .models import (
    LIVE_STATUSES,
    Industry,
    Listing,
    ListingKind,
    ListingPatent,
    ListingStatus,
    pledge_listing_visible_to,
)


def _enum_arg(args, name: str, enum_cls) -> str:
    value = args.get(name, "")
    return value if value in enum_cls.__members__ else ""


def visible_kinds(user) -> list[ListingKind]:
    """Pledge listings are financing needs: only banks (and the operator) see them in the market."""
    sees_pledges = user.is_authenticated and (user.is_operator or user.organization.kind == OrgKind.bank)
    return [k for k in ListingKind if k != ListingKind.pledge or sees_pledges]


def _counts(query_conditions: list, column) -> dict[str, int]:
    rows = db.session.execute(db.select(column, func.count()).where(*query_conditions).group_by(column)).all()
    return {value.value: n for value, n in rows}


# What a row of a listing list shows: the holder and the patents, loaded with the page, not per row.
LIST_LOADS = (joinedload(Listing.owner), selectinload(Listing.items).joinedload(ListingPatent.patent))


def my_listings(owner_id: int, args):
    kind, status = _enum_arg(args, "kind", ListingKind), _enum_arg(args, "status", ListingStatus)
    base = [Listing.owner_id == owner_id]
    by_kind = [Listing.kind == ListingKind(kind)] if kind else []
    by_status = [Listing.status == ListingStatus(status)] if status else []
    query = (db.select(Listing).options(*LIST_LOADS).where(*base, *by_kind, *by_status)
             .order_by(Listing.updated_at.desc(), Listing.id.desc()))
    counts = {"kind": _counts(base + by_status, Listing.kind), "status": _counts(base + by_kind, Listing.status)}
    return query, {"kind": kind, "status": status}, counts


def market_listings(user, args):
    kinds = visible_kinds(user)
    kind = _enum_arg(args, "kind", ListingKind)
    if kind and ListingKind(kind) not in kinds:
        kind = ""
    industry = _enum_arg(args, "industry", Industry)
    base = [Listing.status.in_(LIVE_STATUSES), Listing.kind.in_(kinds)]
    if ListingKind.pledge in kinds and not user.is_operator:
        # A bank sees the pledge listings behind requests sent to it, not other banks' requests.
        base.append(or_(Listing.kind != ListingKind.pledge, pledge_listing_visible_to(user.organization_id)))
    by_kind = [Listing.kind == ListingKind(kind)] if kind else []
    by_industry = [Listing.industry == Industry(industry)] if industry else []
    query = (db.select(Listing).options(*LIST_LOADS).where(*base, *by_kind, *by_industry)
             .order_by(Listing.published_at.desc().nulls_last(), Listing.id.desc()))
    counts = {"kind": _counts(base + by_industry, Listing.kind), "industry": _counts(base + by_kind, Listing.industry)}
    return query, {"kind": kind, "industry": industry}, counts, kinds


def offerable_patents(owner_id: int, include_ids: list[int] = (), today: date | None = None) -> list[Patent]:
    """The organisation's patents still in force (plus any already chosen), for the multi-select."""
    today = today or business_today()
    in_force = (Patent.legal_status.in_([LegalStatus.pending, LegalStatus.granted])
                & (Patent.expires_on.is_(None) | (Patent.expires_on >= today)))
    condition = or_(in_force, Patent.id.in_(list(include_ids))) if include_ids else in_force
    return db.session.scalars(db.select(Patent).where(Patent.owner_id == owner_id, condition)
                              .order_by(Patent.app_date.desc().nulls_last(), Patent.id.desc())).all()
