"""`flask --app marketplace import-patents FILE --owner ORG [--publish KIND]`: bulk import from the shell."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func

from ..accounts.models import Organization
from ..errors import DomainError
from ..extensions import db
from ..listings.models import LicenceType, PaymentMethod
from .import_reader import FileError, read_file
from .importer import PUBLISHABLE_KINDS, ImportReport, ListingTerms, RowStatus, import_patents


def find_organization(text: str) -> Organization | None:
    """An organisation by id, USCC (统一社会信用代码) or exact name."""
    text = text.strip()
    if text.isdigit():
        found = db.session.get(Organization, int(text))
        if found:
            return found
    found = db.session.scalar(db.select(Organization).where(Organization.uscc == text.upper()))
    return found or db.session.scalar(db.select(Organization).where(func.lower(Organization.name) == text.lower()))


def _decimal(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as error:
        raise click.BadParameter(f"“{value}”不是数字", param_hint=option) from error


def print_summary(report: ImportReport, echo=click.echo) -> None:
    c = report.counts
    echo(f"共 {c['total']} 行：新增 {c['imported']}，更新 {c['updated']}，未变 {c['unchanged']}，"
         f"拒绝 {c['rejected']}。")
    if report.publish_kind is not None:
        echo(f"挂牌（{report.publish_kind.label}）：发布 {c['published']}，未发布 {c['not_published']}，"
             f"已有同类挂牌 {c['existing']}。")
        for reason, count in report.listing_reasons()[:10]:
            echo(f"  未发布 {count} 件：{reason}")
    rate = c["total"] / report.seconds if report.seconds else 0
    echo(f"用时 {report.seconds:.1f} 秒（{rate:.0f} 条/秒）。")


@click.command("import-patents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", required=True, help="Owning organisation: id, USCC or exact name.")
@click.option("--publish", "publish_kind", type=click.Choice([k.value for k in PUBLISHABLE_KINDS]),
              help="Publish each patent as a listing of this kind.")
@click.option("--royalty-rate", help="Open licence: royalty, percent of net sales (default 3).")
@click.option("--fee", help="Open licence: lump sum or entry fee; licence/transfer: asking price (yuan).")
@click.option("--payment", type=click.Choice([m.value for m in PaymentMethod]),
              help="Open licence payment method (default: from --fee/--royalty-rate, else royalty).")
@click.option("--term-years", type=click.IntRange(1, 30),
              help="Licence term in years (default for open licences: to the patent's expiry, or 5 years).")
@click.option("--licence-type", type=click.Choice([t.value for t in LicenceType]), default="ordinary",
              show_default=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the row-by-row report to this CSV file instead of listing rejected rows on stdout.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=500, show_default=True)
@with_appcontext
def import_patents_command(file: Path, owner: str, publish_kind: str | None, royalty_rate: str | None,
                           fee: str | None, payment: str | None, term_years: int | None, licence_type: str,
                           report_path: Path | None, batch_size: int) -> None:
    """Import patents from a CSV, XLSX or JSON Lines FILE for the organisation ORG."""
    organization = find_organization(owner)
    if organization is None:
        raise click.UsageError(f"找不到机构“{owner}”（可用机构编号、统一社会信用代码或完整名称）。")
    terms = ListingTerms(payment_method=PaymentMethod(payment) if payment else None,
                         royalty_rate=_decimal(royalty_rate, "--royalty-rate"), fee=_decimal(fee, "--fee"),
                         term_years=term_years, licence_type=LicenceType(licence_type))
    try:
        parsed = read_file(file)
    except FileError as error:
        raise click.ClickException(f"{file.name}：{error.message}") from error
    click.echo(f"读取 {file.name}（{parsed.format}）：{len(parsed.rows)} 行，导入到“{organization.name}”。", err=True)

    with click.progressbar(length=len(parsed.rows), label="导入专利", file=sys.stderr) as bar:
        done = 0

        def progress(processed: int, total: int) -> None:
            nonlocal done
            bar.update(processed - done)
            done = processed

        try:
            report = import_patents(organization, parsed.rows, publish_kind, terms, progress, batch_size=batch_size)
        except DomainError as error:  # e.g. publishing for an unverified organisation
            db.session.rollback()
            raise click.ClickException(error.message) from error

    print_summary(report)
    if report_path is not None:
        with open(report_path, "w", newline="", encoding="utf-8-sig") as handle:
            report.write_csv(handle)
        click.echo(f"逐行报告已写入 {report_path}")
    else:
        for result in report.results:
            if result.status == RowStatus.rejected:
                click.echo(f"第 {result.row} 行\t{result.number}\t{result.reason}")
