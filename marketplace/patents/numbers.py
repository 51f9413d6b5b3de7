"""Chinese application numbers (申请号) and IPC codes: validation and one canonical form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)

_APP_NO = re.compile(r"^(?:CN|ZL)?\s*(\d{8}|\d{12})\s*\.?\s*([\dX])$")


class NumberError(ValueError):
    """The text is not a valid number; the message says why, in Chinese."""


def check_digit(digits: str) -> str:
    weights = WEIGHTS_12 if len(digits) == 12 else WEIGHTS_8
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def canonical_application_number(text: str) -> str:
    """'CN202211740332.4', '2022117403324', 'zl 202211740332.4' → '202211740332.4'."""
    cleaned = re.sub(r"\s+", "", (text or "")).upper()
    match = _APP_NO.match(cleaned)
    if not match:
        raise NumberError(_("申请号格式不正确：应为 12 位数字加校验位（如 201710601862.3），或 8 位旧号加校验位。"))
    digits, given = match.groups()
    expected = check_digit(digits)
    if given != expected:
        raise NumberError(_("申请号校验位错误：%(digits)s 的校验位应为 %(expected)s，而不是 %(given)s。", digits=digits, expected=expected, given=given))
    return f"{digits}.{given}"


def display_application_number(canonical: str) -> str:
    return f"CN{canonical}"


# Patent type from the application number: the 5th digit of a 12-digit number
# (1 invention, 2 utility model, 3 design; 8/9 are PCT national phase invention/utility).
TYPE_DIGITS = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}


def type_from_application_number(canonical: str) -> str | None:
    digits = canonical.split(".")[0]
    if len(digits) == 12:
        return TYPE_DIGITS.get(digits[4])
    if len(digits) == 8:
        return TYPE_DIGITS.get(digits[2])
    return None


def is_pct_national_phase(canonical: str) -> bool:
    digits = canonical.split(".")[0]
    return len(digits) == 12 and digits[4] in "89"


_PUB_NO = re.compile(r"^CN\d{6,9}[A-Z]\d?$")


def canonical_publication_number(text: str) -> str:
    cleaned = re.sub(r"[\s.]", "", (text or "")).upper()
    if not cleaned.startswith("CN"):
        cleaned = "CN" + cleaned
    if not _PUB_NO.match(cleaned):
        raise NumberError(_("公开（公告）号格式不正确，应如 CN116510786B。"))
    return cleaned


def type_from_publication_number(canonical: str) -> str | None:
    """Kind codes: A/B invention, U/Y utility model, S/D design."""
    kind = re.sub(r"\d$", "", canonical)[-1]
    return {"A": "invention", "B": "invention", "C": "invention", "U": "utility", "Y": "utility",
            "S": "design", "D": "design"}.get(kind)


def granted_from_publication_number(canonical: str) -> bool:
    """A publishes an application; B, C, U, Y, S, D are grants."""
    return re.sub(r"\d$", "", canonical)[-1] != "A"


# --- IPC ------------------------------------------------------------------------------

_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])(?:\s*(\d{1,4})\s*/\s*(\d{2,6}))?$")


@dataclass(frozen=True)
class IPC:
    section: str
    klass: str
    subclass_letter: str
    main_group: str | None = None
    subgroup: str | None = None

    @property
    def subclass(self) -> str:
        """'G06F': what matching and facets group by."""
        return f"{self.section}{self.klass}{self.subclass_letter}"

    @property
    def code(self) -> str:
        if self.main_group is None:
            return self.subclass
        return f"{self.subclass}{self.main_group}/{self.subgroup}"

    def __str__(self) -> str:
        return self.code


def parse_ipc(text: str, allow_subclass_only: bool = True) -> IPC:
    """'G06F 16/35', 'g06f16/35' → IPC('G', '06', 'F', '16', '35'); 'G06F' alone is a subclass."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip().upper())
    cleaned = re.sub(r"^([A-H]\d{2}[A-Z])\s+", r"\1", cleaned)
    match = _IPC.match(cleaned.replace(" /", "/").replace("/ ", "/"))
    if not match or (match.group(4) is None and not allow_subclass_only):
        raise NumberError(_("IPC 分类号“%(code)s”格式不正确，应如 G06F16/35（部 A–H、2 位大类、小类字母、大组/小组）。", code=text))
    section, klass, letter, group, subgroup = match.groups()
    return IPC(section, klass, letter, str(int(group)) if group else None, subgroup)


def canonical_ipc_list(codes) -> list[str]:
    """Canonical codes, main first, duplicates dropped; raises on the first bad one."""
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[;；,，\s]+(?=[A-Ha-h]\d)", codes) if c.strip()]
    result: list[str] = []
    for code in codes or []:
        canonical = parse_ipc(code).code
        if canonical not in result:
            result.append(canonical)
    return result
