"""The facets of the search page and API: their values and labels (price bands: listings.pricing)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from ..accounts.models import OrgKind
from ..listings.models import Industry, ListingKind
from ..listings.pricing import PRICE_BANDS
from ..patents.models import PatentType

IPC_SECTIONS = {
    "A": _l("A 人类生活必需"), "B": _l("B 作业；运输"), "C": _l("C 化学；冶金"), "D": _l("D 纺织；造纸"),
    "E": _l("E 固定建筑物"), "F": _l("F 机械工程；照明；加热"), "G": _l("G 物理"), "H": _l("H 电学"),
}

_SUBCLASS = re.compile(r"^[A-H]\d{2}[A-Z]$")


class Facet:
    def __init__(self, name: str, title, labels: dict | None = None, pattern: re.Pattern | None = None,
                 top: int = 12):
        self.name, self.title, self.labels, self.pattern, self.top = name, title, labels, pattern, top

    def normalise(self, value: str) -> str | None:
        """The canonical value, or None when it is not a value of this facet."""
        value = (value or "").strip()
        if self.pattern is not None:
            value = value.upper()
            return value if self.pattern.match(value) else None
        return value if self.labels and value in self.labels else None

    def label(self, value: str) -> str:
        if self.labels and value in self.labels:
            return str(self.labels[value])
        return value


FACETS = [
    Facet("kind", _l("挂牌类型"), {k.value: k.label for k in ListingKind} | {}),
    Facet("industry", _l("行业"), {i.value: i.label for i in Industry}),
    Facet("ipc_section", _l("IPC 部"), dict(IPC_SECTIONS)),
    Facet("ipc_subclass", _l("IPC 小类"), pattern=_SUBCLASS, top=15),
    Facet("patent_type", _l("专利类型"), {t.value: t.label for t in PatentType}),
    Facet("holder_kind", _l("权利人类型"), {k.value: k.label for k in OrgKind}),
    Facet("price_band", _l("价格区间"), dict(PRICE_BANDS)),
]
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}
