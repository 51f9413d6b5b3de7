"""`flask --app marketplace ledger verify`: walk the chain; exit non-zero on a break."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .operations import verify_chain

ledger_cli = AppGroup("ledger", help="The append-only deal ledger.")


@ledger_cli.command("verify")
def verify_command() -> None:
    """Recompute every entry's SHA-256 and check each links to the one before."""
    result = verify_chain()
    if result.ok:
        click.echo(f"ledger OK: {result.checked} entries checked, chain intact")
        return
    click.echo(f"ledger BROKEN after {result.checked} good entries: {result.problem}", err=True)
    click.echo(f"first broken entry: #{result.broken_seq}", err=True)
    sys.exit(1)
