"""`flask --app marketplace import-patents FILE (--owner ORG | --by-applicant) [--publish KIND]`: the
operator's bulk import from the shell."""

from __future__ import annotations

import getpass
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func

from ..accounts.models import Organization
from ..dates import SHANGHAI
from ..errors import DomainError
from ..extensions import db
from ..listings.models import LicenceType, PaymentMethod
from ..money import parse_money
from ..types import utcnow
from .import_reader import FileError, read_file
from .importer import (
    PUBLISHABLE_KINDS,
    ImportReport,
    ListingTerms,
    RowStatus,
    TitleMode,
    import_patents,
)


def find_organization(text: str) -> Organization | None:
    """An organisation by id, USCC (统一社会信用代码) or exact name."""
    text = text.strip()
    if text.isdigit():
        found = db.session.get(Organization, int(text))
        if found:
            return found
    found = db.session.scalar(db.select(Organization).where(Organization.uscc == text.upper()))
    return found or db.session.scalar(db.select(Organization).where(func.lower(Organization.name) == text.lower()))


def _money(value: str | None, option: str) -> Decimal | None:
    try:
        return parse_money(value, allow_zero=True)
    except DomainError as error:
        raise click.BadParameter(error.message, param_hint=option) from error


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
@click.option("--owner", help="Owning organisation: id, USCC or exact name. The operator vouches that every "
                               "patent of the file belongs to it (recorded with who, when and which file).")
@click.option("--by-applicant", is_flag=True,
              help="Register each patent to the organisation named as its patentee, creating pending "
                   "organisations for names not yet known (the district's registry load).")
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
def import_patents_command(file: Path, owner: str | None, by_applicant: bool, publish_kind: str | None,
                           royalty_rate: str | None, fee: str | None, payment: str | None, term_years: int | None,
                           licence_type: str, report_path: Path | None, batch_size: int) -> None:
    """Import patents from a CSV, XLSX or JSON Lines FILE for the organisation ORG (--owner),
    or each to its own patentee (--by-applicant)."""
    if bool(owner) == by_applicant:
        raise click.UsageError("请指定 --owner ORG 或 --by-applicant（二者选一）。")
    organization = None
    if owner:
        organization = find_organization(owner)
        if organization is None:
            raise click.UsageError(f"找不到机构“{owner}”（可用机构编号、统一社会信用代码或完整名称）。")
    who = os.environ.get("SUDO_USER") or getpass.getuser()
    when = utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if by_applicant:
        mode, note = TitleMode.by_applicant, f"运营方按专利权人登记：{who}，{when}，文件 {file.name}"
    else:
        mode, note = TitleMode.vouched, f"运营方导入并担保权属：{who}，{when}，文件 {file.name}"
    terms = ListingTerms(payment_method=PaymentMethod(payment) if payment else None,
                         royalty_rate=_decimal(royalty_rate, "--royalty-rate"), fee=_money(fee, "--fee"),
                         term_years=term_years, licence_type=LicenceType(licence_type))
    try:
        parsed = read_file(file)
    except FileError as error:
        raise click.ClickException(f"{file.name}：{error.message}") from error
    target = f"导入到“{organization.name}”" if organization else "按专利权人登记"
    click.echo(f"读取 {file.name}（{parsed.format}）：{len(parsed.rows)} 行，{target}。", err=True)

    with click.progressbar(length=len(parsed.rows), label="导入专利", file=sys.stderr) as bar:
        done = 0

        def progress(processed: int, total: int) -> None:
            nonlocal done
            bar.update(processed - done)
            done = processed

        try:
            report = import_patents(organization, parsed.rows, publish_kind, terms, progress, batch_size=batch_size,
                                    title_mode=mode, title_note=note)
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
