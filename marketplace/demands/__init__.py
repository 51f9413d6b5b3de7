"""Technology demands (技术需求): enterprises say what they need; matching finds listings for them."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("demands", __name__, url_prefix="/demands")

from . import models, routes  # noqa: E402,F401


def init_app(app):
    from .. import nav
    from ..patents.models import may_hold_patents

    nav.add(_l("技术需求"), "demands.mine", models.Demand.can_create, order=6)
    nav.add(_l("需求匹配"), "demands.answers", may_hold_patents, order=21,
            section="user")
