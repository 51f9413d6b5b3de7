"""The chained, append-only ledger of deal events."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from .. import nav
    from .commands import ledger_cli

    app.cli.add_command(ledger_cli)
    app.jinja_env.globals["ledger_kind_label"] = routes.kind_label
    nav.add(_l("台账"), "ledger.index", nav.operator, order=85, section="admin")
