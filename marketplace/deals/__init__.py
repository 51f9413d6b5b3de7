"""Deals: open licences accepted on published terms; negotiated licences, transfers, equity."""

from flask import Blueprint

bp = Blueprint("deals", __name__)

from . import models, routes  # noqa: E402,F401
