"""Checks on what people type when they register: USCC and password strength."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

MIN_PASSWORD_LENGTH = 10

# The commonest passwords, and keyboard walks, refused whatever their length.
COMMON_PASSWORDS = {
    "password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop",
    "1qaz2wsx3edc", "qwerty123456", "iloveyou123", "abc1234567", "a1234567890", "admin12345",
    "woaini1314", "1q2w3e4r5t", "aaaaaaaaaa", "0123456789", "9876543210", "abcdefghij",
    "passw0rd123", "welcome123", "zxcvbnm123", "asdfghjkl1",
}


def canonical_uscc(value: str) -> str:
    """Validate a 统一社会信用代码 and return it in its compact upper-case form."""
    try:
        return stdnum_uscc.validate(value.strip().upper())
    except ValidationError as error:
        raise ValueError(_("统一社会信用代码无效：应为 18 位，且校验位正确。")) from error


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH))
    classes = sum(
        bool(re.search(pattern, password))
        for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        problems.append(_("密码需包含大写字母、小写字母、数字、符号中的至少三类。"))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 5:
        problems.append(_("这个密码太常见或太简单，容易被猜中。"))
    local = email.split("@")[0].lower() if email else ""
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower() in lowered):
        problems.append(_("密码不能包含您的邮箱名或姓名。"))
    return problems
