"""/dev/mail: the outbox as a page, for development only (the blueprint is registered only when
MARKETPLACE_ENV is development, so production and tests have no such route)."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..extensions import db
from .models import OutboxMail

bp = Blueprint("devmail", __name__, url_prefix="/dev")


@bp.get("/mail")
def outbox():
    mails = db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id.desc()).limit(100)).all()
    return render_template("notify/dev_mail.html", mails=mails)
