"""`flask --app marketplace finance lapse-policies`: lapse insurance policies past their end date."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .insurance import lapse_policies

finance_cli = AppGroup("finance", help="Pledge financing and insurance housekeeping.")


@finance_cli.command("lapse-policies")
def lapse_policies_command() -> None:
    """Mark policies and quotes whose period has ended as lapsed (safe to run daily)."""
    lapsed = lapse_policies()
    db.session.commit()
    click.echo(f"{len(lapsed)} policy(ies) lapsed")
    for policy in lapsed:
        click.echo(f"  #{policy.id} {policy.policy_no or '-'} ended {policy.ends_on.isoformat()}")
