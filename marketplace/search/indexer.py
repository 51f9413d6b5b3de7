"""The indexer: drains the outbox into the index in batches, and rebuilds the index from scratch.

A drain takes the write lock first, then reads the outbox and the listings, commits the index, and
only then deletes the outbox rows it handled: a drainer killed at any point leaves its rows for the
next one, and re-indexing a listing twice is harmless (documents are replaced by id)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..listings.models import LIVE_STATUSES, Listing, ListingPatent
from .index import SearchIndex, get_index
from .models import SearchOutbox
from .schema import document

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
REBUILD_PROCS = 2  # a large rebuild tokenizes in two processes, each writing its own segment
PARALLEL_FROM = 2000  # below this many listings a second process costs more than it saves


@dataclass
class DrainResult:
    rows: int = 0
    indexed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    locked: bool = False  # another writer held the lock; nothing was done


def load_listings(ids: Iterable[int]) -> list[Listing]:
    return list(db.session.scalars(
        select(Listing).where(Listing.id.in_(list(ids)))
        .options(selectinload(Listing.items).selectinload(ListingPatent.patent), selectinload(Listing.owner))
    ))


def is_indexed(listing: Listing) -> bool:
    """Live listings are searchable; pledge listings too, with their kind as the flag queries mask."""
    return listing.status in LIVE_STATUSES


def drain(batch: int = DEFAULT_BATCH, *, blocking: bool = False, index: SearchIndex | None = None) -> DrainResult:
    """Index one batch of outbox rows. Non-blocking by default: if another writer is busy, do nothing."""
    index = index or get_index()
    with index.write_lock(blocking=blocking) as acquired:
        if not acquired:
            return DrainResult(locked=True)
        rows = db.session.execute(
            select(SearchOutbox.id, SearchOutbox.listing_id).order_by(SearchOutbox.id).limit(batch)
        ).all()
        if not rows:
            return DrainResult()
        listing_ids = sorted({listing_id for _row_id, listing_id in rows})
        listings = {listing.id: listing for listing in load_listings(listing_ids)}
        result = DrainResult(rows=len(rows))
        documents = []
        for listing_id in listing_ids:
            listing = listings.get(listing_id)
            if listing is not None and is_indexed(listing):
                documents.append(document(listing))
                result.indexed.append(listing_id)
            else:
                result.removed.append(listing_id)
        # End the read before the index work: no database lock is held while the index commits.
        db.session.commit()
        # The index commits first; the rows go only once the documents are safe.
        index.apply(documents, result.removed)
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _ in rows])))
        db.session.commit()
        return result


def drain_all(batch: int = DEFAULT_BATCH, *, blocking: bool = True, index: SearchIndex | None = None,
              changed: list[int] | None = None) -> int:
    """Drain until the outbox is empty (or another writer holds the lock); returns rows handled.
    `changed` collects the ids of the listings indexed or removed."""
    total = 0
    while True:
        result = drain(batch, blocking=blocking, index=index)
        total += result.rows
        if changed is not None:
            changed.extend(result.indexed + result.removed)
        if result.locked or result.rows < batch:
            return total


def pending() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


def reindex(chunk: int = 1000, index: SearchIndex | None = None, *, commit: bool = True) -> int:
    """Rebuild from the database into a fresh generation and swap it in; returns documents written.

    The write lock is held throughout, so no drain writes into the generation being replaced;
    outbox rows written meanwhile stay and are applied to the new generation afterwards."""
    index = index or get_index()
    with index.write_lock(blocking=True):
        high_water = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
        generation = index.new_generation()
        live = db.session.scalar(select(func.count()).select_from(Listing).where(Listing.status.in_(LIVE_STATUSES)))
        procs = REBUILD_PROCS if live >= PARALLEL_FROM else 1
        writer = index.writer(generation, procs=procs, multisegment=procs > 1)
        count = 0
        last_id = 0
        try:
            while True:
                ids = list(db.session.scalars(
                    select(Listing.id).where(Listing.id > last_id, Listing.status.in_(LIVE_STATUSES))
                    .order_by(Listing.id).limit(chunk)))
                if not ids:
                    break
                for listing in load_listings(ids):
                    writer.add_document(**document(listing))
                    count += 1
                last_id = ids[-1]
                if len(db.session.identity_map) > 20000:
                    db.session.expunge_all()  # keep memory flat on large rebuilds
        except BaseException:
            writer.cancel()
            raise
        writer.commit(optimize=True)
        index.swap_in(generation)
        # Everything up to the high-water mark is in the new generation.
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id <= high_water))
        if commit:
            db.session.commit()
        return count
