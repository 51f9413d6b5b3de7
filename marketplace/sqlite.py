"""SQLite as the embedded default: WAL, a busy timeout, and write transactions that queue for the
write lock when they begin, so overlapping requests take turns instead of failing "database is
locked".

A transaction that will write begins with BEGIN IMMEDIATE. A read transaction that later writes
cannot wait: once another writer has committed, its snapshot is stale and SQLite answers "database
is locked" at once, whatever the timeout. So a request that may write (any method but
GET/HEAD/OPTIONS, or a page marked `@writes_on_get`) and everything outside a request (commands,
the worker) begin IMMEDIATE; pages begin deferred and read concurrently with the writer (WAL).

SQLite's own wait (busy_timeout) polls, and under a steady stream of writers a poller can miss
every free moment for longer than any timeout. So writers first queue: in arrival order among the
process's threads (no polling), then on an flock on `<database>-writer.lock` (processes wait in
the kernel and are woken when the holder lets go). The lock is let go when
the transaction ends (commit, rollback, or the connection going back to the pool)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections import deque

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

BUSY_TIMEOUT_MS = 15000
# How long a writer waits for its turn in the queue: the whole of a slow request's budget rather
# than SQLite's busy timeout, since the queue only moves when other writers finish.
WRITE_TURN_TIMEOUT_S = 60
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


class _TurnLock:
    """A lock whose waiters are served in arrival order (threading.Lock lets a newcomer overtake
    a thread that has waited long): no writer waits on while later ones go first."""

    def __init__(self):
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            if self._cond.wait_for(lambda: not self._held and self._waiting[0] is ticket, timeout):
                self._waiting.popleft()
                self._held = True
                return True
            self._waiting.remove(ticket)
            self._cond.notify_all()
            return False

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


class WriterQueue:
    """Writers to one SQLite file take turns: in arrival order within the process, then the file
    lock between processes."""

    def __init__(self, path: str):
        self.turn = _TurnLock()
        self.fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float) -> bool:
        if not self.turn.acquire(timeout):
            return False
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.turn.release()
            raise
        return True

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.turn.release()


_queues: dict[tuple[int, str], WriterQueue] = {}
_queues_lock = threading.Lock()
HOLDER_KEY = "sqlite_writer_queue"


def writer_queue(database: str | None) -> WriterQueue | None:
    """The queue for a database file, one per process (a forked worker opens its own lock file:
    an inherited descriptor would share the parent's flock)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (os.getpid(), os.path.abspath(database))
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriterQueue(key[1])
        return queue


@event.listens_for(Engine, "begin")
def _begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if not transaction_will_write():
        conn.exec_driver_sql("BEGIN")
        return
    queue = writer_queue(conn.engine.url.database)
    if queue is not None:
        if not queue.acquire(timeout=WRITE_TURN_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked (no turn to write within the busy timeout)")
        conn.info[HOLDER_KEY] = queue
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _let_go(conn.info)
        raise


def _let_go(info: dict) -> None:
    queue = info.pop(HOLDER_KEY, None)
    if queue is not None:
        queue.release()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn):
    _let_go(conn.info)


@event.listens_for(Pool, "checkin")
def _checked_in(dbapi_connection, connection_record):
    if connection_record is not None:
        _let_go(connection_record.info)


@event.listens_for(Pool, "invalidate")
def _invalidated(dbapi_connection, connection_record, exception):
    if connection_record is not None:
        _let_go(connection_record.info)


def end_read_transaction() -> None:
    """Before slow work that needs no lock (a password hash): end the session's transaction, which
    has only read so far, so that it holds no lock meanwhile. On SQLite a writing request's
    transaction holds the database's one write lock from its first query; the write that follows
    the slow work begins a short transaction of its own."""
    from .extensions import db

    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_transaction() after a change: commit or roll back first")
    session.commit()
