"""Reading patent lists for import: CSV, XLSX and JSON Lines, recognised by their content.

Columns may be the English fields of patents.jsonl or the Chinese headings of a CNIPA or
commercial-database export. Problems with the whole file raise FileError; problems with
one row are kept on that row so the importer can report them and carry on."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from ..errors import DomainError
from .operations import PatentInput


class FileError(DomainError):
    """The file as a whole cannot be imported; the message says why, in Chinese."""

    status_code = 400


# Each field with the headings that name it (compared after `_normalise_heading`).
FIELD_HEADINGS: dict[str, tuple[str, ...]] = {
    "app_no": ("app_no", "申请号", "专利申请号", "申请号码", "专利号", "application_number"),
    "pub_no": ("pub_no", "公开号", "公告号", "公开(公告)号", "公开公告号", "授权公告号", "公开/公告号",
               "publication_number"),
    "title": ("title", "名称", "专利名称", "发明名称", "标题", "发明创造名称"),
    "abstract": ("abstract", "摘要"),
    "ipc": ("ipc", "主分类号", "主ipc", "ipc主分类号", "主分类"),
    "ipc_all": ("ipc_all", "分类号", "ipc分类号", "ipc分类", "全部分类号", "ipc_codes"),
    "applicant": ("applicant", "applicants", "申请人", "专利权人", "申请(专利权)人", "申请人/专利权人", "权利人"),
    "inventors": ("inventors", "发明人", "设计人", "发明(设计)人", "发明人/设计人"),
    "app_date": ("app_date", "申请日", "申请日期"),
    "date": ("date", "pub_date", "公开日", "公告日", "公开(公告)日", "公开日期", "公开/公告日"),
    "grant_date": ("grant_date", "授权日", "授权日期", "授权公告日"),
    "patent_type": ("patent_type", "type", "专利类型", "类型"),
    "legal_status": ("legal_status", "法律状态", "当前法律状态"),
    "claims_count": ("claims_count", "权利要求数", "权利要求项数", "权项数"),
    "evaluation_report_no": ("evaluation_report_no", "评价报告编号", "专利权评价报告编号", "评价报告号"),
    "is_pct": ("is_pct", "pct", "pct申请", "是否pct"),
    "first_claim": ("first_claim", "首项权利要求", "主权项"),
    "province": ("province", "省份", "省市", "申请人地址省份"),
    "source": ("source", "来源"),
    # Known but not imported: the record id of the shared file and its source labels.
    "_ignored": ("id", "source_label", "序号"),
}
HEADING_TO_FIELD: dict[str, str] = {}


@lru_cache(maxsize=1024)
def field_for_heading(text: str) -> str | None:
    return HEADING_TO_FIELD.get(_normalise_heading(text))


def _normalise_heading(text) -> str:
    text = str(text or "").strip().translate(str.maketrans("（）：", "():"))
    return re.sub(r"[\s*:]", "", text).lower()


for _field, _headings in FIELD_HEADINGS.items():
    for _heading in _headings:
        HEADING_TO_FIELD[_normalise_heading(_heading)] = _field

# What the template and the error messages call each required column.
TEMPLATE_HEADINGS = ("申请号", "公开号", "专利名称", "专利类型", "摘要", "主分类号", "分类号", "申请人", "发明人",
                     "申请日", "公开日", "授权日", "法律状态", "权利要求数", "评价报告编号", "PCT")

EXTENSIONS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".jsonl": "jsonl",
              ".ndjson": "jsonl", ".json": "jsonl"}
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel (XLSX)", "jsonl": "JSON Lines"}
HEADER_SEARCH_ROWS = 10  # a title row or two above the headings is common in exports


@dataclass
class SourceRow:
    """One data row: what it says as a PatentInput, or why it cannot be read."""

    number: int  # as the user sees it: the spreadsheet row, or the line of a JSON Lines file
    data: PatentInput | None = None
    error: str = ""


@dataclass
class ParsedFile:
    format: str
    rows: list[SourceRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the fields recognised
    ignored_columns: list[str] = field(default_factory=list)


# --- content detection --------------------------------------------------------------------

def detect_format(path: Path) -> str:
    """'csv', 'xlsx' or 'jsonl' from the bytes; FileError for an empty or unsupported file."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileError(_("文件是空的。"))
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile as error:
            raise FileError(_("文件已损坏：无法作为 Excel (XLSX) 打开。")) from error
        raise FileError(_("这是一个压缩文件，不是 Excel (XLSX) 表格。"))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传。"))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # Excel's "Unicode text": UTF-16, tab-separated
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8")):
        raise FileError(_("文件内容不是文本或表格（可能是图片、PDF 或其他二进制文件）。"))
    first = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1]
    if first in (b"{", b"["):
        return "jsonl"
    return "csv"


def check_extension(filename: str, content_format: str) -> None:
    suffix = Path(filename or "").suffix.lower()
    expected = EXTENSIONS.get(suffix)
    if expected is None:
        raise FileError(_("不支持扩展名为“%(ext)s”的文件：请上传 .csv、.xlsx 或 .jsonl 文件。",
                          ext=suffix or _("（无）")))
    if expected != content_format:
        raise FileError(_("文件扩展名是 %(ext)s，但内容是 %(actual)s：请确认上传的是正确的文件，或改正扩展名。",
                          ext=suffix, actual=FORMAT_NAMES[content_format]))


def inspect_file(path: Path, filename: str | None = None) -> str:
    """Quick checks before a job is queued: content matches the name, headings are usable."""
    fmt = detect_format(path)
    check_extension(filename or Path(path).name, fmt)
    for _record in _iter_records(path, fmt):
        return fmt  # the headings are checked as soon as the first row is read
    raise FileError(_("文件中没有数据行。"))


def read_file(path: Path, filename: str | None = None) -> ParsedFile:
    """Every row of the file; FileError when the file as a whole is unusable."""
    fmt = detect_format(path)
    check_extension(filename or Path(path).name, fmt)
    parsed = ParsedFile(format=fmt)
    for number, record, header in _iter_records(path, fmt):
        if not parsed.columns and header is not None:
            parsed.columns, parsed.ignored_columns = header.fields, header.ignored
        if not any(_present(v) for v in record.values()):
            continue  # blank lines are not rows
        parsed.rows.append(to_source_row(number, record))
    if not parsed.rows:
        raise FileError(_("文件中没有数据行。"))
    return parsed


def _iter_records(path: Path, fmt: str) -> Iterator[tuple[int, dict, Header | None]]:
    if fmt == "xlsx":
        return _xlsx_records(path)
    if fmt == "jsonl":
        return _jsonl_records(path)
    return _csv_records(path)


# --- headings --------------------------------------------------------------------------

@dataclass
class Header:
    columns: list[str | None]  # field per column position (None: ignored)
    fields: list[str]
    ignored: list[str]


def _header_from(cells: list, row_number: int, where: str = "") -> Header:
    texts = [str(c).strip() if c is not None else "" for c in cells]
    last = max((i for i, t in enumerate(texts) if t), default=-1)
    columns: list[str | None] = []
    ignored: list[str] = []
    for index, text in enumerate(texts[: last + 1]):
        if not text:
            raise FileError(_("第 %(row)d 行第 %(col)s 列的表头为空：每一列都需要一个表头（如“申请号”“专利名称”）。",
                              row=row_number, col=_column_name(index)))
        name = HEADING_TO_FIELD.get(_normalise_heading(text))
        if name is None or name == "_ignored":
            ignored.append(text)
            name = None
        columns.append(name)
    fields = [c for c in dict.fromkeys(columns) if c]
    if "title" not in fields:
        raise FileError(_("缺少必需的列：专利名称（表头可写“名称”“专利名称”或 title）。"))
    if "app_no" not in fields and "pub_no" not in fields:
        raise FileError(_("缺少必需的列：申请号或公开（公告）号，至少需要其中一列。"))
    return Header(columns, fields, ignored)


def _column_name(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _looks_like_header(cells: list) -> bool:
    names = {HEADING_TO_FIELD.get(_normalise_heading(c)) for c in cells if _present(c)}
    return "title" in names or len(names - {None}) >= 2


def _records_from_rows(rows: Iterable[tuple[int, list]], check_header_row=None) -> Iterator[tuple[int, dict, Header]]:
    """Find the heading row among the first rows, then yield each later row as {field: value}."""
    header: Header | None = None
    seen = 0
    first_cells: tuple[int, list] | None = None
    for number, cells in rows:
        if header is None:
            if not any(_present(c) for c in cells):
                continue
            seen += 1
            first_cells = first_cells or (number, cells)
            if _looks_like_header(cells):
                if check_header_row is not None:
                    check_header_row(number)
                header = _header_from(cells, number)
                continue
            if seen >= HEADER_SEARCH_ROWS:
                break
            continue
        record: dict = {}
        for index, value in enumerate(cells):
            name = header.columns[index] if index < len(header.columns) else None
            if name is None:
                if index >= len(header.columns) and _present(value):
                    raise FileError(_("第 %(row)d 行第 %(col)s 列有数据，但该列没有表头。", row=number,
                                      col=_column_name(index)))
                continue
            if _present(value) and not _present(record.get(name)):
                record[name] = value  # two columns for one field: the first non-empty wins
        yield number, record, header
    if header is None:
        if first_cells is None:
            raise FileError(_("文件中没有数据行。"))
        _header_from(first_cells[1], first_cells[0])  # raises the message naming the missing column
        raise FileError(_("找不到表头行。"))


# --- CSV -------------------------------------------------------------------------------

def decode_text(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as error:
        raise FileError(_("无法识别文件编码：请将文件另存为 UTF-8 编码的 CSV。")) from error


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV or tab-separated text in any encoding Excel writes."""
    text = decode_text(Path(path).read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise FileError(_("CSV 格式错误（第 %(line)d 行附近）：%(error)s", line=reader.line_num,
                          error=str(error))) from error


def _csv_records(path: Path) -> Iterator[tuple[int, dict, Header]]:
    return _records_from_rows(csv_rows(path))


# --- XLSX ------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _merged_ranges(worksheet) -> list[tuple[str, int, int]]:
    """(range, first row, last row) of merged cells; read-only sheets do not expose them."""
    found = []
    with worksheet._get_source() as source:
        tail = b""
        while chunk := source.read(1 << 20):
            data = tail + chunk
            for match in _MERGE.finditer(data):
                col1, row1, col2, row2 = match.groups()
                ref = f"{col1.decode()}{row1.decode()}" + (f":{col2.decode()}{row2.decode()}" if col2 else "")
                found.append((ref, int(row1), int(row2 or row1)))
            tail = data[-200:]
    return list(dict.fromkeys(found))


def _xlsx_records(path: Path) -> Iterator[tuple[int, dict, Header]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged archive
        raise FileError(_("无法读取该 Excel 文件：%(error)s", error=type(error).__name__)) from error
    try:
        worksheet = workbook.worksheets[0]
        merged = _merged_ranges(worksheet)

        def rows():
            for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, list(cells)

        def refuse_merged_header(header_row: int) -> None:
            for ref, top, bottom in merged:
                if top <= header_row <= bottom:
                    raise FileError(_("表头有合并单元格（%(ref)s）：请取消合并，让每一列都有自己的表头，再上传。",
                                      ref=ref))

        yield from _records_from_rows(rows(), refuse_merged_header)
    finally:
        workbook.close()


# --- JSON Lines ----------------------------------------------------------------------------

def _jsonl_records(path: Path) -> Iterator[tuple[int, dict, Header | None]]:
    text = decode_text(Path(path).read_bytes())
    if text.lstrip().startswith("["):  # a plain JSON array of objects is accepted too
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise FileError(_("JSON 格式错误（第 %(line)d 行）：%(error)s", line=error.lineno, error=error.msg)) from error
        lines = [(i, item) for i, item in enumerate(items, start=1)]
    else:
        lines = _json_lines(text)
    header: Header | None = None
    for number, item in lines:
        if isinstance(item, str):  # a line that did not parse
            yield number, {"_error": item}, header
            continue
        if not isinstance(item, dict):
            yield number, {"_error": _("该行不是 JSON 对象。")}, header
            continue
        keys = list(item.keys())
        if header is None:
            header = _header_from(keys, number)
        record = {}
        for key, value in item.items():
            name = field_for_heading(key)
            if name and name != "_ignored" and _present(value) and not _present(record.get(name)):
                record[name] = value
        yield number, record, header


def _json_lines(text: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, _("JSON 格式错误：%(error)s", error=error.msg)


# --- values ----------------------------------------------------------------------------

def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a spreadsheet cell: 2017106018623.0
    if isinstance(value, list | tuple):
        return "；".join(_text(v) for v in value)
    return str(value).strip()


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value) -> date | None:
    """2022-12-02, 2022/12/02, 2022.12.02, 20221202, 2022年12月2日, Excel dates and serial numbers."""
    if not _present(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100000:  # an Excel serial day number
            return EXCEL_EPOCH + timedelta(days=int(value))
        value = _text(value)
    text = str(value).strip()
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValueError(text)


PCT_WORDS = {"是", "y", "yes", "true", "1", "pct", "√", "有"}
NOT_PCT_WORDS = {"否", "n", "no", "false", "0", "无", "-", "—"}


def _parse_pct(value) -> bool:
    text = _text(value).lower()
    if not text or text in NOT_PCT_WORDS:
        return False
    if text in PCT_WORDS or text.startswith(("pct/", "wo")):
        return True
    raise ValueError(text)


def _ipc_list(*values) -> list[str]:
    codes: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            codes.extend(_text(v) for v in value if _present(v))
        elif _present(value):
            codes.extend(c for c in re.split(r"[;；,，|\s]+(?=[A-Ha-h]\d)", _text(value)) if c.strip())
    return list(dict.fromkeys(c.strip() for c in codes))


def _names(value) -> str:
    """People and organisations, '；'-separated whatever the file used."""
    if isinstance(value, list | tuple):
        parts = [_text(v) for v in value]
    else:
        parts = re.split(r"\s*[;；]\s*", _text(value))
    return "；".join(p for p in (p.strip() for p in parts) if p)


DATE_LABELS = {"app_date": "申请日", "date": "公开日", "grant_date": "授权日"}


def to_source_row(number: int, record: dict) -> SourceRow:
    """A record {field: raw value} as a PatentInput, or the reason it cannot be one."""
    if "_error" in record:
        return SourceRow(number, error=record["_error"])
    dates = {}
    for name, label in DATE_LABELS.items():
        try:
            dates[name] = parse_date(record.get(name))
        except ValueError:
            return SourceRow(number, error=_("%(label)s“%(value)s”不是可识别的日期（应如 2022-12-02）。",
                                             label=_(label), value=_text(record.get(name))))
    claims = record.get("claims_count")
    claims_count = None
    if _present(claims):
        digits = re.sub(r"[项条\s]", "", _text(claims))
        if not digits.isdigit():
            return SourceRow(number, error=_("权利要求数“%(value)s”应为整数。", value=_text(claims)))
        claims_count = int(digits)
    try:
        is_pct = _parse_pct(record.get("is_pct"))
    except ValueError:
        return SourceRow(number, error=_("PCT 一栏应填“是”或“否”，而不是“%(value)s”。", value=_text(record.get("is_pct"))))
    return SourceRow(number, data=PatentInput(
        title=_text(record.get("title")), app_no=_text(record.get("app_no")), pub_no=_text(record.get("pub_no")),
        patent_type=_text(record.get("patent_type")), abstract=_text(record.get("abstract")),
        first_claim=_text(record.get("first_claim")), claims_count=claims_count,
        ipc_codes=_ipc_list(record.get("ipc"), record.get("ipc_all")),
        applicants=_names(record.get("applicant")), inventors=_names(record.get("inventors")),
        app_date=dates["app_date"], pub_date=dates["date"], grant_date=dates["grant_date"],
        legal_status=_text(record.get("legal_status")), is_pct=is_pct,
        evaluation_report_no=_text(record.get("evaluation_report_no")), province=_text(record.get("province")),
        source=_text(record.get("source")),
    ))
