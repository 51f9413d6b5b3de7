"""`flask --app marketplace search …`: index, reindex, notify."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from ..extensions import db
from . import indexer

search_cli = AppGroup("search", help="The search index and match notifications.")


@search_cli.command("index")
@click.option("--batch", default=indexer.DEFAULT_BATCH, show_default=True)
def index_command(batch: int) -> None:
    """Apply the outbox (listing changes) to the index now (the worker does it within a second)."""
    handled = indexer.drain_all(batch, blocking=True)
    click.echo(f"{handled} outbox row(s) indexed, {indexer.pending()} pending")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index from the database into a fresh directory and swap it in."""
    started = time.perf_counter()
    count = indexer.reindex()
    elapsed = time.perf_counter() - started
    click.echo(f"{count} listing(s) indexed in {elapsed:.1f} s ({count / max(elapsed, 1e-9):.0f}/s)")


@search_cli.command("embed")
@click.option("--batch", default=64, show_default=True, help="Passages per call of the model.")
def embed_command(batch: int) -> None:
    """Embed the listings whose text has no vector yet (semantic search); drop stale vectors."""
    from .embeddings import embed_pending

    started = time.perf_counter()
    count = embed_pending(batch=batch, progress=lambda n: click.echo(f"  {n} embedded") if n % 1000 < batch else None)
    elapsed = time.perf_counter() - started
    click.echo(f"{count} listing(s) embedded in {elapsed:.1f} s")


@search_cli.command("notify")
def notify_command() -> None:
    """Send the daily digests of new listings matching saved demands and searches."""
    from .alerts import send_due_digests

    indexer.drain_all(blocking=True)
    sent = send_due_digests()
    db.session.commit()
    click.echo(f"{sent} digest(s) sent")
