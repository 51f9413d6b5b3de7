"""知识产权转化池: the application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask_babel import lazy_gettext as _l

from . import config as config_module
from . import sqlite  # noqa: F401 - the SQLite connection and transaction set-up
from .config import PROJECT_ROOT
from .extensions import babel, csrf, db, login_manager, migrate
from .web import Marketplace

# Feature packages, each exposing `bp` (a blueprint) and optionally `init_app(app)`.
FEATURES = [
    "marketplace.main",
    "marketplace.accounts",
    "marketplace.notify",
    "marketplace.patents",
    "marketplace.listings",
    "marketplace.ledger",
    "marketplace.deals",
    "marketplace.finance",
    "marketplace.indicators",
    "marketplace.search",
    "marketplace.demands",
    "marketplace.api",
]


def create_app(config: dict | None = None) -> Marketplace:
    app = Marketplace(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config_module.INSTANCE_DIR),
        instance_relative_config=False,
    )
    app.config.update(config_module.DEFAULTS)
    if config is None or "SECRET_KEY" not in config or "SQLALCHEMY_DATABASE_URI" not in config:
        app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config.get("PROXY_FIX_HOPS"):
        # Behind nginx: trust X-Forwarded-For/-Proto from that many proxies, so login
        # throttling sees the client's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    from . import tasks

    tasks.init_app(app)  # after the features: it binds the tasks they declared
    from .errors import register_errorhandlers

    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.localize_callback = str
    login_manager.login_message_category = "warning"
    csrf.init_app(app)

    def select_locale():
        return app.config["BABEL_DEFAULT_LOCALE"]

    babel.init_app(app, locale_selector=select_locale)


def register_blueprints(app: Flask) -> None:
    import importlib

    for name in FEATURES:
        module = importlib.import_module(name)
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["ENV_NAME"] == "production":
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from . import formatting, nav, workflow

    formatting.register(app)
    app.jinja_env.globals["seen_field"] = workflow.seen_field

    @app.context_processor
    def inject_nav():
        return {
            "nav_main": nav.items_for(current_user, "main"),
            "nav_user": nav.items_for(current_user, "user"),
            "nav_admin": nav.items_for(current_user, "admin"),
            "site_name": app.config["SITE_NAME"],
            "district_name": app.config["DISTRICT_NAME"],
        }


def register_commands(app: Flask) -> None:
    from .demo import demo_command

    app.cli.add_command(demo_command)
