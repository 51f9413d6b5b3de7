"""The chained, append-only ledger of deal events."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

from . import models  # noqa: E402,F401


def init_app(app):
    from .commands import ledger_cli

    app.cli.add_command(ledger_cli)
