"""`flask --app marketplace demo`: fill an empty database with a believable district.

Each feature registers a step with `@demo_step(order)`; steps share a context
(a seeded random generator, "now", and what earlier steps created)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..types import utcnow


@dataclass
class DemoContext:
    rng: random.Random
    now: datetime
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)
    orgs: dict[str, object] = field(default_factory=dict)  # key → Organization
    users: dict[str, object] = field(default_factory=dict)  # key → User
    extra: dict[str, object] = field(default_factory=dict)


# name → (order, step); features register theirs when their module is imported.
_steps: dict[str, tuple[int, Callable[[DemoContext], None]]] = {}


def demo_step(order: int):
    def register(fn):
        _steps[fn.__module__ + "." + fn.__name__] = (order, fn)
        return fn

    return register


def database_is_empty() -> bool:
    from ..accounts.models import Organization

    return db.session.scalar(db.select(Organization.id).limit(1)) is None


def run_demo(seed: int = 20221011) -> DemoContext:
    ctx = DemoContext(rng=random.Random(seed), now=utcnow())
    for _name, (_order, step) in sorted(_steps.items(), key=lambda item: (item[1][0], item[0])):
        step(ctx)
        db.session.flush()
    return ctx


def logins_file() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "demo_logins.txt"


@click.command("demo")
@click.option("--seed", default=20221011, show_default=True, help="Random seed for the generated data.")
@with_appcontext
def demo_command(seed: int) -> None:
    """Fill an empty database with a realistic demo district."""
    if not database_is_empty():
        click.echo("The database already has data: the demo was not loaded again.")
        if logins_file().exists():
            click.echo(logins_file().read_text())
        return
    import logging

    level = current_app.logger.level
    current_app.logger.setLevel(logging.WARNING)  # the demo's mails are not news to anyone
    try:
        ctx = run_demo(seed)
        db.session.commit()
    finally:
        current_app.logger.setLevel(level)
    lines = ["演示账号（密码只在此处显示一次，也保存在 instance/demo_logins.txt）:"]
    lines += [f"  {role:<24} {email:<36} {password}" for role, email, password in ctx.logins]
    text = "\n".join(lines)
    path = logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    path.chmod(0o600)
    click.echo(text)
