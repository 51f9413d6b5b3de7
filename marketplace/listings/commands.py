"""`flask --app marketplace listings expire`: mark listings whose patents are no longer in force."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .operations import expire_listings

listings_cli = AppGroup("listings", help="Listings housekeeping.")


@listings_cli.command("expire")
def expire_command() -> None:
    """Expire live listings whose patents lapsed, expired or were invalidated (safe to run daily)."""
    expired = expire_listings()
    db.session.commit()
    click.echo(f"{len(expired)} listing(s) expired")
    for listing in expired:
        click.echo(f"  #{listing.id} {listing.title}")
