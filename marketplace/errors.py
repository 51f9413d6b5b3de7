"""Domain errors and the HTTP error pages: JSON under /api/, HTML elsewhere."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db


class DomainError(Exception):
    """A business rule refused an operation; the message is shown to the user."""

    status_code = 409

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """Someone else changed the thing first (two clicks at once, agree against cancel): nothing
    was written, and the page should be reloaded to show what happened."""

    status_code = 409


class PermissionDenied(DomainError):
    status_code = 403


class NotVerified(PermissionDenied):
    """The user's organisation is not verified: it may draft but not act."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _("您的机构尚未通过平台审核：可以填写草稿，但发布、接受、审批等操作需在审核通过后进行。")
        )


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(status: int, title: str, message: str):
    if wants_json():
        return jsonify({"error": {"status": status, "title": title, "message": message}}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


TITLES = {
    400: ("请求有误", "请求无法处理，请检查输入后重试。"),
    403: ("无权访问", "您没有执行此操作的权限。"),
    404: ("页面不存在", "您要找的页面不存在或已被移除。"),
    405: ("方法不允许", "该地址不接受此类请求。"),
    409: ("无法完成操作", "该操作与当前状态冲突，请刷新页面后查看最新状态。"),
    413: ("文件过大", "上传的内容超过了大小限制。"),
    429: ("请求过于频繁", "请稍后再试。"),
    500: ("服务器错误", "服务器出现意外错误，我们已记录此问题。请稍后再试。"),
}


def register_errorhandlers(app) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        title, message = TITLES.get(error.code, (error.name, error.description))
        if error.code == 500:
            db.session.rollback()
        return _error_response(error.code or 500, _(title), _(message))

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        return _error_response(
            400, _("表单已失效"), _("安全校验失败（CSRF）。请刷新页面后重新提交。")
        )

    @app.errorhandler(DomainError)
    def handle_domain(error: DomainError):
        # The request already rolled back (marketplace.web): a refusal leaves nothing behind.
        title = _("无权操作") if error.status_code == 403 else _("无法完成操作")
        return _error_response(error.status_code, title, error.message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        title, message = TITLES[500]
        return _error_response(500, _(title), _(message))
