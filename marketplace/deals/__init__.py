"""Deals: inquiries, open licences accepted on published terms; negotiated licences, transfers, equity."""

from flask import Blueprint

bp = Blueprint("deals", __name__)

from . import models, routes  # noqa: E402,F401
from .inquiries import models as inquiry_models  # noqa: E402,F401


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from .. import nav
    from ..formatting import datetime_cn
    from ..types import utcnow
    from . import demo, panels  # noqa: F401 - register the demo step and dashboard panels
    from .commands import deals_cli
    from .inquiries import bp as inquiries_bp
    from .inquiries.routes import InquiriesLabel
    from .views import listing_deal_panel, status_label

    app.register_blueprint(inquiries_bp)
    app.cli.add_command(deals_cli)
    app.jinja_env.globals.update(listing_deal_panel=listing_deal_panel, deal_status_label=status_label,
                                 now_cn=lambda: datetime_cn(utcnow()))
    nav.add(_l("我的交易"), "deals.my_deals", nav.signed_in, order=40)
    nav.add(InquiriesLabel(), "inquiries.inbox", nav.signed_in, order=41)
