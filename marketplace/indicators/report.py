"""The annual monitoring report: indicators with targets and status, the ledger entries behind
the ledger figures, and the operator-entered values with their history, as XLSX or CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..accounts.models import Organization, User
from ..exports import spreadsheet_row
from ..extensions import db
from ..formatting import datetime_cn
from .definitions import GROUPS, LEDGER_KEYS, REGISTRY, SOURCES, UNITS
from .engine import Context, measure
from .ledger_figures import CONCLUSIONS, amount_of
from .models import IndicatorValue
from .periods import Period

SHEETS = ("indicators", "entries", "values")
KIND_LABELS = {"open_licence": _l("开放许可"), "licence": _l("许可"), "transfer": _l("转让"), "equity": _l("作价入股"),
               "pledge": _l("质押贷款"), "insurance": _l("专利保险")}
SUBJECT_LABELS = {"deal": _l("交易"), "pledge_review": _l("质押审查"), "insurance_policy": _l("保单")}
STATUS_LABELS = {"accepted": _l("已生效"), "completed": _l("已完成"), "disbursed": _l("已放款"), "issued": _l("已出单")}


def subject_label(entry) -> str:
    return f"{SUBJECT_LABELS.get(entry.subject_type, entry.subject_type)} #{entry.subject_id}"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    warning: str | None = None  # set when the ledger the table is drawn from does not verify


def org_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


def tidy(value: Decimal) -> Decimal | int:
    """An entered number without trailing zeros: 20, 0.239 (never 2E+1)."""
    return int(value) if value == value.to_integral_value() else Decimal(f"{value.normalize():f}")


def _cell(indicator, value):
    """A number as the report stores it: money in yuan (two places), shares in per cent."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        if indicator.entered:
            return tidy(value)
        return value.quantize(Decimal("0.01")) if indicator.unit in ("yuan", "percent", "per_10k") else value
    return value


def indicators_table(year: int, ctx: Context) -> Table:
    headers = [_("分类"), _("指标"), _("单位"), _("全年"), _("一季度"), _("二季度"), _("三季度"), _("四季度"),
               _("目标"), _("完成进度（%）"), _("状态"), _("来源"), _("口径"), _("规划原文"), _("说明"),
               _("本平台口径（全年）"), _("键")]
    rows = []
    for indicator in REGISTRY.values():
        row = measure(indicator, Period(year), ctx)
        if indicator.annual_only:
            quarters = [None] * 4
        else:
            quarters = [_cell(indicator, measure(indicator, q, ctx).value) for q in Period(year).quarters()]
        unit = _("元") if indicator.unit == "yuan" else str(UNITS[indicator.unit])
        target = f"{row.target.sign} {tidy(row.target.value)}" if row.target else ""
        rows.append([str(GROUPS[indicator.group]), str(indicator.label), unit, _cell(indicator, row.value), *quarters,
                     target, row.evaluation.progress, row.evaluation.label, str(SOURCES[indicator.source]),
                     str(indicator.definition), str(row.target.wording) if row.target else "",
                     str(row.figure.note), _cell(indicator, row.platform.value) if row.platform else None,
                     indicator.key])
    return Table(_("%(year)d年指标", year=year), headers, rows)


def entries_table(year: int, ctx: Context) -> Table:
    """Every concluding entry of the year: the rows each ledger figure is made from."""
    period = Period(year)
    entries = ctx.ledger.concluded(tuple(CONCLUSIONS), period)
    names = org_names({o for e in entries for o in (e.holder_org_id, e.counterparty_org_id, e.beneficiary_org_id)})
    feeds = _feeds(period, ctx)
    headers = [_("台账序号"), _("业务日期"), _("季度"), _("类别"), _("对象"), _("达到状态"), _("持有方/出质人"),
               _("相对方（受让/被许可/银行/保险）"), _("服务企业"), _("中小微"), _("金额（元）"), _("专利ID"),
               _("计入指标"), _("条目哈希")]
    rows = [[e.seq, e.occurred_on, f"Q{(e.occurred_on.month - 1) // 3 + 1}", str(KIND_LABELS.get(e.deal_kind, e.deal_kind)),
             subject_label(e), str(STATUS_LABELS.get(e.to_status, e.to_status)), names.get(e.holder_org_id, ""),
             names.get(e.counterparty_org_id, ""), names.get(e.beneficiary_org_id, ""),
             _("是") if e.beneficiary_is_sme else _("否"), amount_of(e), ", ".join(str(p) for p in e.patent_ids or []),
             ", ".join(feeds.get(e.id, [])), e.entry_hash] for e in entries]
    return Table(_("%(year)d年台账明细", year=year), headers, rows)


def _feeds(period: Period, ctx: Context) -> dict[int, list[str]]:
    feeds: dict[int, list[str]] = {}
    for key in LEDGER_KEYS:
        for entry in REGISTRY[key].drilldown(period, ctx).entries:
            feeds.setdefault(entry.id, []).append(key)
    return feeds


def values_table(year: int) -> Table:
    rows_ = list(db.session.scalars(db.select(IndicatorValue).where(IndicatorValue.year == year)
                                    .order_by(IndicatorValue.key, IndicatorValue.id)))
    current = {}
    for row in rows_:
        current[row.key] = row.id
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_({r.entered_by_id for r in rows_})))}
    headers = [_("年份"), _("指标"), _("数值"), _("当前值"), _("填报人"), _("填报机构"), _("填报时间"), _("说明"), _("键")]
    rows = []
    for row in rows_:
        user = users.get(row.entered_by_id)
        indicator = REGISTRY.get(row.key)
        rows.append([row.year, str(indicator.label) if indicator else row.key, tidy(row.value),
                     _("是") if current[row.key] == row.id else _("否（已被更新）"), user.name if user else "",
                     user.organization.name if user else "", datetime_cn(row.entered_at), row.note, row.key])
    return Table(_("%(year)d年填报数据及修改记录", year=year), headers, rows)


def tables(year: int, ctx: Context | None = None) -> dict[str, Table]:
    ctx = ctx or Context()
    built = {"indicators": indicators_table(year, ctx), "entries": entries_table(year, ctx), "values": values_table(year)}
    for name in ("indicators", "entries"):
        built[name].warning = ctx.ledger_warning
    return built


def workbook_bytes(year: int, ctx: Context | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    built = tables(year, ctx)
    book = Workbook()
    book.remove(book.active)
    district = current_app.config["DISTRICT_NAME"]
    for name, sheet_title in zip(SHEETS, (_("指标"), _("台账明细"), _("填报数据")), strict=True):
        table = built[name]
        sheet = book.create_sheet(sheet_title)
        sheet.append([f"{district} {table.title}", table.warning])
        sheet["A1"].font = Font(bold=True, size=13)
        if table.warning:
            sheet["B1"].font = Font(bold=True, color="C00000")
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append(spreadsheet_row(row))
        sheet.freeze_panes = "A3"
        for column in sheet.columns:
            letter = column[0].column_letter
            width = max((len(str(c.value)) for c in column[1:] if c.value is not None), default=8)
            sheet.column_dimensions[letter].width = min(max(width + 2, 8), 48)
    warning = built["indicators"].warning
    if warning:  # the file itself says it was made from an unverified ledger
        book.properties.subject = warning
        book.properties.keywords = "ledger-unverified"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(year: int, sheet: str = "indicators", ctx: Context | None = None) -> str:
    table = tables(year, ctx)[sheet]
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 only with the BOM
    writer = csv.writer(buffer)
    if table.warning:
        writer.writerow([table.warning])
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(spreadsheet_row("" if v is None else v for v in row))
    return buffer.getvalue()
