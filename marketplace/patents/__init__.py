"""The patent registry: numbers and IPC codes, patents, import."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("patents", __name__)

from . import demo, models, routes  # noqa: E402,F401


def init_app(app):
    nav.add(_l("我的专利"), "patents.mine", models.may_hold_patents, order=30)
