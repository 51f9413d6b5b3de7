"""Notifications: the mail outbox and the in-site inbox."""

from flask import Blueprint, current_app, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import nav
from ..extensions import db
from .models import Notification
from .operations import MAIL_WRITTEN_KEY, mark_all_read, unread_count

bp = Blueprint("notify", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def inbox():
    page = db.paginate(
        db.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30,
    )
    return render_template("notify/inbox.html", page=page)


@bp.post("/read")
@login_required
def read_all():
    mark_all_read(current_user)
    return redirect(url_for("notify.inbox"))


def queue_mail_after_request(response):
    """A request that committed mail queues a flush, so a reset link leaves within seconds."""
    if g.pop(MAIL_WRITTEN_KEY, False):
        from .tasks import flush_mail

        try:
            flush_mail.delay()
        except Exception:  # noqa: BLE001 - the mail stays in the outbox for the sweep
            current_app.logger.exception("mail: queueing a flush failed")
    return response


def init_app(app):
    from . import tasks  # noqa: F401 - declares the mail tasks
    from .commands import mail_cli

    app.cli.add_command(mail_cli)
    app.after_request(queue_mail_after_request)
    if app.config["ENV_NAME"] == "development":
        from .dev import bp as dev_bp

        app.register_blueprint(dev_bp)
    nav.add(_l("消息"), "notify.inbox", nav.signed_in, order=10, section="user")

    @app.context_processor
    def inject_unread():
        if current_user.is_authenticated:
            return {"unread_notifications": unread_count(current_user)}
        return {"unread_notifications": 0}
