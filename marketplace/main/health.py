"""GET /healthz: the database, the search index, the queue and the worker, each checked for real.

Each check answers {"ok": bool, ...details}; one that is not ok makes the whole answer 503, so a
load balancer or a monitor sees the site as down when search or background work silently stopped."""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import func, select, text

from ..extensions import db
from ..types import utcnow

HEARTBEAT_STALE_SECONDS = 180  # the worker writes one every minute
SEARCH_LAG_LIMIT_SECONDS = 120  # the worker applies the outbox within seconds


def _failure(error: Exception) -> dict:
    return {"ok": False, "error": f"{type(error).__name__}: {str(error)[:200]}"}


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        db.session.rollback()
        return _failure(error)


def check_search() -> dict:
    from whoosh import index as whoosh_index

    from ..search.index import get_index
    from ..search.models import SearchOutbox

    index = get_index()
    answer: dict = {"ok": False, "present": index.link.exists()}
    if not answer["present"]:
        return answer | {"error": "no index: run `flask search reindex`"}
    try:
        # Opened apart from the shared searcher: a deleted or damaged index must show here.
        with whoosh_index.open_dir(str(index.link.resolve(strict=True))).searcher() as searcher:
            answer["documents"] = searcher.doc_count()
        answer["readable"] = True
    except Exception as error:  # noqa: BLE001
        return answer | {"readable": False, "error": f"{type(error).__name__}: {str(error)[:200]}"}
    try:
        pending, oldest = db.session.execute(
            select(func.count(), func.min(SearchOutbox.created_at)).select_from(SearchOutbox)).one()
    except Exception as error:  # noqa: BLE001 - the database check reports it
        db.session.rollback()
        return answer | _failure(error)
    lag = (utcnow() - oldest).total_seconds() if oldest else 0.0
    answer |= {"outbox": pending, "lag_seconds": round(lag, 1), "ok": lag <= SEARCH_LAG_LIMIT_SECONDS}
    return answer


def check_queue() -> dict:
    from ..tasks import queue

    tasks = queue()
    try:
        return {"ok": True, "backend": type(tasks.huey).__name__, "pending": tasks.pending()}
    except Exception as error:  # noqa: BLE001
        return _failure(error)


def check_worker() -> dict:
    from ..tasks.housekeeping import last_heartbeat

    try:
        beat = last_heartbeat()
    except Exception as error:  # noqa: BLE001
        return _failure(error)
    if beat is None:
        return {"ok": False, "error": "no heartbeat: is `flask worker` running?"}
    age = time.time() - float(beat)
    return {"ok": age <= HEARTBEAT_STALE_SECONDS, "last_heartbeat_seconds_ago": round(age, 1)}


def health() -> tuple[dict, int]:
    checks = {"database": check_database(), "search": check_search(), "queue": check_queue(),
              "worker": check_worker()}
    ok = all(check["ok"] for check in checks.values())
    if not ok:
        current_app.logger.warning("healthz: %s", {k: v for k, v in checks.items() if not v["ok"]})
    return {"status": "ok" if ok else "down", "checks": checks}, 200 if ok else 503
