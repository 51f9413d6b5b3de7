"""Import jobs: an uploaded file imported in the background while the browser polls its progress."""

from __future__ import annotations

import enum
import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..errors import DomainError
from ..extensions import db
from ..types import StrEnumType, UTCDateTime, utcnow
from .import_reader import read_file

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)  # a running job silent this long died with its process


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
        return not self.status.finished and utcnow() - self.updated_at > STALE_AFTER

    def report_object(self):
        from .importer import ImportReport  # importer needs listings, which need this package

        return ImportReport.from_json(self.report)

    def status_json(self) -> dict:
        return {"id": self.id, "status": self.status.value, "status_label": self.status.label,
                "finished": self.status.finished, "processed": self.processed, "total": self.total,
                "percent": self.percent, "counts": self.counts or {}, "error": self.error,
                "stale": self.is_stale}


def run_job(job_id: int) -> None:
    """Read the stored file and import it; the job row records progress and the outcome."""
    from .importer import import_patents

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != ImportStatus.queued:
        return
    job.status = ImportStatus.running
    db.session.commit()
    try:
        parsed = read_file(Path(job.stored_path), job.filename)
        job.total, job.file_format = len(parsed.rows), parsed.format
        db.session.commit()

        def progress(processed: int, total: int) -> None:
            job.processed, job.total = processed, total  # committed with the batch

        report = import_patents(job.owner, parsed.rows, job.publish_kind, progress=progress, user=job.user)
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
    finally:
        # The report is kept in the database; the uploaded file is not needed any more.
        Path(job.stored_path).unlink(missing_ok=True)


def _finish(job: ImportJob, status: ImportStatus, *, error: str = "", counts: dict | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, utcnow()
    if counts is not None:
        job.counts, job.processed = counts, counts.get("total", job.processed)
    db.session.commit()


def start_job(job: ImportJob) -> threading.Thread | None:
    """Run the job in a thread with its own app context and session (inline when configured)."""
    app = current_app._get_current_object()
    if app.config.get("IMPORT_RUN_INLINE"):
        run_job(job.id)
        return None
    thread = threading.Thread(target=_run_in_thread, args=(app, job.id), name=f"import-job-{job.id}", daemon=True)
    thread.start()
    return thread


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()
