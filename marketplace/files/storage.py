"""Uploaded documents: type checked by content (magic bytes), size capped, stored under
UPLOAD_DIR (outside static/) with random names, and read back only through checked views."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..errors import DomainError
from ..extensions import db
from .models import StoredFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
SUBDIR = "documents"

# kind → (leading bytes, extension, content type)
SIGNATURES = {
    "pdf": (b"%PDF-", "pdf", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
}
DOCUMENT_KINDS = ("pdf", "jpeg", "png")
REPORT_KINDS = ("pdf",)


@dataclass
class CheckedUpload:
    """An upload read into memory and checked; nothing is on disk yet."""

    original_name: str
    kind: str
    content: bytes

    @property
    def extension(self) -> str:
        return SIGNATURES[self.kind][1]

    @property
    def content_type(self) -> str:
        return SIGNATURES[self.kind][2]


def max_bytes() -> int:
    return int(current_app.config.get("DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(content: bytes) -> str | None:
    for kind, (magic, _ext, _type) in SIGNATURES.items():
        if content.startswith(magic):
            return kind
    return None


def check_upload(upload: FileStorage, allowed=DOCUMENT_KINDS, field: str = "documents") -> CheckedUpload:
    """Read the file (at most the cap plus one byte) and decide its type from its content."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters (a newline, say) would break the Content-Disposition header on download.
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:255] or "upload"
    limit = max_bytes()
    content = upload.stream.read(limit + 1)
    if not content:
        raise DomainError(_("文件“%(name)s”是空的。", name=name), field=field)
    if len(content) > limit:
        raise DomainError(_("文件“%(name)s”超过 %(mb)d MB 的上限。", name=name, mb=limit // (1024 * 1024)),
                          field=field)
    kind = sniff(content)
    if kind not in allowed:
        wanted = "、".join(k.upper() for k in allowed)
        raise DomainError(_("文件“%(name)s”的内容不是 %(wanted)s 文件（按文件内容判断，而非扩展名）。",
                            name=name, wanted=wanted), field=field)
    return CheckedUpload(original_name=name, kind=kind, content=content)


def storage_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / SUBDIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(checked: CheckedUpload, user) -> StoredFile:
    """Write the checked bytes under a random name and record them."""
    stored_name = f"{secrets.token_hex(16)}.{checked.extension}"
    (storage_dir() / stored_name).write_bytes(checked.content)
    stored = StoredFile(stored_name=stored_name, original_name=checked.original_name,
                        content_type=checked.content_type, size=len(checked.content),
                        sha256=hashlib.sha256(checked.content).hexdigest(),
                        uploaded_by_id=getattr(user, "id", None))
    db.session.add(stored)
    return stored


def path_of(stored: StoredFile) -> Path:
    return storage_dir() / stored.stored_name


def send(stored: StoredFile):
    """The response for a file the caller has already decided this user may read."""
    import io

    from flask import abort, send_file

    path = path_of(stored)
    if not path.is_file():
        abort(404)
    # Read whole (files are capped at a few MB): no file handle outlives the request.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.original_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
