"""The patent registry: numbers and IPC codes, patents, import."""

from flask import Blueprint

bp = Blueprint("patents", __name__)

from . import models  # noqa: E402,F401


def init_app(app):
    from .commands import import_patents_command

    app.cli.add_command(import_patents_command)
