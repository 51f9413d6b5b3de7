"""The patent registry: numbers and IPC codes, patents, import."""

from flask import Blueprint

bp = Blueprint("patents", __name__)

from . import import_jobs, models  # noqa: E402,F401


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from .. import nav
    from .commands import import_patents_command
    from .import_routes import bp as import_bp

    # The import pages use listings, which import this package: their blueprint comes last.
    app.register_blueprint(import_bp)

    app.config.setdefault("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    app.config.setdefault("IMPORT_RUN_INLINE", False)  # tests run import jobs in the request
    nav.add(_l("批量导入专利"), "patent_import.start", nav.of_kind("university", "institute", "enterprise"),
            order=30)
    app.cli.add_command(import_patents_command)
