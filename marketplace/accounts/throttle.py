"""Slow down, then lock, repeated failed sign-ins per account and per address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ..extensions import db
from ..types import utcnow
from .models import LoginThrottle


@dataclass
class Verdict:
    allowed: bool
    wait_seconds: int = 0
    locked: bool = False


def clock() -> datetime:
    """The current time for throttling; tests replace it to walk through waits and locks."""
    return utcnow()


def keys_for(email: str, address: str | None) -> list[str]:
    keys = [f"email:{email.strip().lower()}"]
    if address:
        keys.append(f"ip:{address}")
    return keys


def _wait_after(failures: int) -> int:
    """Seconds a key must wait before its next try: 0, then 2, 4, 8 … up to 60."""
    slow_after = current_app.config["LOGIN_SLOW_AFTER"]
    if failures < slow_after:
        return 0
    return min(60, 2 ** (failures - slow_after + 1))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def check(keys: list[str], now: datetime | None = None) -> Verdict:
    """The strictest verdict over the keys: a lock outweighs a slow-down, a longer wait a shorter."""
    now = now or clock()
    worst = Verdict(allowed=True)
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is None or _stale(row, now):
            continue
        if row.locked_until is not None:
            verdict = Verdict(False, _seconds_until(row.locked_until, now), locked=True)
        else:
            ready_at = row.last_failure_at + timedelta(seconds=_wait_after(row.failures))
            if now >= ready_at:
                continue
            verdict = Verdict(False, _seconds_until(ready_at, now))
        if (verdict.locked, verdict.wait_seconds) > (worst.locked, worst.wait_seconds):
            worst = verdict
    return worst


def _stale(row: LoginThrottle, now: datetime) -> bool:
    """Counting starts afresh once a lock has been served or the window has passed."""
    if row.locked_until is not None:
        return now >= row.locked_until
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return now - row.last_failure_at > window


def record_failure(keys: list[str], now: datetime | None = None) -> None:
    now = now or clock()
    lock_after = current_app.config["LOGIN_LOCK_AFTER"]
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started_at=now)
            db.session.add(row)
        elif _stale(row, now):
            row.failures = 0
            row.window_started_at = now
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= lock_after:
            row.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def record_success(email: str) -> None:
    # A successful sign-in clears the account's count, not the address's: a guesser
    # who also owns one account must not reset the counter for the others.
    row = db.session.get(LoginThrottle, keys_for(email, None)[0])
    if row is not None:
        db.session.delete(row)
