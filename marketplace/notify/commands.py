"""`flask --app marketplace mail flush`: send every pending mail now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import sender

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("flush")
def flush_command() -> None:
    """Send every mail that is due now (retries wait for their backoff); print what happened."""
    result = sender.flush()
    click.echo(f"{result.sent} mail(s) sent, {result.retrying} to retry later, {result.failed} failed, "
               f"{sender.due_count()} still due")
