"""Notifications: the mail outbox and the in-site inbox."""

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import nav
from ..extensions import db
from .models import Notification
from .operations import mark_all_read, unread_count

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


def init_app(app):
    nav.add(_l("消息"), "notify.inbox", nav.signed_in, order=10, section="user")

    @app.context_processor
    def inject_unread():
        if current_user.is_authenticated:
            return {"unread_notifications": unread_count(current_user)}
        return {"unread_notifications": 0}
