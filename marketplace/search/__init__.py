"""Search and matching: the listing index, the search page, saved searches, demand matching."""

from flask import Blueprint, current_app, g
from flask_babel import lazy_gettext as _l

bp = Blueprint("search", __name__)

from . import models, routes  # noqa: E402,F401


def drain_after_request(response):
    """A small batch after a request that wrote to the outbox, unless another writer is busy."""
    if g.pop("search_outbox_written", False) and current_app.config.get("SEARCH_WEB_DRAIN", True) \
            and not current_app.config.get("SEARCH_SYNC", current_app.testing):
        from ..extensions import db
        from .indexer import drain

        try:
            result = drain(current_app.config.get("SEARCH_WEB_BATCH", 50), blocking=False)
            if result.indexed:
                from .alerts import send_due_digests

                send_due_digests(listing_ids=result.indexed)
                db.session.commit()
        except Exception:  # noqa: BLE001 - the rows stay in the outbox for the indexer
            db.session.rollback()
            current_app.logger.exception("search: draining the outbox after a request failed")
    return response


def init_app(app):
    from .. import nav
    from . import demo  # noqa: F401 - registers the demo step
    from .commands import search_cli
    from .outbox import install

    install()
    app.cli.add_command(search_cli)
    app.after_request(drain_after_request)
    nav.add(_l("技术搜索"), "search.page", nav.anyone, order=5)
    nav.add(_l("保存的搜索"), "search.saved_list", nav.signed_in, order=20, section="user")
