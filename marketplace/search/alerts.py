"""Daily digests: new listings matching a saved demand or saved search reach their owners once a day.

Each demand and saved search keeps a watermark (listings published after it are new to it) and
the time of its last digest. A digest is sent at most once per DIGEST_INTERVAL; while waiting, the
watermark stays, so the next digest includes everything published meanwhile."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..accounts.models import User
from ..demands.models import Demand, DemandStatus
from ..extensions import db
from ..listings.models import LIVE_STATUSES, Listing, ListingKind
from ..notify.operations import notify_user
from ..types import utcnow
from ..urls import external_url
from .models import SavedSearch

DIGEST_INTERVAL = timedelta(days=1)


def _new_listings(since: datetime, exclude_owner: int | None) -> dict[int, datetime]:
    query = select(Listing.id, Listing.published_at).where(
        Listing.status.in_(LIVE_STATUSES), Listing.kind != ListingKind.pledge, Listing.published_at > since)
    if exclude_owner is not None:
        query = query.where(Listing.owner_id != exclude_owner)
    return {listing_id: published for listing_id, published in db.session.execute(query)}


def send_due_digests(now: datetime | None = None, listing_ids=None) -> int:
    """Send every digest that is due; returns how many were sent. The caller commits."""
    from .matching import matches_for_demand
    from .params import SearchParams
    from .queries import search

    now = now or utcnow()
    due_before = now - DIGEST_INTERVAL
    sent = 0
    demands = db.session.scalars(select(Demand).where(
        Demand.status == DemandStatus.open,
        or_(Demand.last_notified_at.is_(None), Demand.last_notified_at <= due_before)))
    for demand in demands:
        if not demand.is_open:
            continue
        new = _new_listings(demand.watermark, demand.organization_id)
        if not new:
            continue
        owner = demand.created_by or next((u for u in demand.organization.users if u.active), None)
        matches = matches_for_demand(demand, owner, limit=10, only_ids=set(new)) if owner else []
        demand.watermark = max(new.values())
        if not matches:
            continue
        titles = "；".join(m.listing.title for m in matches[:3])
        text = _("您的技术需求“%(title)s”有 %(n)d 项新匹配的挂牌：%(titles)s",
                 title=demand.title[:40], n=len(matches), titles=titles)[:480]
        link = external_url("demands.detail", demand_id=demand.id)
        for user in demand.organization.users:
            if user.active:
                notify_user(user, text, link)
        demand.last_notified_at = now
        sent += 1
    saved = db.session.scalars(select(SavedSearch).where(
        or_(SavedSearch.last_notified_at.is_(None), SavedSearch.last_notified_at <= due_before)))
    for saved_search in saved:
        user: User = saved_search.user
        new = _new_listings(saved_search.watermark, user.organization_id)
        if not new or not user.active:
            continue
        params = SearchParams(q=saved_search.query, filters=dict(saved_search.filters or {}), per_page=10)
        hits = search(params, user, facets=False, only_ids=set(new)).hits
        saved_search.watermark = max(new.values())
        if not hits:
            continue
        text = _("保存的搜索“%(name)s”有 %(n)d 项新挂牌：%(titles)s", name=saved_search.name[:40],
                 n=len(hits), titles="；".join(h.title for h in hits[:3]))[:480]
        notify_user(user, text, external_url("search.page", **params.to_args()))
        saved_search.last_notified_at = now
        sent += 1
    db.session.flush()
    return sent
