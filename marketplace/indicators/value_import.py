"""Official statistics imported from a CSV or XLSX table: one row per year and indicator.

Columns (Chinese or English headings): 年份/year, 指标/key (the key or the Chinese label),
数值/value, 说明/note (optional). Every row is checked before anything is written; a file with
one bad row writes nothing and the report names each bad row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from ..errors import DomainError
from ..patents.import_reader import FileError, csv_rows, detect_format
from .definitions import OPERATOR_KEYS, REGISTRY
from .operations import check_year, parse_value, record_values

MAX_ROWS = 2000  # a district's yearly figures are a few dozen rows
HEADINGS = {
    "year": ("年份", "年度", "year"), "key": ("指标", "指标名称", "指标键", "键", "key", "indicator"),
    "value": ("数值", "数据", "值", "value"), "note": ("说明", "备注", "来源", "note"),
}


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _indicator_key(text: str) -> str | None:
    text = (text or "").strip()
    if text in OPERATOR_KEYS:
        return text
    for key in OPERATOR_KEYS:
        if str(REGISTRY[key].label) == text:
            return key
    return None


def _rows(path: Path):
    fmt = detect_format(path)
    if fmt == "csv":
        yield from csv_rows(path)
        return
    if fmt != "xlsx":
        raise FileError(_("请上传 CSV 或 Excel (XLSX) 文件。"))
    from openpyxl import load_workbook

    with open(path, "rb") as handle:  # a handle: openpyxl would refuse a name without .xlsx
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds on a damaged archive
            raise FileError(_("无法读取该 Excel 文件：%(error)s", error=type(error).__name__)) from error
        try:
            for number, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                yield number, ["" if c is None else str(c) for c in cells]
        finally:
            workbook.close()


def _columns(cells: list[str]) -> dict[str, int]:
    found = {}
    for index, cell in enumerate(cells):
        text = str(cell).strip().lower()
        for name, headings in HEADINGS.items():
            if text in headings and name not in found:
                found[name] = index
    missing = [HEADINGS[n][0] for n in ("year", "key", "value") if n not in found]
    if missing:
        raise FileError(_("缺少必需的列：%(cols)s（表头示例：年份、指标、数值、说明）。", cols="、".join(missing)))
    return found


def read_values(path: Path) -> tuple[dict[int, dict[str, str]], dict[int, str], ImportReport]:
    """Values by year, a note per year, and the report; nothing is written here."""
    report = ImportReport()
    columns: dict[str, int] | None = None
    by_year: dict[int, dict[str, str]] = {}
    notes: dict[int, str] = {}
    seen: dict[tuple[int, str], int] = {}
    for number, cells in _rows(path):
        if not any(str(c).strip() for c in cells):
            continue
        if columns is None:
            columns = _columns(cells)
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise FileError(_("行数超过 %(n)d 行：请只上传年度指标数据。", n=MAX_ROWS))

        def cell(name, cells=cells, columns=columns):
            index = columns.get(name)
            return str(cells[index]).strip() if index is not None and index < len(cells) else ""

        try:
            year_text = cell("year").removesuffix("年").removesuffix(".0")
            if not year_text.isdigit():
                raise DomainError(_("年份“%(y)s”无效。", y=cell("year")))
            year = int(year_text)
            check_year(year)
            key = _indicator_key(cell("key"))
            if key is None:
                raise DomainError(_("未知指标“%(k)s”：请填写指标名称或键。", k=cell("key")))
            if parse_value(key, cell("value")) is None:
                raise DomainError(_("数值为空。"))
            if (year, key) in seen:
                raise DomainError(_("与第 %(row)d 行重复（同一年份、同一指标）。", row=seen[(year, key)]))
        except DomainError as error:
            report.errors.append((number, error.message))
            continue
        seen[(year, key)] = number
        by_year.setdefault(year, {})[key] = cell("value")
        if cell("note"):
            notes[year] = cell("note")[:500]
    if columns is None or report.rows == 0:
        raise FileError(_("文件中没有数据行。"))
    return by_year, notes, report


def import_values(path: Path, user, note: str = "") -> ImportReport:
    """Check every row, then append the values that changed; any bad row and nothing is written."""
    by_year, notes, report = read_values(path)
    if report.errors:
        return report
    for year, values in sorted(by_year.items()):
        report.written += len(record_values(year, values, user, notes.get(year) or note))
    return report
