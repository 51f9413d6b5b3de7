"""Listings (挂牌) of every kind, their terms, lifecycle and encumbrance rules."""

from flask import Blueprint

bp = Blueprint("listings", __name__)

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from .commands import listings_cli

    app.cli.add_command(listings_cli)
