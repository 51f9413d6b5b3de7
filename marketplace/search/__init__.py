"""Search and matching: the listing index, the search page, saved searches, demand matching."""

from flask import Blueprint, current_app, g
from flask_babel import lazy_gettext as _l

bp = Blueprint("search", __name__)

from . import models, routes  # noqa: E402,F401


def queue_index_after_request(response):
    """A request that committed listing changes queues the indexer; the worker applies them."""
    if g.pop("search_outbox_written", False):
        from .tasks import index_outbox

        try:
            index_outbox.delay()
        except Exception:  # noqa: BLE001 - the rows stay in the outbox for the worker's sweep
            current_app.logger.exception("search: queueing the indexer failed")
    return response


def init_app(app):
    from .. import nav
    from . import demo, tasks  # noqa: F401 - registers the demo step, declares the tasks
    from .commands import search_cli
    from .outbox import install

    install()
    app.cli.add_command(search_cli)
    app.after_request(queue_index_after_request)
    nav.add(_l("技术搜索"), "search.page", nav.anyone, order=5)
    nav.add(_l("保存的搜索"), "search.saved_list", nav.signed_in, order=20, section="user")
