"""Indicators say where they come from: official district figures entered or imported by the
operator with the platform's own count beside them, and a visible warning on every page and
export while the ledger does not verify (SPEC §7, issue 11 item 8)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from marketplace.accounts.models import OrgKind, OrgRole
from marketplace.extensions import db
from marketplace.indicators.models import IndicatorValue

from .test_pages import book  # noqa: F401 - the fixture

IMPORT = "/operator/indicators/values/import?year=2025"


@pytest.fixture
def operator(make):
    return make.user(operator=True, role=OrgRole.admin)


def xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def values_in_db():
    return {(v.year, v.key): v.value for v in db.session.scalars(db.select(IndicatorValue))}


def test_official_grants_are_judged_and_the_platform_count_shown_beside(as_user, operator, make, today):
    today(date(2026, 1, 10))
    owner = make.org(OrgKind.university)
    for day in (1, 2, 3):
        make.patent(owner, grant_date=date(2025, 3, day))
    client = as_user(operator)
    assert client.post("/operator/indicators/values?year=2025", data={"patent_grants": "3,612"}).status_code == 302
    html = client.get("/operator/indicators?year=2025").get_data(as_text=True)
    assert 'data-testid="value-patent_grants">3,612 件<' in html
    assert 'data-testid="platform-patent_grants">本平台口径 3 件<' in html
    assert 'data-testid="status-patent_grants">已达标<' in html  # 3,612 > 3,500, not 3 against 3,500
    page = client.get("/operator/indicators/values?year=2025").get_data(as_text=True)
    assert 'data-testid="platform-patent_grants">本平台口径：3 件<' in page
    row = db.session.scalars(db.select(IndicatorValue).where(IndicatorValue.key == "patent_grants")).one()
    assert row.entered_by_id == operator.id and row.entered_at is not None


def test_import_official_figures_from_xlsx_and_csv(as_user, operator, today):
    today(date(2026, 1, 10))
    client = as_user(operator)
    upload = xlsx([["年份", "指标", "数值", "说明"],
                   [2025, "专利授权量", 3705, "统计公报"],
                   ["2024年", "patent_grants", "3,488", ""],
                   [2025, "职务发明专利占授权量比例", "78.2", ""],
                   [None, None, None, None]])
    response = client.post(IMPORT, data={"file": (upload, "官方统计.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    stored = values_in_db()
    assert stored[(2025, "patent_grants")] == 3705 and stored[(2024, "patent_grants")] == 3488
    assert stored[(2025, "service_invention_share")] == Decimal("78.2")
    note = db.session.scalar(db.select(IndicatorValue.note).where(IndicatorValue.year == 2025,
                                                                   IndicatorValue.key == "patent_grants"))
    assert note == "统计公报"
    # CSV, GBK-encoded as Excel on a Chinese Windows saves it; a changed value appends a row.
    body = "年份,指标,数值\n2025,专利授权量,3710\n2025,foreign_filings,61\n".encode("gb18030")
    response = client.post(IMPORT, data={"file": (io.BytesIO(body), "stats.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert values_in_db()[(2025, "foreign_filings")] == 61
    grants = db.session.scalars(db.select(IndicatorValue.value).where(
        IndicatorValue.year == 2025, IndicatorValue.key == "patent_grants").order_by(IndicatorValue.id)).all()
    assert grants == [3705, 3710]  # the history keeps both


@pytest.mark.parametrize("rows, message", [
    ([["年份", "指标", "数值"], [2025, "专利授权量", "abc"]], "不是数字"),
    ([["年份", "指标", "数值"], [2025, "不存在的指标", "5"]], "未知指标"),
    ([["年份", "指标", "数值"], [2099, "专利授权量", "5"]], "未来年份"),
    ([["年份", "指标", "数值"], ["二〇二五", "专利授权量", "5"]], "年份"),
    ([["年份", "指标", "数值"], [2025, "专利授权量", "-5"]], "负数"),
    ([["年份", "指标", "数值"], [2025, "专利授权量", "5"], [2025, "专利授权量", "6"]], "重复"),
    ([["年份", "指标", "数值"], [2025, "专利授权量", ""]], "数值为空"),
])
def test_a_file_with_a_bad_row_writes_nothing(as_user, operator, today, rows, message):
    today(date(2026, 1, 10))
    good = [2024, "专利授权量", "3000"]
    response = as_user(operator).post(IMPORT, data={"file": (xlsx([rows[0], good, *rows[1:]]), "x.xlsx")},
                                      content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="import-errors"' in html and message in html
    assert values_in_db() == {}


@pytest.mark.parametrize("content, name, message", [
    (b"", "x.csv", "空"),
    (b"year,value\n2025,5\n", "x.csv", "缺少必需的列"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "x.csv", "不是文本或表格"),
    (b"PK\x03\x04garbage", "x.xlsx", "损坏"),
])
def test_unusable_files_are_refused_with_a_message(as_user, operator, today, content, name, message):
    today(date(2026, 1, 10))
    response = as_user(operator).post(IMPORT, data={"file": (io.BytesIO(content), name)},
                                      content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert values_in_db() == {}


def test_only_operators_import(client, as_user, make, today):
    today(date(2026, 1, 10))
    body = {"file": (io.BytesIO("年份,指标,数值\n2025,专利授权量,1\n".encode()), "s.csv")}
    assert client.post(IMPORT, data=body, content_type="multipart/form-data").status_code in (302, 401)
    for kind in (OrgKind.enterprise, OrgKind.bank, OrgKind.regulator):
        user = make.user(kind=kind, role=OrgRole.admin)
        body = {"file": (io.BytesIO("年份,指标,数值\n2025,专利授权量,1\n".encode()), "s.csv")}
        assert as_user(user).post(IMPORT, data=body, content_type="multipart/form-data").status_code == 403
    assert values_in_db() == {}


def test_an_unverified_ledger_is_flagged_on_every_page_and_export(as_user, operator, book, client):  # noqa: F811
    admin = as_user(operator)
    assert 'data-testid="ledger-warning"' not in admin.get("/operator/indicators?year=2025").get_data(as_text=True)
    assert 'data-testid="ledger-warning"' not in client.get("/statistics?year=2025").get_data(as_text=True)
    db.session.execute(text("UPDATE ledger_entry SET amount = 99999999 WHERE seq = 2"))
    db.session.commit()
    for path in ("/operator/indicators?year=2025", "/operator/indicators/pledge_loan_amount?year=2025",
                 "/operator/indicators/report?year=2025"):
        html = admin.get(path).get_data(as_text=True)
        assert 'data-testid="ledger-warning"' in html and "第 2 条" in html, path
    public = client.get("/statistics?year=2025").get_data(as_text=True)
    assert 'data-testid="ledger-warning"' in public and "台账未通过校验" in public
    workbook = load_workbook(io.BytesIO(admin.get("/operator/indicators/report.xlsx?year=2025").data))
    assert "链式校验未通过" in workbook["指标"]["B1"].value and "链式校验未通过" in workbook["台账明细"]["B1"].value
    assert workbook.properties.keywords == "ledger-unverified"
    rows = list(csv.reader(io.StringIO(admin.get("/operator/indicators/report.csv?year=2025")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert "链式校验未通过" in rows[0][0] and rows[1][0] == "分类"
    ledger_rows = list(csv.reader(io.StringIO(admin.get("/operator/ledger.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert "链式校验未通过" in ledger_rows[0][0] and ledger_rows[1][0] == "seq"


def test_a_verified_ledger_export_carries_no_warning(as_user, operator, book):  # noqa: F811
    admin = as_user(operator)
    workbook = load_workbook(io.BytesIO(admin.get("/operator/indicators/report.xlsx?year=2025").data))
    assert workbook["指标"]["B1"].value is None and workbook.properties.keywords != "ledger-unverified"
    first = admin.get("/operator/indicators/report.csv?year=2025").get_data(as_text=True).lstrip("\ufeff")
    assert first.startswith("分类,")
    assert admin.get("/operator/ledger.csv").get_data(as_text=True).lstrip("\ufeff").startswith("seq,")
