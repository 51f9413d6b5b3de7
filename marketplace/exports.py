"""Cells for CSV and XLSX exports: text that a spreadsheet would run as a formula is defused.

Organisation names, reasons and notes are typed by users; an operator opening an export in
Excel or WPS must not have `=HYPERLINK(...)` or `=cmd|...` evaluated (CSV / formula injection)."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_cell(value):
    """The value, with a leading apostrophe when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(values) -> list:
    return [spreadsheet_cell(value) for value in values]
