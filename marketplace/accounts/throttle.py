"""Slow down, then lock, repeated failed sign-ins per account and per address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, literal, null, or_, select
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..types import UTCDateTime, utcnow
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


def _stale(now: datetime):
    """SQL: counting starts afresh once a lock has been served or the window has passed."""
    table = LoginThrottle.__table__
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return or_(and_(table.c.locked_until.is_not(None), table.c.locked_until <= literal(now, UTCDateTime())),
               and_(table.c.locked_until.is_(None),
                    table.c.last_failure_at < literal(now - window, UTCDateTime())))


def check(keys: list[str], now: datetime | None = None) -> Verdict:
    """The strictest verdict over the keys: a lock outweighs a slow-down, a longer wait a shorter."""
    now = now or clock()
    worst = Verdict(allowed=True)
    table = LoginThrottle.__table__
    rows = db.session.execute(
        select(table.c.failures, table.c.last_failure_at, table.c.locked_until, _stale(now).label("stale"))
        .where(table.c.key.in_(keys))).all()
    for row in rows:
        if row.stale:
            continue
        if row.locked_until is not None:
            verdict = Verdict(False, _seconds_until(row.locked_until, now), locked=True)
        else:
            wait = _wait_after(row.failures)
            # No wait due: allowed, even when a failure was recorded while this request waited
            # for the database (its `now` is then earlier than that failure).
            if wait == 0 or now >= row.last_failure_at + timedelta(seconds=wait):
                continue
            ready_at = row.last_failure_at + timedelta(seconds=wait)
            verdict = Verdict(False, _seconds_until(ready_at, now))
        if (verdict.locked, verdict.wait_seconds) > (worst.locked, worst.wait_seconds):
            worst = verdict
    return worst


def record_failure(keys: list[str], now: datetime | None = None) -> None:
    """Count one failure per key in one statement (an upsert that adds 1 to the stored count,
    never a read then a write), so ten wrong passwords tried at once count ten."""
    now = now or clock()
    locked_for = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    lock_after = current_app.config["LOGIN_LOCK_AFTER"]
    table = LoginThrottle.__table__
    at = literal(now, UTCDateTime())
    stale = _stale(now)
    failures = case((stale, 1), else_=table.c.failures + 1)
    insert = _insert_for(db.session.get_bind().dialect.name)
    for key in keys:
        statement = insert(table).values(
            key=key, failures=1, window_started_at=now, last_failure_at=now,
            locked_until=now + locked_for if lock_after <= 1 else None)
        db.session.execute(statement.on_conflict_do_update(index_elements=[table.c.key], set_={
            "failures": failures,
            "window_started_at": case((stale, at), else_=table.c.window_started_at),
            "last_failure_at": at,
            "locked_until": case((failures >= lock_after, literal(now + locked_for, UTCDateTime())),
                                 (stale, null()), else_=table.c.locked_until),
        }))
        cached = db.session.identity_map.get(identity_key(LoginThrottle, key))
        if cached is not None:
            db.session.expire(cached)


def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def record_success(email: str) -> None:
    # A successful sign-in clears the account's count, not the address's: a guesser
    # who also owns one account must not reset the counter for the others.
    key = keys_for(email, None)[0]
    db.session.execute(delete(LoginThrottle.__table__).where(LoginThrottle.__table__.c.key == key))
    cached = db.session.identity_map.get(identity_key(LoginThrottle, key))
    if cached is not None:
        db.session.expunge(cached)
