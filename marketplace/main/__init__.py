"""The home page for first-time visitors and each user's dashboard."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import nav

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/home.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    from .panels import panels_for

    return render_template("main/dashboard.html", org=current_user.organization, panels=panels_for(current_user))


@bp.get("/healthz")
def healthz():
    from .health import health

    return health()


def init_app(app):
    nav.add(_l("工作台"), "main.dashboard", nav.signed_in, order=1)
