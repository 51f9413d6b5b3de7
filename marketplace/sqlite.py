"""SQLite as the embedded default: WAL, a busy timeout, and write transactions that take the write
lock when they begin, so overlapping requests queue for it instead of failing "database is locked".

A transaction that will write begins with BEGIN IMMEDIATE, where busy_timeout makes it wait its
turn. A read transaction that later writes cannot wait: once another writer has committed, its
snapshot is stale and SQLite answers "database is locked" at once, whatever the timeout. So a
request that may write (any method but GET/HEAD/OPTIONS, or a page marked `@writes_on_get`) and
everything outside a request (commands, the worker) begin IMMEDIATE; pages begin deferred and
read concurrently with the writer (WAL)."""

from __future__ import annotations

import sqlite3

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 15000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_get(view):
    """Mark a view whose GET writes (a read receipt): its transaction begins as a writer too."""
    view.writes_on_get = True
    return view


def transaction_will_write() -> bool:
    if not has_request_context():
        return True
    if request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "writes_on_get", False))


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_connection, connection_record):
    # Foreign keys enforced; WAL so readers never wait for the writer; a busy timeout so a writer
    # queues for the lock; and SQLAlchemy (not the driver) issues BEGIN, so that savepoints and
    # transaction boundaries behave as on PostgreSQL.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; safe with WAL
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if transaction_will_write() else "BEGIN")
