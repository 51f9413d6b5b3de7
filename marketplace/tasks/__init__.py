"""The task queue: huey, embedded (SQLite under instance/) by default, Redis when REDIS_URL is set.

Features declare their background work with `@task(name)` or `@periodic(name, crontab)` in their
own modules; each app gets its own huey instance (`queue(app)`) with every declared task bound to
it, so a task body always runs inside that app's context. Callers enqueue with `some_task.delay()`;
calling the task directly runs it here and now (the commands do that).

Tests put huey in its own immediate mode (`queue(app).immediate = True`): `.delay()` then runs the
task at once, in the caller's app context and session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey import crontab as crontab  # re-exported for the feature modules

log = logging.getLogger(__name__)

EXTENSION = "tasks"


@dataclass
class Task:
    """A declared task: call it to run now, `.delay(...)` to queue it."""

    name: str
    func: Callable
    schedule: Callable | None = None  # a huey crontab for periodic tasks
    retries: int = 0
    retry_delay: int = 0

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def delay(self, *args, **kwargs):
        tasks = queue()
        tasks.bind(self)
        return tasks.wrappers[self.name](*args, **kwargs)


_declared: dict[str, Task] = {}


def task(name: str, *, retries: int = 0, retry_delay: int = 0):
    def declare(func: Callable) -> Task:
        declared = Task(name, func, retries=retries, retry_delay=retry_delay)
        _declared[name] = declared
        return declared

    return declare


def periodic(name: str, schedule: Callable):
    def declare(func: Callable) -> Task:
        declared = Task(name, func, schedule=schedule)
        _declared[name] = declared
        return declared

    return declare


class TaskQueue:
    """One app's huey instance and its bound task wrappers."""

    def __init__(self, app: Flask, huey: Huey):
        self.app, self.huey, self.wrappers = app, huey, {}

    def bind(self, declared: Task) -> None:
        if declared.name in self.wrappers:
            return
        app, func = self.app, declared.func

        def run(*args, **kwargs):
            if has_app_context() and current_app._get_current_object() is app:
                return func(*args, **kwargs)  # immediate mode, or a task calling another
            from ..extensions import db

            with app.app_context():
                try:
                    return func(*args, **kwargs)
                except Exception:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()

        run.__name__ = run.__qualname__ = declared.name.replace(".", "_")
        run.__module__ = func.__module__
        if declared.schedule is not None:
            wrapper = self.huey.periodic_task(declared.schedule, name=declared.name)(run)
        else:
            wrapper = self.huey.task(name=declared.name, retries=declared.retries,
                                     retry_delay=declared.retry_delay)(run)
        self.wrappers[declared.name] = wrapper

    def bind_all(self) -> None:
        for declared in list(_declared.values()):
            self.bind(declared)

    def pending(self) -> int:
        return self.huey.pending_count()


def make_huey(app: Flask) -> Huey:
    # results=False: nothing reads a task's return value, and kept results would pile up forever
    # (a periodic task every minute); the heartbeat is stored with huey.put, which stays.
    name = app.config.get("TASKS_NAME", "marketplace")
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    path = Path(app.config.get("TASKS_DB") or Path(app.config["INSTANCE_DIR"]) / "tasks.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def queue(app: Flask | None = None) -> TaskQueue:
    return (app or current_app).extensions[EXTENSION]


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = TaskQueue(app, make_huey(app))
    # The feature modules declare their tasks when imported (register_blueprints imported them);
    # these declare the housekeeping that belongs to no single feature.
    from . import housekeeping  # noqa: F401

    queue(app).bind_all()
    from .worker import worker_command

    app.cli.add_command(worker_command)
