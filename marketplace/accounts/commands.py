"""`flask --app marketplace users …`: create the platform's operator accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .models import SiteRole, User

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("make-operator")
@click.argument("email")
def make_operator(email: str) -> None:
    """Give EMAIL the platform operator role."""
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    user.site_role = SiteRole.operator
    db.session.commit()
    click.echo(f"{user.email} is now an operator")
