"""`flask --app marketplace indicators report --year 2025 --out FILE.xlsx` (or --format csv)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..dates import business_today
from . import periods, report

indicators_cli = AppGroup("indicators", help="The plan's indicators and the annual monitoring report.")


@indicators_cli.command("report")
@click.option("--year", type=int, default=None, help="Calendar year (default: this year).")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write (.xlsx or .csv).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="Default: from the file name, else xlsx.")
@click.option("--sheet", type=click.Choice(report.SHEETS), default="indicators", show_default=True,
              help="For CSV: which table to write.")
def report_command(year: int | None, out: str, fmt: str | None, sheet: str) -> None:
    """Write the annual monitoring report: indicators, ledger entries, operator values."""
    year = year or business_today().year
    if not periods.MIN_YEAR <= year <= periods.MAX_YEAR:
        click.echo(f"--year must be between {periods.MIN_YEAR} and {periods.MAX_YEAR}", err=True)
        sys.exit(2)
    path = Path(out)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "xlsx")
    if fmt == "xlsx":
        path.write_bytes(report.workbook_bytes(year))
    else:
        path.write_text(report.csv_text(year, sheet), encoding="utf-8")
    click.echo(f"{year} monitoring report ({fmt}) written to {path}")
