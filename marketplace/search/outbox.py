"""Writes "listing N changed" to the search outbox in the same transaction as the change.

One mechanism for every writer (operations, importer, demo, shell): a session `after_flush`
listener looks at what the flush wrote (listings, their patent lists, their patents, their
holders) and inserts outbox rows on the same connection."""

from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from ..accounts.models import Organization
from ..listings.models import Listing, ListingPatent
from ..patents.models import Patent
from .models import SearchOutbox

PENDING_KEY = "search_outbox_written"


def changed_listing_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    patent_ids: set[int] = set()
    owner_ids: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Listing):
            if obj.id is not None and (obj in session.new or obj in session.deleted or session.is_modified(obj)):
                ids.add(obj.id)
        elif isinstance(obj, ListingPatent):
            if obj.listing_id is not None:
                ids.add(obj.listing_id)
        elif isinstance(obj, Patent):
            if obj.id is not None and obj not in session.new and session.is_modified(obj):
                patent_ids.add(obj.id)
        elif isinstance(obj, Organization) and obj not in session.new and session.is_modified(obj):
            owner_ids.add(obj.id)
    connection = session.connection()
    if patent_ids:
        ids.update(connection.scalars(
            select(ListingPatent.listing_id).where(ListingPatent.patent_id.in_(patent_ids))))
    if owner_ids:
        ids.update(connection.scalars(select(Listing.id).where(Listing.owner_id.in_(owner_ids))))
    return ids


def _after_flush(session: Session, flush_context) -> None:
    ids = changed_listing_ids(session)
    if not ids:
        return
    session.connection().execute(insert(SearchOutbox), [{"listing_id": i} for i in sorted(ids)])
    session.info[PENDING_KEY] = True


COMMITTED_KEY = "search_outbox_committed"


def _after_commit(session: Session) -> None:
    if session.info.pop(PENDING_KEY, False):
        session.info[COMMITTED_KEY] = True  # for whoever runs the session (tests drain at once)
        if has_app_context():
            g.search_outbox_written = True  # the request queues the indexer when it ends


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(session))
