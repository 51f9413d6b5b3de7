"""Configuration: defaults, overridden by the environment; no production secret in code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigurationError(RuntimeError):
    """Start-up refused because the configuration is unsafe or incomplete."""


def load_secret_key(env: str, instance_dir: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigurationError(
            "SECRET_KEY is not set. In production (MARKETPLACE_ENV=production) the site refuses to "
            "start without it: set SECRET_KEY to a long random string, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    # Development: generate once and keep it, so sessions survive restarts.
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment() -> dict:
    env = os.environ.get("MARKETPLACE_ENV", "development")
    instance_dir = Path(os.environ.get("INSTANCE_DIR", INSTANCE_DIR))
    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{instance_dir / 'marketplace.db'}"
    )
    return {
        "ENV_NAME": env,
        "INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": load_secret_key(env, instance_dir),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(PROJECT_ROOT / "search_index")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance_dir / "uploads")),
        "SESSION_COOKIE_SECURE": env == "production",
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0") or 0),
        # The site's public address, for links in mails sent by commands (no request to ask).
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REMEMBER_COOKIE_SECURE": env == "production",
        # Background tasks: Redis in production; unset means SQLite under instance/ (tasks.db).
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "TASKS_NAME": os.environ.get("TASKS_NAME", "marketplace"),
        **mail_settings(env),
    }


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def mail_settings(env: str) -> dict:
    """MAIL_* as SPEC §9 names them. Without MAIL_SERVER, development writes mail to the log;
    production then uses the local MTA (localhost:25)."""
    server = os.environ.get("MAIL_SERVER") or ("localhost" if env == "production" else "")
    use_ssl = _flag("MAIL_USE_SSL")
    settings = {
        "MAIL_SERVER": server,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or (465 if use_ssl else 25)),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
    }
    if os.environ.get("MAIL_DEFAULT_SENDER"):
        settings["MAIL_DEFAULT_SENDER"] = os.environ["MAIL_DEFAULT_SENDER"]
    return settings


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link stays valid
    "INVITATION_MAX_AGE_DAYS": 7,
    # Login throttling: after SLOW_AFTER failures a wait grows; after LOCK_AFTER the key is locked.
    "LOGIN_SLOW_AFTER": 3,
    "LOGIN_LOCK_AFTER": 8,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_WINDOW_MINUTES": 15,
    "MAIL_DEFAULT_SENDER": "知识产权转化池 <noreply@ip-pool.example.cn>",
    "MAIL_SERVER": "",  # empty: mail is written to the log (development, tests)
    "MAIL_PORT": 25,
    "MAIL_TIMEOUT": 10,
    "SITE_URL": "http://127.0.0.1:5000",  # the public address; links in mails are built on it
    "SITE_NAME": "知识产权转化池",
    "DISTRICT_NAME": "福州市鼓楼区",
}
