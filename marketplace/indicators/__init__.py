"""The plan's indicators (SPEC §7): engine, dashboard, operator-entered values, annual report."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("indicators", __name__)

from . import definitions, demo, models, routes  # noqa: E402,F401


def init_app(app):
    from . import display
    from .commands import indicators_cli
    from .targets import init_config

    init_config(app)
    display.register(app)
    app.cli.add_command(indicators_cli)
    nav.add(_l("统计"), "indicators.statistics", nav.anyone, order=60)
    nav.add(_l("指标监测"), "indicators.dashboard", nav.operator, order=84, section="admin")
