"""Inquiries (咨询): conversations between an interested organisation and a listing's holder."""

from flask import Blueprint

bp = Blueprint("inquiries", __name__)

from . import models, routes  # noqa: E402,F401
