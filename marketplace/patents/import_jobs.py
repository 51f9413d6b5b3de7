"""Import jobs: an uploaded file imported in the background while the browser polls its progress."""

from __future__ import annotations

import enum
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, and_, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..errors import DomainError
from ..extensions import db
from ..tasks import crontab, periodic, task
from ..types import StrEnumType, UTCDateTime, utcnow
from .import_reader import read_file

log = logging.getLogger(__name__)



class ImportStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"

    @property
    def label(self) -> str:
        return str({"queued": _l("排队中"), "running": _l("导入中"), "done": _l("已完成"), "failed": _l("失败")}[self])

    @property
    def finished(self) -> bool:
        return self in (ImportStatus.done, ImportStatus.failed)


class ImportJob(db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display
    stored_path: Mapped[str] = mapped_column(String(500))  # under UPLOAD_DIR
    file_format: Mapped[str] = mapped_column(String(10), default="")
    publish_kind: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[ImportStatus] = mapped_column(StrEnumType(ImportStatus), default=ImportStatus.queued)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    report: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # runs started (resumes count)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[Organization] = relationship()
    user: Mapped[User | None] = relationship()

    def can_view(self, user) -> bool:
        """Only members of the importing organisation see a job (and its report)."""
        return user.is_authenticated and user.organization_id == self.owner_id

    @property
    def publish_kind_label(self) -> str:
        from ..listings.models import ListingKind

        return ListingKind(self.publish_kind).label if self.publish_kind else ""

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.done:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def is_stale(self) -> bool:
        """Silent past its lease: its worker stopped; the worker resumes it (or it fails)."""
        return not self.status.finished and utcnow() - self.updated_at > LEASE

    def report_object(self):
        from .importer import ImportReport  # importer needs listings, which need this package

        return ImportReport.from_json(self.report)

    def status_json(self) -> dict:
        return {"id": self.id, "status": self.status.value, "status_label": self.status.label,
                "finished": self.status.finished, "processed": self.processed, "total": self.total,
                "percent": self.percent, "counts": self.counts or {}, "error": self.error,
                "stale": self.is_stale}


LEASE = timedelta(minutes=2)  # a running job is its worker's while it commits at least this often
MAX_ATTEMPTS = 3  # runs started (the first and its resumes) before a job is given up as failed


def _claim(job_id: int) -> bool:
    """Take the job: queued, or running but silent past the lease (its worker died). One UPDATE,
    so of two workers only one gets it."""
    now = utcnow()
    claimed = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id,
               or_(ImportJob.status == ImportStatus.queued,
                   and_(ImportJob.status == ImportStatus.running, ImportJob.updated_at < now - LEASE)))
        .values(status=ImportStatus.running, attempts=ImportJob.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return claimed.rowcount == 1


@task("imports.run")
def run_job(job_id: int) -> None:
    """Read the stored file and import it; the job row records progress, the report so far and the
    outcome. A job interrupted earlier goes on after the rows its last committed batch covered."""
    from .importer import ImportReport, import_patents

    if not _claim(job_id):
        return
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    if job.attempts > MAX_ATTEMPTS:
        _finish(job, ImportStatus.failed, error=_("导入多次被中断（后台任务停止），已导入的批次已保存。请重新上传剩余部分或联系平台。"))
        return
    try:
        parsed = read_file(Path(job.stored_path), job.filename)
        job.total, job.file_format = len(parsed.rows), parsed.format
        db.session.commit()

        def progress(processed: int, total: int) -> None:
            job.processed, job.total = processed, total  # committed with the batch

        def save(partial: ImportReport) -> None:
            job.report = partial.to_json()  # committed with the batch it describes
            job.updated_at = utcnow()

        resume = ImportReport.from_json(job.report) if job.report else None
        report = import_patents(job.owner, parsed.rows, job.publish_kind, progress=progress, user=job.user,
                                resume=resume, on_batch=save)
    except DomainError as error:  # the file as a whole, or publishing refused
        db.session.rollback()
        _finish(job, ImportStatus.failed, error=error.message)
    except Exception:
        db.session.rollback()
        log.exception("import job %s failed", job_id)
        _finish(job, ImportStatus.failed, error=_("导入时发生意外错误，已导入的批次已保存。请稍后重试或联系平台。"))
    else:
        job.report = report.to_json()
        _finish(job, ImportStatus.done, counts=report.counts)


def _finish(job: ImportJob, status: ImportStatus, *, error: str = "", counts: dict | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, utcnow()
    if counts is not None:
        job.counts, job.processed = counts, counts.get("total", job.processed)
    db.session.commit()
    # The report is kept in the database; the uploaded file is not needed any more.
    Path(job.stored_path).unlink(missing_ok=True)


def start_job(job: ImportJob) -> None:
    """Queue the job for the worker (the caller has committed it)."""
    run_job.delay(job.id)


@periodic("imports.recover", crontab(minute="*"))
def recover_jobs() -> int:
    """Jobs whose worker stopped (running, silent past the lease) or whose queue entry was lost
    (queued that long) are queued again: each resumes after its last committed batch, or ends
    failed once it has been interrupted MAX_ATTEMPTS times."""
    cutoff = utcnow() - LEASE
    ids = list(db.session.scalars(select(ImportJob.id).where(
        ImportJob.status.in_([ImportStatus.queued, ImportStatus.running]), ImportJob.updated_at < cutoff)))
    for job_id in ids:
        log.warning("import job %s: its worker stopped; queued again", job_id)
        run_job.delay(job_id)
    return len(ids)


@periodic("imports.clean_uploads", crontab(minute="40"))
def clean_uploads(older_than: timedelta = timedelta(hours=1)) -> int:
    """Remove uploaded files that no unfinished job needs (left by a crash between the upload and
    its job's commit, or by a job that ended while its worker was killed)."""
    folder = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    if not folder.is_dir():
        return 0
    needed = set(db.session.scalars(select(ImportJob.stored_path).where(
        ImportJob.status.in_([ImportStatus.queued, ImportStatus.running]))))
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and str(path) not in needed and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
