"""The real worker process (`flask worker`, production configuration) on its own database: it runs
an import queued by the site, makes its listings searchable without another request, reports its
heartbeat to /healthz, and an import cut short by killing it is finished by the next worker with
every row imported once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.accounts.models import OrgKind
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.patents.import_jobs import LEASE, ImportJob, ImportStatus
from marketplace.patents.models import Patent
from marketplace.types import utcnow

from .conftest import SHARED_DATA, Factory, login, reset_database
from .conftest import test_config as config_for_tests
from .test_import_web import csv_rows, upload, upload_raw

ROOT = Path(__file__).resolve().parent.parent
REAL_HOLDER = "中山大学"


@pytest.fixture
def site(tmp_path_factory, monkeypatch):
    """The web side: queues tasks in SQLite under its instance directory (no immediate mode)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('worker') / 'site.db'}"
    app = create_app(config_for_tests(tmp_path_factory, url))
    reset_database(app)
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))  # real commits, seen by the worker
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Worker:
    def __init__(self, app, smtp_server):
        c = app.config
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), MARKETPLACE_ENV="production", SECRET_KEY="worker-test",
                        DATABASE_URL=c["SQLALCHEMY_DATABASE_URI"], INSTANCE_DIR=c["INSTANCE_DIR"],
                        SEARCH_INDEX_DIR=c["SEARCH_INDEX_DIR"], UPLOAD_DIR=c["UPLOAD_DIR"],
                        SITE_URL="https://ip.example.cn", MAIL_SERVER=smtp_server.host,
                        MAIL_PORT=str(smtp_server.port))
        self.env.pop("REDIS_URL", None)
        self.log = Path(c["INSTANCE_DIR"]) / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "marketplace", "worker"], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, signum, timeout: float = 60) -> int:
        os.killpg(self.process.pid, signum)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """Gracefully (running tasks finish), then at once, then killed."""
        for signum, timeout in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.process is None or self.process.poll() is not None:
                return
            try:
                self.signal(signum, timeout)
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def worker(site, smtp_server):
    worker = Worker(site, smtp_server)
    yield worker
    worker.stop()


def wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s; worker log:\n{log.read_text()[-3000:]}")


def job_state(site, job_id: int) -> ImportJob:
    with site.app_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge_all()
        db.session.remove()
        return job


def signed_in(site, name: str):
    """A member of the verified university `name` (a web import registers the rows naming it)."""
    client = site.test_client()
    with site.app_context():
        login(client, Factory().user(Factory().org(OrgKind.university, name=name)))
        db.session.remove()
    return client


def test_the_worker_runs_imports_indexes_them_and_beats(site, worker):
    client = signed_in(site, "闽江测试大学")
    response = upload(client, csv_rows(300, "闽江测试大学"), publish="licence")
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert job_state(site, job_id).status == ImportStatus.queued  # nothing runs it in the web process
    worker.start()
    wait_for(lambda: job_state(site, job_id).status.finished, 120, "the import finished", worker.log)
    job = job_state(site, job_id)
    assert job.status == ImportStatus.done and job.counts["published"] == 300, job.error
    assert not Path(job.stored_path).exists()
    # Searchable with no further request to the site: the worker indexed what the job published.
    wait_for(lambda: client.get("/api/v1/search?q=数据处理&kind=licence").get_json()["total"] == 300, 30,
             "all 300 listings searchable", worker.log)
    health = wait_for(lambda: client.get("/healthz").get_json(), 5, "healthz", worker.log)
    assert health["status"] == "ok" and health["checks"]["worker"]["ok"], health
    assert worker.signal(signal.SIGINT) == 0  # a graceful stop
    beat = client.get("/healthz").get_json()["checks"]["worker"]
    assert beat["ok"]  # still fresh: the heartbeat goes stale after three minutes (test_app covers 503)


@pytest.mark.skipif(not (SHARED_DATA / "patents.jsonl").exists(), reason="../shared/data/patents.jsonl is absent")
def test_killing_the_worker_mid_import_then_starting_it_again_imports_every_row_once(site, worker):
    # The university's own records from the real file (a web import registers the rows naming it).
    lines = [line for line in (SHARED_DATA / "patents.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["applicant"] == REAL_HOLDER]
    assert len(lines) > 500
    client = signed_in(site, REAL_HOLDER)
    response = upload_raw(client, ("\n".join(lines) + "\n").encode(), filename="real.jsonl", publish="licence")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    worker.start()
    wait_for(lambda: job_state(site, job_id).processed >= 500, 120, "a first batch committed", worker.log)
    worker.signal(signal.SIGKILL)
    killed = job_state(site, job_id)
    assert killed.status == ImportStatus.running and 500 <= killed.processed < len(lines)
    assert Path(killed.stored_path).exists()
    with site.app_context():  # the lease passes (two minutes in real life)
        db.session.execute(db.update(ImportJob).where(ImportJob.id == job_id)
                           .values(updated_at=utcnow() - LEASE - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    worker.start()  # picks the job up at once, after its last committed batch
    wait_for(lambda: job_state(site, job_id).status.finished, 180, "the resumed import finished", worker.log)
    job = job_state(site, job_id)
    assert job.status == ImportStatus.done and job.attempts == 2, job.error
    assert job.counts["total"] == len(lines)
    assert sorted(row[0] for row in job.report["rows"]) == list(range(1, len(lines) + 1))  # each row once
    with site.app_context():
        patents = db.session.scalar(db.select(db.func.count()).select_from(Patent))
        listings = db.session.scalar(db.select(db.func.count()).select_from(Listing))
        db.session.remove()
    assert patents == job.counts["imported"] and listings == job.counts["published"]
    assert job.counts["imported"] + job.counts["rejected"] + job.counts["updated"] + job.counts["unchanged"] == len(lines)
    assert not Path(job.stored_path).exists()
