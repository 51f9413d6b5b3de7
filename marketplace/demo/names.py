"""Invented but believable names, and valid USCCs, for the demo district."""

from __future__ import annotations

import random

from stdnum.cn import uscc as stdnum_uscc

DISTRICT_CODE = "350102"  # 福州市鼓楼区
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "华", "慧", "建国", "志强", "晓东", "雪梅", "海燕", "俊杰", "子涵", "文博"]


def make_uscc(rng: random.Random, authority: str = "9", entity: str = "1") -> str:
    body = authority + entity + DISTRICT_CODE + "".join(rng.choice(USCC_CHARS[:10]) for _ in range(8))
    body += rng.choice(USCC_CHARS[:10])
    return body + stdnum_uscc.calc_check_digit(body)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
