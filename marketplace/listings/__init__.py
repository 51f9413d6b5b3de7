"""Listings (挂牌) of every kind, their terms, lifecycle and encumbrance rules."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("listings", __name__)

from . import demo, models, routes  # noqa: E402,F401


def init_app(app):
    from ..patents.models import may_hold_patents
    from .commands import listings_cli

    nav.add(_l("我的挂牌"), "listings.mine", may_hold_patents, order=31)
    app.cli.add_command(listings_cli)
