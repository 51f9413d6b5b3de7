"""Organisations, users, roles and verification."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("accounts", __name__)

from . import commands, demo, routes  # noqa: E402,F401


def init_app(app):
    from . import panels  # noqa: F401 - registers the operator's queue on the dashboard

    nav.add(_l("机构审核"), "accounts.operator_orgs", nav.operator, order=80, section="admin")
    nav.add(_l("用户"), "accounts.operator_users", nav.operator, order=81, section="admin")
    nav.add(_l("我的机构"), "accounts.my_org", nav.signed_in, order=20, section="user")
    nav.add(_l("个人资料"), "accounts.profile", nav.signed_in, order=30, section="user")
    nav.add(_l("修改密码"), "accounts.change_password", nav.signed_in, order=40, section="user")
    app.cli.add_command(commands.users_cli)
