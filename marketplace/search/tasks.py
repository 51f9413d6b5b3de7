"""Background indexing: the outbox applied to the index by the worker.

A request that changed a listing queues `search.index` when it ends; the worker's sweep
(tasks/worker.py) queues it within a second for every other writer (commands, imports, tasks)."""

from __future__ import annotations

from huey import crontab

from ..extensions import db
from ..tasks import periodic, task
from . import indexer

# Small batches: each is committed to the index on its own, so the first listings of a large
# import are searchable while the rest are still being tokenized.
BATCH = 100


@task("search.index", retries=3, retry_delay=2)
def index_outbox() -> int:
    """Drain the whole outbox into the index; send digests that the new listings make due."""
    from .alerts import send_due_digests

    handled, indexed, changed = 0, [], []
    while True:
        result = indexer.drain(BATCH, blocking=True)
        handled += result.rows
        indexed += result.indexed
        changed += result.indexed + result.removed
        if result.rows < BATCH:
            break
    if indexed:
        send_due_digests(listing_ids=indexed)
        db.session.commit()
    if changed:
        embed_listings.delay(changed)  # lexical search has them now; vectors follow
    return handled


@task("search.embed", retries=2, retry_delay=10)
def embed_listings(ids: list[int] | None = None) -> int:
    """Vectors for the listings that changed (all missing ones when `ids` is None)."""
    from .embeddings import embed_pending

    return embed_pending(ids)


@periodic("search.embed_sweep", crontab(minute="17"))
def embed_sweep() -> int:
    """Hourly: any listing still without a vector (a task lost with a restarted worker)."""
    from .embeddings import embed_pending

    return embed_pending(None)
