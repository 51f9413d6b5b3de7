"""The patent registry: numbers and IPC codes, patents, import."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("patents", __name__)

from . import demo, import_jobs, models, routes, title, title_routes  # noqa: E402,F401


def init_app(app):
    from .commands import import_patents_command
    from .import_routes import bp as import_bp

    # The import pages use listings, which import this package: their blueprint comes last.
    app.register_blueprint(import_bp)

    app.config.setdefault("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    nav.add(_l("我的专利"), "patents.mine", models.may_hold_patents, order=30)
    nav.add(_l("权属核实"), "patents.claims_queue", nav.operator, order=45, section="admin")
    app.cli.add_command(import_patents_command)
