"""Redirect targets: a `next` parameter is followed only when it is a local path."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def safe_next(target: str | None, default: str) -> str:
    return target if is_local_path(target) else default


def site_adapter(app):
    """A URL adapter bound to SITE_URL (scheme, host and any path prefix of the public site)."""
    parts = urlsplit(app.config["SITE_URL"])
    return app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail or a notification, always on SITE_URL: the same inside a request,
    in a command and in the worker, and never taken from a request's Host header."""
    from flask import current_app

    return site_adapter(current_app).build(endpoint, values, force_external=True)


def absolute(link: str) -> str:
    """A site-relative path made absolute on SITE_URL (absolute links are returned unchanged)."""
    from flask import current_app

    if not link or urlsplit(link).scheme:
        return link
    return current_app.config["SITE_URL"].rstrip("/") + "/" + link.lstrip("/")
