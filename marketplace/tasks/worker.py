"""`flask --app marketplace worker`: the huey consumer, plus a sweep that queues work every second.

Huey checks periodic tasks once a minute; search must be fresh within seconds whoever wrote the
listing (a command, an import task, another process), so a small sweep thread looks at the search
outbox every SWEEP_SECONDS (half a second) and at due mail every MAIL_SWEEP_SECONDS and queues the task that
drains it. Queuing the same drain twice is harmless: the indexer takes a lock and handles rows once."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import queue

log = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5
MAIL_SWEEP_SECONDS = 5.0
POLL_MAX_DELAY = 0.25  # SQLite storage is polled: keep an idle worker's pick-up delay small


class Sweep(threading.Thread):
    def __init__(self, app: Flask, stop: threading.Event):
        super().__init__(name="sweep", daemon=True)
        self.app, self.stop = app, stop
        self.mail_due_at = 0.0

    def run(self) -> None:
        while not self.stop.wait(SWEEP_SECONDS):
            with self.app.app_context():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - a database hiccup must not end the sweep
                    log.exception("sweep failed")
                finally:
                    db.session.remove()

    def tick(self) -> None:
        from ..notify.sender import due_count
        from ..notify.tasks import flush_mail
        from ..search.indexer import pending
        from ..search.tasks import index_outbox

        if pending():
            index_outbox.delay()
        now = time.monotonic()
        if now >= self.mail_due_at:
            self.mail_due_at = now + MAIL_SWEEP_SECONDS
            if due_count():
                flush_mail.delay()


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Tasks run at the same time.")
@with_appcontext
def worker_command(threads: int) -> None:
    """Run the background worker: queued and periodic tasks (Ctrl-C stops it after running tasks)."""
    from ..patents.import_jobs import recover_jobs
    from .housekeeping import heartbeat

    app = current_app._get_current_object()
    tasks = queue(app)
    consumer = tasks.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                                          max_delay=POLL_MAX_DELAY)
    heartbeat()
    recover_jobs()  # jobs a stopped worker left behind resume now, not at the next minute
    db.session.remove()
    stop = threading.Event()
    sweep = Sweep(app, stop)
    sweep.start()
    click.echo(f"worker: {threads} thread(s), queue {type(tasks.huey).__name__} '{tasks.huey.name}'")
    try:
        consumer.run()
    finally:
        stop.set()
