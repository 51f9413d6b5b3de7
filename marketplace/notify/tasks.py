"""Background mail: a flush queued after each request that wrote mail, and a sweep every minute
(for retries whose backoff has ended and mail written by commands)."""

from __future__ import annotations

from ..tasks import crontab, periodic, task
from . import sender


@task("mail.flush")
def flush_mail() -> int:
    return sender.flush().sent


@periodic("mail.sweep", crontab(minute="*"))
def sweep_mail() -> int:
    return sender.flush().sent
