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
