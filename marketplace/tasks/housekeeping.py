"""The daily housekeeping as periodic tasks: the same functions the commands run.

Times are UTC (huey's clock): 17:xx UTC is 01:xx in Shanghai, after the business day changed."""

from __future__ import annotations

import time

from ..extensions import db
from . import crontab, periodic, queue

HEARTBEAT_KEY = "worker-heartbeat"


@periodic("housekeeping.expire_listings", crontab(hour="17", minute="5"))
def expire_listings() -> int:
    from ..listings.operations import expire_listings as expire

    expired = expire()
    db.session.commit()
    return len(expired)


@periodic("housekeeping.remind_deals", crontab(hour="17", minute="10"))
def remind_deals() -> int:
    from ..deals.recordation import send_reminders as send_recordation_reminders

    sent = send_recordation_reminders()
    db.session.commit()
    return len(sent)


@periodic("housekeeping.lapse_policies", crontab(hour="17", minute="15"))
def lapse_policies() -> int:
    from ..finance.insurance import lapse_policies as lapse

    lapsed = lapse()
    db.session.commit()
    return len(lapsed)


@periodic("housekeeping.search_notify", crontab(minute="20"))
def search_notify() -> int:
    """Hourly: each demand or saved search gets at most one digest a day (alerts.DIGEST_INTERVAL)."""
    from ..search.alerts import send_due_digests
    from ..search.indexer import drain_all

    drain_all(blocking=True)
    sent = send_due_digests()
    db.session.commit()
    return sent


@periodic("housekeeping.heartbeat", crontab(minute="*"))
def heartbeat() -> float:
    """Proof that the worker runs tasks: /healthz reports the time of the last one."""
    now = time.time()
    queue().huey.put(HEARTBEAT_KEY, now)
    return now


def last_heartbeat(app=None) -> float | None:
    return queue(app).huey.get(HEARTBEAT_KEY, peek=True)
