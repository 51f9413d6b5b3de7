"""A first guess of a listing's industry from its patents' IPC codes (the holder can change it)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Industry

# Most specific prefix wins: a subclass ("G06N"), then a class ("C08"), then a section ("A").
IPC_INDUSTRY: dict[str, Industry] = {
    # 人工智能
    "G06N": Industry.ai, "G10L": Industry.ai, "G06V": Industry.ai, "G06T": Industry.ai,
    # 大数据 / 互联网+
    "G06F": Industry.big_data, "G16H": Industry.big_data, "G16B": Industry.big_data,
    "G06Q": Industry.internet_plus, "H04L": Industry.internet_plus, "H04W": Industry.internet_plus,
    # 电子信息
    "H01L": Industry.electronics, "H10B": Industry.electronics, "H10K": Industry.electronics,
    "H04N": Industry.electronics, "H04B": Industry.electronics, "H01Q": Industry.electronics,
    "H03": Industry.electronics, "H05K": Industry.electronics, "G01R": Industry.electronics,
    "G02B": Industry.electronics, "G02F": Industry.electronics, "G09G": Industry.electronics,
    "G11": Industry.electronics, "G08": Industry.electronics, "G05B": Industry.electronics,
    "G06K": Industry.electronics, "G06M": Industry.electronics,
    # 生物医药
    "A61": Industry.biomedicine, "C12": Industry.biomedicine, "C07K": Industry.biomedicine,
    "C07H": Industry.biomedicine, "G01N": Industry.biomedicine, "A61B": Industry.biomedicine,
    # 新能源
    "H01M": Industry.new_energy, "H02J": Industry.new_energy, "H02S": Industry.new_energy,
    "F03D": Industry.new_energy, "F24S": Industry.new_energy, "C25B": Industry.new_energy,
    "H02M": Industry.new_energy, "Y02E": Industry.new_energy, "B60L": Industry.new_energy,
    # 新材料
    "C08": Industry.new_materials, "C09": Industry.new_materials, "C01": Industry.new_materials,
    "C04": Industry.new_materials, "C22": Industry.new_materials, "C23": Industry.new_materials,
    "B82": Industry.new_materials, "B01J": Industry.new_materials, "C03": Industry.new_materials,
    "D01": Industry.new_materials,
    # 高端装备
    "B21": Industry.high_end_equipment, "B22": Industry.high_end_equipment, "B23": Industry.high_end_equipment,
    "B24": Industry.high_end_equipment, "B25": Industry.high_end_equipment, "B33": Industry.high_end_equipment,
    "B64": Industry.high_end_equipment, "B61": Industry.high_end_equipment, "B63": Industry.high_end_equipment,
    "F16": Industry.high_end_equipment, "F15": Industry.high_end_equipment, "F01": Industry.high_end_equipment,
    "F02": Industry.high_end_equipment, "B65G": Industry.high_end_equipment, "G01M": Industry.high_end_equipment,
    "B29C": Industry.high_end_equipment,
    # 现代农业
    "A01": Industry.modern_agriculture, "A23": Industry.modern_agriculture, "C05": Industry.modern_agriculture,
}


def industry_for_code(code: str) -> Industry | None:
    code = (code or "").strip().upper()
    for length in (4, 3, 1):
        industry = IPC_INDUSTRY.get(code[:length]) if len(code) >= length else None
        if industry is not None:
            return industry
    return None


def guess_industry(ipc_codes: Iterable[str]) -> Industry:
    """The industry of the first code (main IPC first) that maps to one; else 其他."""
    for code in ipc_codes or ():
        industry = industry_for_code(code)
        if industry is not None:
            return industry
    return Industry.other
