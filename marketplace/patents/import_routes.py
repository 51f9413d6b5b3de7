"""批量导入专利: upload a file, follow the background job, read and download its report.

Routes stay thin: the file checks live in import_reader, the import in importer, the job in import_jobs."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from ..errors import DomainError, NotVerified
from ..extensions import db
from ..forms import choices
from ..listings.models import LISTING_KIND_LABELS
from ..web import after_commit, submit
from .import_jobs import ImportJob, ImportStatus, start_job
from .import_reader import EXTENSIONS, TEMPLATE_HEADINGS, FileError, inspect_file
from .importer import PUBLISHABLE_KINDS
from .models import may_hold_patents

bp = Blueprint("patent_import", __name__)

MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around the file itself
REJECTED_PER_PAGE = 100
CHUNK = 1 << 20


class ImportForm(FlaskForm):
    file = FileField(_l("专利清单文件"), validators=[FileRequired(message=_l("请选择要上传的文件。"))],
                     description=_l("支持 .xlsx、.csv（UTF-8 或 GBK）和 .jsonl；请使用下方模板中的列名。"))
    publish = SelectField(
        _l("导入后同时发布为"),
        choices=choices([("", _l("只导入专利，不发布挂牌")),
                         *((k.value, LISTING_KIND_LABELS[k]) for k in PUBLISHABLE_KINDS)]),
        description=_l("每件专利一个挂牌，使用默认条件：开放许可按净销售额 3% 提成、期限至专利届满；"
                       "许可为普通许可、价格面议；转让价格面议。发布后可逐个修改。"))


def max_bytes() -> int:
    return int(current_app.config["IMPORT_MAX_BYTES"])


def load_job(job_id: int) -> ImportJob:
    """A job of another organisation is a 404: its existence is not disclosed."""
    job = db.get_or_404(ImportJob, job_id)
    if not job.can_view(current_user):
        abort(404)
    return job


def _too_large_message() -> str:
    return _("文件超过 %(mb)d MB 的上限：请拆分成几个文件分别导入。", mb=max_bytes() // (1024 * 1024))


def _store_upload(storage) -> tuple[Path, str]:
    """Save the upload under UPLOAD_DIR (size-capped), check its content; (path, format)."""
    filename = storage.filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        raise FileError(_("不支持扩展名为“%(ext)s”的文件：请上传 .csv、.xlsx 或 .jsonl 文件。", ext=suffix or _("（无）")))
    folder = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    size = 0
    try:
        with open(path, "wb") as out:
            while chunk := storage.stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes():
                    raise FileError(_too_large_message())
                out.write(chunk)
        if size == 0:
            raise FileError(_("文件是空的。"))
        return path, inspect_file(path, filename)
    except FileError:
        path.unlink(missing_ok=True)
        raise


def _render_start(form: ImportForm, status: int = 200):
    jobs = db.session.scalars(db.select(ImportJob).where(ImportJob.owner_id == current_user.organization_id)
                              .order_by(ImportJob.id.desc()).limit(10)).all()
    return render_template("patents/import.html", form=form, jobs=jobs,
                           max_mb=max_bytes() // (1024 * 1024)), status


@bp.route("/patents/import", methods=["GET", "POST"])
@login_required
def start():
    if not may_hold_patents(current_user):
        abort(403)  # banks, insurers and the regulator hold no patents: nothing to import or publish
    if request.method == "POST" and (request.content_length or 0) > max_bytes() + MULTIPART_SLACK:
        form = ImportForm(formdata=None)  # do not read an oversized body
        form.file.errors = [_too_large_message()]
        return _render_start(form, 413)
    form = ImportForm()

    def queue_job() -> ImportJob:
        kind = form.publish.data or None
        if kind and not current_user.can_act:
            raise NotVerified()
        try:
            path, file_format = _store_upload(form.file.data)
        except FileError as error:
            raise DomainError(error.message, field="file") from error
        job = ImportJob(owner_id=current_user.organization_id, user_id=current_user.id,
                        filename=(form.file.data.filename or path.name)[:255], stored_path=str(path),
                        file_format=file_format, publish_kind=kind)
        db.session.add(job)
        db.session.flush()
        return job

    outcome = submit(form, queue_job)
    if not outcome.done:
        return _render_start(form, outcome.status)
    job = outcome.result
    after_commit(lambda: start_job(job))  # the worker reads the job from its own session
    return redirect(url_for("patent_import.job", job_id=job.id))


@bp.get("/patents/import/<int:job_id>", endpoint="job")
@login_required
def job_page(job_id: int):
    job = load_job(job_id)
    report = job.report_object() if job.status == ImportStatus.done else None
    page = max(request.args.get("page", 1, type=int), 1)
    rejected = report.rejected if report else []
    pages = max((len(rejected) + REJECTED_PER_PAGE - 1) // REJECTED_PER_PAGE, 1)
    page = min(page, pages)
    shown = rejected[(page - 1) * REJECTED_PER_PAGE: page * REJECTED_PER_PAGE]
    return render_template("patents/import_job.html", job=job, report=report, rejected=shown,
                           rejected_total=len(rejected), page=page, pages=pages)


@bp.get("/patents/import/<int:job_id>/status")
@login_required
def status(job_id: int):
    return load_job(job_id).status_json()


@bp.get("/patents/import/<int:job_id>/report.csv")
@login_required
def report_csv(job_id: int):
    job = load_job(job_id)
    if job.status != ImportStatus.done:
        abort(404)
    buffer = io.StringIO()
    job.report_object().write_csv(buffer)
    return _download(buffer.getvalue().encode("utf-8-sig"), f"import-{job.id}-report.csv", "text/csv; charset=utf-8")


# --- templates to download ----------------------------------------------------------------

EXAMPLE_ROW = ("201710601862.3", "CN107423398B", "一种基于深度学习的图像识别方法", "发明",
               "本发明公开了一种基于深度学习的图像识别方法，……", "G06N3/08", "G06N3/08; G06V10/82",
               "示例大学", "张三；李四", "2017-07-21", "2017-11-24", "2020-06-05", "有效", "10", "", "否")


@bp.get("/patents/import/template.xlsx")
@login_required
def template_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("专利清单")
    sheet.append(list(TEMPLATE_HEADINGS))
    sheet.append(list(EXAMPLE_ROW))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.number_format = "@"  # text: Excel must not turn numbers and dates into something else
    for column, width in zip("ABCDEFGHIJKLMNOP", (18, 16, 36, 10, 40, 12, 22, 20, 16, 12, 12, 12, 10, 10, 16, 6),
                             strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _download(buffer.getvalue(), "patent-import-template.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/patents/import/template.csv")
@login_required
def template_csv():
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_HEADINGS)
    writer.writerow(EXAMPLE_ROW)
    return _download(buffer.getvalue().encode("utf-8-sig"), "patent-import-template.csv", "text/csv; charset=utf-8")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response
