"""Pledge financing (质押融资), patent valuation (价值评估) and patent insurance (专利保险)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("finance", __name__)

from . import models, policies, routes, insurance_routes  # noqa: E402,F401,I001


def init_app(app):
    from ..patents.models import may_hold_patents
    from . import demo, panels  # noqa: F401  (register the demo step and dashboard panels)
    from .commands import finance_cli

    nav.add(_l("质押融资"), "finance.my_requests", may_hold_patents, order=40)
    nav.add(_l("质押审批"), "finance.review_queue", nav.of_kind("bank"), order=40)
    nav.add(_l("保单"), "finance.insurance_home", nav.of_kind("insurer"), order=40)
    nav.add(_l("价值评估"), "finance.appraisals", nav.of_kind("agency"), order=40)
    app.cli.add_command(finance_cli)
