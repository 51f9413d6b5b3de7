"""JSON endpoints under /api/v1 (errors are JSON here: see marketplace.errors)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401
