"""`flask --app marketplace deals remind`: the daily 备案 deadline reminders."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..dates import business_today
from ..extensions import db
from .recordation import send_reminders

deals_cli = AppGroup("deals", help="Deal housekeeping.")


@deals_cli.command("remind")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (YYYY-MM-DD).")
def remind_command(today) -> None:
    """Remind both sides of licences not yet recorded: licence contracts when their 备案 deadline
    is within 14 days and once it has passed; open licences once, as a recommendation.
    Each deal is reminded once per threshold, so running it daily (or twice) is safe."""
    day = today.date() if today else business_today()
    sent = send_reminders(day)
    db.session.commit()
    click.echo(f"{len(sent)} reminder(s) sent")
    for deal, threshold in sent:
        click.echo(f"  deal #{deal.id} {threshold} (due {deal.recordation_due.isoformat()})")
