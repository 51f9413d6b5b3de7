"""Bulk import: reading every format, the row-by-row report, re-imports, publishing, the command."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.dates import add_years, business_today
from marketplace.errors import NotVerified
from marketplace.extensions import db
from marketplace.listings.industry import guess_industry
from marketplace.listings.models import (
    Industry,
    Listing,
    ListingKind,
    ListingPatent,
    ListingStatus,
    PaymentMethod,
)
from marketplace.patents.import_reader import FileError, parse_date, read_file
from marketplace.patents.importer import (
    ImportReport,
    ListingOutcome,
    ListingTerms,
    RowStatus,
    TitleMode,
    import_patents,
)
from marketplace.patents.models import Encumbrance, EncumbranceKind, LegalStatus, Patent, PatentType
from marketplace.patents.title import ClaimStatus, OwnershipClaim

HEADINGS = ["申请号", "公开号", "专利名称", "摘要", "主分类号", "分类号", "申请人", "发明人", "申请日", "授权日"]
# Real application numbers from SPEC §3 (all pass the check digit).
ROWS = [
    ["CN202211740332.4", "", "一种图像去噪方法", "本发明公开了一种图像去噪方法。", "G06T5/00", "G06N3/08；G06T5/00",
     "鼓楼大学；某研究院", "张三; 李四", "2022-12-30", ""],
    ["201710601862.3", "", "一种锂电池负极材料", "", "H01M4/36", "", "鼓楼大学", "", "2017/07/21", "20200605"],
]


def write_csv(path, rows, encoding="utf-8-sig", headings=HEADINGS):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, headings=HEADINGS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_import(owner, path, **kwargs) -> ImportReport:
    """The operator's import (`--owner`): the operator vouches for every row's ownership."""
    kwargs.setdefault("title_mode", TitleMode.vouched)
    return import_patents(owner, read_file(path).rows, **kwargs)


@pytest.fixture
def university(make):
    return make.org(OrgKind.university)


# --- reading ----------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(tmp_path, encoding):
    parsed = read_file(write_csv(tmp_path / "patents.csv", ROWS, encoding=encoding))
    assert parsed.format == "csv"
    first, second = (row.data for row in parsed.rows)
    assert [row.number for row in parsed.rows] == [2, 3]
    assert first.title == "一种图像去噪方法" and first.app_no == "CN202211740332.4"
    assert first.ipc_codes == ["G06T5/00", "G06N3/08"]
    assert first.applicants == "鼓楼大学；某研究院" and first.inventors == "张三；李四"
    assert first.app_date == date(2022, 12, 30)
    assert second.app_date == date(2017, 7, 21) and second.grant_date == date(2020, 6, 5)


def test_xlsx_with_chinese_headings_excel_dates_and_numbers(tmp_path):
    rows = [[2017106018623, None, "一种锂电池负极材料", None, "H01M4/36", None, "鼓楼大学", None,
             datetime(2017, 7, 21), 43987]]  # an Excel serial number for 2020-06-05
    parsed = read_file(write_xlsx(tmp_path / "patents.xlsx", rows))
    assert parsed.format == "xlsx"
    data = parsed.rows[0].data
    assert data.app_no == "2017106018623" and data.title == "一种锂电池负极材料"
    assert data.app_date == date(2017, 7, 21) and data.grant_date == date(2020, 6, 5)


def test_xlsx_heading_row_may_follow_a_title_row(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["鼓楼大学专利清单"])
    sheet.merge_cells("A1:C1")
    sheet.append(["公开号", "名称", "IPC"])
    sheet.append(["CN116510786B", "一种双核金催化剂", "B01J31/24"])
    workbook.save(tmp_path / "list.xlsx")
    parsed = read_file(tmp_path / "list.xlsx")
    assert parsed.rows[0].number == 3 and parsed.rows[0].data.pub_no == "CN116510786B"


def test_json_lines_with_the_fields_of_the_shared_file(tmp_path):
    record = {"id": "CN116510786B", "title": "一种双核金催化剂", "abstract": None, "ipc": "B01J31/24",
              "ipc_all": ["B01J31/24", "C07F9/50"], "applicant": "中山大学", "app_no": None,
              "pub_no": "CN116510786B", "date": "2025-03-25", "inventors": "邹滔滔; 罗和江",
              "app_date": None, "grant_date": None, "source_label": "0", "source": "test"}
    parsed = read_file(write_jsonl(tmp_path / "p.jsonl", [record, {**record, "pub_no": "CN1", "title": ""}]))
    assert parsed.format == "jsonl"
    data = parsed.rows[0].data
    assert data.pub_no == "CN116510786B" and data.ipc_codes == ["B01J31/24", "C07F9/50"]
    assert data.pub_date == date(2025, 3, 25) and data.inventors == "邹滔滔；罗和江"
    assert parsed.rows[1].number == 2


@pytest.mark.parametrize("text, expected", [
    ("2022-12-02", date(2022, 12, 2)), ("2022/12/02", date(2022, 12, 2)), ("20221202", date(2022, 12, 2)),
    ("2022年12月2日", date(2022, 12, 2)), ("2022.12.2", date(2022, 12, 2)), ("2022-12-02 00:00:00", date(2022, 12, 2)),
    (44897, date(2022, 12, 2)), (datetime(2022, 12, 2, 8, 0), date(2022, 12, 2)), ("", None), (None, None),
])
def test_dates_in_common_formats(text, expected):
    assert parse_date(text) == expected


def test_an_unreadable_date_rejects_the_row_not_the_file(tmp_path):
    rows = [[*ROWS[0][:8], "2022-13-45", ""], ROWS[1]]
    parsed = read_file(write_csv(tmp_path / "p.csv", rows))
    assert "申请日“2022-13-45”不是可识别的日期" in parsed.rows[0].error
    assert parsed.rows[1].data is not None


@pytest.mark.parametrize("headings, message", [
    (["申请号", "摘要"], "缺少必需的列：专利名称"),
    (["专利名称", "摘要", "申请人"], "缺少必需的列：申请号或公开（公告）号"),
])
def test_missing_required_columns_is_a_file_error(tmp_path, headings, message):
    path = write_csv(tmp_path / "p.csv", [["x"] * len(headings)], headings=headings)
    with pytest.raises(FileError, match=message):
        read_file(path)
    path = write_xlsx(tmp_path / "p.xlsx", [["x"] * len(headings)], headings=headings)
    with pytest.raises(FileError, match=message):
        read_file(path)


def test_merged_heading_cells_are_refused(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["申请号", "专利名称", None, "摘要"])
    sheet.merge_cells("B1:C1")
    sheet.append(["CN202211740332.4", "一种图像去噪方法", "", ""])
    workbook.save(tmp_path / "merged.xlsx")
    with pytest.raises(FileError, match=r"合并单元格（B1:C1）"):
        read_file(tmp_path / "merged.xlsx")


def test_an_empty_heading_cell_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", [["CN202211740332.4", "x", "一种方法"]], headings=["申请号", None, "专利名称"])
    with pytest.raises(FileError, match="第 1 行第 B 列的表头为空"):
        read_file(path)


def test_content_must_match_the_extension(tmp_path):
    xlsx = write_xlsx(tmp_path / "p.xlsx", ROWS)
    (tmp_path / "really-xlsx.csv").write_bytes(xlsx.read_bytes())
    with pytest.raises(FileError, match=r"扩展名是 \.csv，但内容是 Excel"):
        read_file(tmp_path / "really-xlsx.csv")
    csv_path = write_csv(tmp_path / "p.csv", ROWS)
    (tmp_path / "really-csv.xlsx").write_bytes(csv_path.read_bytes())
    with pytest.raises(FileError, match=r"扩展名是 \.xlsx，但内容是 CSV"):
        read_file(tmp_path / "really-csv.xlsx")
    (tmp_path / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(FileError, match="不是文本或表格"):
        read_file(tmp_path / "picture.csv")
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(FileError, match=r"旧版 Excel"):
        read_file(tmp_path / "old.xlsx")


def test_empty_files_are_refused(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FileError, match="文件是空的"):
        read_file(tmp_path / "empty.csv")
    write_csv(tmp_path / "headings-only.csv", [])
    with pytest.raises(FileError, match="没有数据行"):
        read_file(tmp_path / "headings-only.csv")


# --- the report ------------------------------------------------------------------------------

BAD_ROWS = [
    ROWS[0],                                                                          # row 2: imported
    ["CN202310123456.7", "", "校验位错误的专利", "", "G06F16/35", "", "", "", "2023-01-01", ""],   # row 3
    ["", "CN116510786B", "分类号错误的专利", "", "G6F16/35", "", "", "", "", ""],                  # row 4
    ["201710601862.3", "", "授权早于申请的专利", "", "H01M4/36", "", "", "", "2017-07-21", "2016-01-01"],  # row 5
    ["CN202121635235.X", "", "", "", "B64C39/02", "", "", "", "2021-07-15", ""],                   # row 6
    ["CN201810336559.X", "", "一种检测装置", "", "G01N21/00", "", "", "", "2018-04-16", "2020-01-10"],  # row 7
]


def test_the_row_report_names_each_row_and_reason(tmp_path, university):
    report = run_import(university, write_csv(tmp_path / "p.csv", BAD_ROWS))
    by_row = {r.row: r for r in report.results}
    assert by_row[2].status == RowStatus.imported and by_row[7].status == RowStatus.imported
    assert "校验位错误" in by_row[3].reason and by_row[3].status == RowStatus.rejected
    assert "IPC 分类号“G6F16/35”格式不正确" in by_row[4].reason
    assert "授权日不能早于申请日" in by_row[5].reason
    assert "请填写专利名称" in by_row[6].reason
    assert report.counts == {"imported": 2, "updated": 0, "unchanged": 0, "claimed": 0, "rejected": 4, "total": 6}
    patents = db.session.scalars(db.select(Patent).where(Patent.owner_id == university.id)).all()
    assert sorted(p.app_no for p in patents) == ["201810336559.X", "202211740332.4"]
    first = next(p for p in patents if p.app_no == "202211740332.4")
    assert first.ipc_codes == ["G06T5/00", "G06N3/08"] and first.legal_status == LegalStatus.pending
    assert first.expires_on == date(2042, 12, 29)


def test_reimporting_changes_nothing_and_a_changed_row_is_an_update(tmp_path, university):
    path = write_csv(tmp_path / "p.csv", ROWS)
    assert run_import(university, path).counts["imported"] == 2
    before = {p.id: p.updated_at for p in db.session.scalars(db.select(Patent))}
    again = run_import(university, path)
    assert (again.counts["imported"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 2)
    assert {p.id: p.updated_at for p in db.session.scalars(db.select(Patent))} == before

    changed = [[*ROWS[0][:3], "新的摘要。", *ROWS[0][4:]], [*ROWS[1][:3], "", "", "", "", "", "", ""]]
    report = run_import(university, write_csv(tmp_path / "changed.csv", changed))
    assert [r.status for r in report.results] == [RowStatus.updated, RowStatus.unchanged]
    assert "摘要" in report.results[0].reason
    # A sparser file does not erase what is known.
    kept = db.session.scalar(db.select(Patent).where(Patent.app_no == "201710601862.3"))
    assert kept.app_date == date(2017, 7, 21) and kept.applicants == "鼓楼大学"


def test_a_file_does_not_revive_a_lapsed_patent_unless_it_says_so(tmp_path, university):
    path = write_csv(tmp_path / "p.csv", ROWS[1:])
    run_import(university, path)
    patent = db.session.scalar(db.select(Patent).where(Patent.app_no == "201710601862.3"))
    patent.legal_status = LegalStatus.lapsed
    db.session.commit()
    assert run_import(university, path).counts["unchanged"] == 1
    assert db.session.get(Patent, patent.id).legal_status == LegalStatus.lapsed


def test_a_patent_of_another_organisation_becomes_a_claim_and_is_untouched(tmp_path, make, university):
    other = make.org(OrgKind.university)
    theirs = make.patent(other, app_no="202211740332.4", title="他们的专利")
    report = run_import(university, write_csv(tmp_path / "p.csv", ROWS), publish_kind="licence")
    assert report.results[0].status == RowStatus.claimed
    assert "已由其他机构登记" in report.results[0].reason
    assert report.results[0].listing == ListingOutcome.not_published
    assert report.results[1].status == RowStatus.imported
    db.session.refresh(theirs)
    assert theirs.owner_id == other.id and theirs.title == "他们的专利"
    claim = db.session.scalars(db.select(OwnershipClaim)).one()
    assert (claim.patent_id, claim.org_id, claim.status) == (theirs.id, university.id, ClaimStatus.pending)
    assert not db.session.scalars(db.select(Listing).join(ListingPatent).where(
        ListingPatent.patent_id == theirs.id)).all()


def test_the_same_patent_twice_in_one_file_is_imported_once(tmp_path, university):
    rows = [ROWS[0], [*ROWS[0][:3], "第二次出现时补充的摘要。", *ROWS[0][4:]]]
    report = run_import(university, write_csv(tmp_path / "p.csv", rows))
    assert [r.status for r in report.results] == [RowStatus.imported, RowStatus.updated]
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 1


def test_a_row_the_database_refuses_is_rejected_alone_and_leaves_nothing_behind(tmp_path, make, university,
                                                                                 monkeypatch):
    from marketplace.patents import importer

    user = make.user(university)
    make.patent(university, app_no="201710601862.3", title="已登记")
    # Simulate another process registering the number between our look-up and our insert:
    # the batch's INSERT fails, and the rows are replayed one SAVEPOINT at a time.
    monkeypatch.setattr(importer._Importer, "_load_existing", lambda self, plans: None)
    report = run_import(university, write_csv(tmp_path / "p.csv", ROWS), publish_kind="licence", user=user)
    first, second = report.results
    assert first.status == RowStatus.imported and first.listing == ListingOutcome.published
    assert second.status == RowStatus.rejected and "数据库拒绝了该行" in second.reason
    assert second.listing is None
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 2
    listings = db.session.scalars(db.select(Listing)).all()
    assert [listing.patents[0].app_no for listing in listings] == ["202211740332.4"]


def test_progress_is_reported_per_batch(tmp_path, university):
    calls = []
    rows = [[f"CN{body}.{check(body)}", "", f"一种方法{i}", "", "G06F16/35", "", "", "", "2023-01-01", ""]
            for i, body in enumerate(f"20231{n:07d}" for n in range(1, 8))]
    report = run_import(university, write_csv(tmp_path / "p.csv", rows), batch_size=3,
                        progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 7), (6, 7), (7, 7)]
    assert report.counts["imported"] == 7


def check(body: str) -> str:
    from marketplace.patents.numbers import check_digit

    return check_digit(body)


# --- publishing -------------------------------------------------------------------------------

PUBLISH_ROWS = [
    # granted invention, IPC G06N: published, industry AI
    {"title": "一种神经网络训练方法", "pub_no": "CN116510786B", "ipc_all": ["G06N3/08"], "app_no": None},
    # application only (kind A): not granted
    {"title": "一种电池管理方法", "pub_no": "CN119685941A", "ipc_all": ["H01M10/42"], "app_no": None},
    # utility model without an evaluation report
    {"title": "一种夹具", "pub_no": "CN215934448U", "ipc_all": ["B25B11/00"], "app_no": None},
    # utility model with one
    {"title": "一种无人机机载多功能盒", "app_no": "CN202223220665.2", "pub_no": "CN218751475U",
     "app_date": "2022-12-02", "grant_date": "2023-03-28", "ipc_all": ["B64U20/80"],
     "evaluation_report_no": "2023101234567"},
]


def test_publishing_open_licences_with_default_terms(tmp_path, make, university):
    user = make.user(university)
    path = write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS)
    report = run_import(university, path, publish_kind="open_licence", user=user)
    outcomes = [r.listing for r in report.results]
    assert outcomes == [ListingOutcome.published, ListingOutcome.not_published, ListingOutcome.not_published,
                        ListingOutcome.published]
    assert "尚未授权" in report.results[1].listing_reason
    assert "评价报告编号" in report.results[2].listing_reason
    assert report.counts["published"] == 2 and report.counts["not_published"] == 2

    ai = db.session.get(Listing, report.results[0].listing_id)
    assert ai.status == ListingStatus.published and ai.published_at is not None
    assert ai.title == "一种神经网络训练方法" and ai.industry == Industry.ai
    assert ai.payment_method == PaymentMethod.royalty and ai.royalty_rate == Decimal("3")
    assert ai.term_start == business_today() and ai.term_end == add_years(business_today(), 5)  # expiry unknown
    assert ai.created_by_id == user.id and ai.items[0].slot.value == "exclusivity"
    drone = db.session.get(Listing, report.results[3].listing_id)
    assert drone.term_end == date(2032, 12, 1)  # the utility model's expiry, not 5 years
    assert drone.industry == Industry.high_end_equipment

    again = run_import(university, path, publish_kind="open_licence", user=user)
    assert [r.listing for r in again.results][0] == ListingOutcome.existing
    assert again.counts["imported"] == 0 and again.counts["published"] == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 2


def test_listing_terms_can_be_overridden(tmp_path, make, university):
    terms = ListingTerms(fee=Decimal("20000"), royalty_rate=Decimal("2.5"), term_years=2)
    report = run_import(university, write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS[:1]),
                        publish_kind="open_licence", listing_terms=terms)
    listing = db.session.get(Listing, report.results[0].listing_id)
    assert listing.payment_method == PaymentMethod.entry_fee_plus_royalty
    assert (listing.fee_amount, listing.royalty_rate) == (Decimal("20000.00"), Decimal("2.50"))
    assert listing.term_end.year == date.today().year + 2


@pytest.mark.parametrize("kind", ["licence", "transfer"])
def test_licence_and_transfer_listings_for_pending_patents_too(tmp_path, university, kind):
    report = run_import(university, write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS), publish_kind=kind)
    assert report.counts["published"] == 4
    listing = db.session.get(Listing, report.results[1].listing_id)
    assert listing.kind == ListingKind(kind) and listing.asking_price is None  # negotiable
    assert listing.industry == Industry.new_energy


def test_publishing_respects_encumbrances_of_known_patents(tmp_path, make, university):
    licensee = make.org(OrgKind.enterprise)
    run_import(university, write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS[:1]))
    patent = db.session.scalar(db.select(Patent).where(Patent.pub_no == "CN116510786B"))
    db.session.add(Encumbrance(patent_id=patent.id, kind=EncumbranceKind.exclusive_licence, holder_id=licensee.id))
    db.session.commit()
    report = run_import(university, write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS[:1]), publish_kind="open_licence")
    assert report.results[0].status == RowStatus.unchanged
    assert report.results[0].listing == ListingOutcome.not_published
    assert "独占或排他许可" in report.results[0].listing_reason


def test_an_unverified_organisation_may_import_but_not_publish(tmp_path, make):
    pending = make.org(OrgKind.university, status=OrgStatus.pending)
    path = write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS)
    with pytest.raises(NotVerified):
        run_import(pending, path, publish_kind="open_licence")
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 0
    assert run_import(pending, path).counts["imported"] == 4


def test_industry_is_guessed_from_the_ipc_subclass():
    assert guess_industry(["G06N3/08"]) == Industry.ai
    assert guess_industry(["A61K31/00"]) == Industry.biomedicine
    assert guess_industry(["H02J7/00"]) == Industry.new_energy
    assert guess_industry(["C08L"]) == Industry.new_materials
    assert guess_industry(["F16H1/00"]) == Industry.high_end_equipment
    assert guess_industry(["A01G"]) == Industry.modern_agriculture
    assert guess_industry(["E04B1/00", "H01L21/00"]) == Industry.electronics
    assert guess_industry([]) == Industry.other


# --- the command ----------------------------------------------------------------------------

def test_command_imports_publishes_and_reports(tmp_path, runner, make, university):
    path = write_csv(tmp_path / "p.csv", BAD_ROWS)
    result = runner.invoke(args=["import-patents", str(path), "--owner", university.uscc,
                                 "--publish", "licence", "--fee", "100000"])
    assert result.exit_code == 0, result.output
    assert "共 6 行：新增 2，更新 0，未变 0，拒绝 4。" in result.stdout
    assert "挂牌（许可）：发布 2，未发布 0，已有同类挂牌 0。" in result.stdout
    assert "第 3 行\tCN202310123456.7\t申请号校验位错误" in result.stdout
    assert "第 6 行" in result.stdout
    listing = db.session.scalars(db.select(Listing)).first()
    assert listing.asking_price == Decimal("100000.00")

    again = runner.invoke(args=["import-patents", str(path), "--owner", university.name,
                                "--publish", "licence", "--report", str(tmp_path / "report.csv")])
    assert again.exit_code == 0
    assert "新增 0，更新 0，未变 2，拒绝 4" in again.stdout and "已有同类挂牌 2" in again.stdout
    lines = (tmp_path / "report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("行号,结果") and len(lines) == 7


def test_command_file_level_errors_exit_non_zero(tmp_path, runner, university):
    path = write_csv(tmp_path / "p.csv", [["x"]], headings=["摘要"])
    result = runner.invoke(args=["import-patents", str(path), "--owner", str(university.id)])
    assert result.exit_code != 0 and "缺少必需的列" in result.output
    unknown = runner.invoke(args=["import-patents", str(path), "--owner", "没有这个机构"])
    assert unknown.exit_code != 0 and "找不到机构" in unknown.output


def test_command_refuses_to_publish_for_an_unverified_owner(tmp_path, runner, make):
    pending = make.org(OrgKind.university, status=OrgStatus.pending)
    path = write_jsonl(tmp_path / "p.jsonl", PUBLISH_ROWS)
    result = runner.invoke(args=["import-patents", str(path), "--owner", str(pending.id), "--publish", "transfer"])
    assert result.exit_code != 0 and "尚未通过平台审核" in result.output


# --- the real data ---------------------------------------------------------------------------

def test_the_shared_file_imports_completely_and_a_second_run_adds_nothing(shared_patents, make, university):
    first = run_import(university, shared_patents, publish_kind="open_licence")
    assert first.counts["total"] == 11217
    assert first.counts["imported"] == 11217 and first.counts["rejected"] == 0
    assert first.counts["published"] > 900  # the granted inventions (kind B)
    in_registry = db.session.scalar(db.select(db.func.count()).select_from(Patent)
                                    .where(Patent.owner_id == university.id))
    assert in_registry == 11217
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)
                             .where(Patent.patent_type == PatentType.utility)) > 4000
    second = run_import(university, shared_patents, publish_kind="open_licence")
    assert (second.counts["imported"], second.counts["updated"], second.counts["published"]) == (0, 0, 0)
    assert second.counts["unchanged"] == 11217 and second.counts["existing"] == first.counts["published"]
