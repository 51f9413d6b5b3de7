"""批量导入专利 in the browser's terms: upload, job page, status, report, templates, permissions."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.patents.import_jobs import ImportJob, ImportStatus
from marketplace.patents.models import Patent
from marketplace.types import utcnow

HOLDER_NAME = "闽江测试大学"
CSV_TEXT = ("申请号,公开号,专利名称,主分类号,申请日,专利权人\n"
            f"CN202211740332.4,,一种图像去噪方法,G06T5/00,2022-12-30,{HOLDER_NAME}\n"
            f"CN202310123456.7,,校验位错误的专利,G06F16/35,2023-01-01,{HOLDER_NAME}\n"
            f",CN116510786B,一种双核金催化剂,B01J31/24,,{HOLDER_NAME}；张三\n")


def upload(client, data: bytes, filename: str = "patents.csv", publish: str = "", **kwargs):
    return client.post("/patents/import", data={"file": (io.BytesIO(data), filename), "publish": publish},
                       content_type="multipart/form-data", **kwargs)


def upload_raw(client, data: bytes, filename: str = "patents.csv", publish: str = ""):
    """A multipart body built here: werkzeug's test client spools big ones to a file it never closes."""
    boundary = "----import-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"publish\"\r\n\r\n{publish}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/patents/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def member(make):
    return make.user(make.org(OrgKind.university, name=HOLDER_NAME))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/patents/import", "/patents/import/template.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert upload(client, CSV_TEXT.encode()).status_code == 302


def test_the_import_page_offers_templates_and_publishing(as_user, member):
    html = as_user(member).get("/patents/import").get_data(as_text=True)
    assert "批量导入专利" in html and 'enctype="multipart/form-data"' in html
    assert "/patents/import/template.xlsx" in html and "/patents/import/template.csv" in html
    assert "开放许可" in html and "只导入专利，不发布挂牌" in html


def test_templates_have_the_chinese_headings_and_an_example_row(as_user, member, tmp_path):
    client = as_user(member)
    xlsx = client.get("/patents/import/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    (tmp_path / "t.xlsx").write_bytes(xlsx.data)
    rows = list(load_workbook(tmp_path / "t.xlsx").active.iter_rows(values_only=True))
    assert rows[0][:3] == ("申请号", "公开号", "专利名称") and len(rows) == 2
    text = client.get("/patents/import/template.csv").data
    assert text.startswith(b"\xef\xbb\xbf") and "评价报告编号".encode() in text
    # The templates import as they are.
    from marketplace.patents.import_reader import read_file

    assert read_file(tmp_path / "t.xlsx").rows[0].data.title == "一种基于深度学习的图像识别方法"


def test_an_upload_imports_and_shows_the_row_report(as_user, member):
    client = as_user(member)
    response = upload(client, CSV_TEXT.encode())
    assert response.status_code == 302
    job = db.session.scalars(db.select(ImportJob)).one()
    assert response.headers["Location"].endswith(f"/patents/import/{job.id}")
    assert job.status == ImportStatus.done and job.owner_id == member.organization_id
    assert job.counts["imported"] == 2 and job.counts["rejected"] == 1

    page = client.get(f"/patents/import/{job.id}").get_data(as_text=True)
    assert 'data-testid="count-imported">2<' in page and 'data-testid="count-rejected">1<' in page
    assert "校验位错误" in page and "<td>3</td>" in page  # the spreadsheet row of the bad line

    status = client.get(f"/patents/import/{job.id}/status").get_json()
    assert status["status"] == "done" and status["finished"] and status["percent"] == 100
    report = client.get(f"/patents/import/{job.id}/report.csv")
    lines = report.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("行号,结果") and len(lines) == 4 and "拒绝" in lines[2]

    again = upload(client, CSV_TEXT.encode())
    second = db.get_or_404(ImportJob, int(again.headers["Location"].rsplit("/", 1)[1]))
    assert (second.counts["imported"], second.counts["updated"], second.counts["unchanged"]) == (0, 0, 2)
    listing = client.get("/patents/import").get_data(as_text=True)
    assert listing.count("patents.csv") == 2  # the recent jobs


def test_publishing_from_the_page(as_user, member):
    client = as_user(member)
    upload(client, CSV_TEXT.encode(), publish="licence")
    job = db.session.scalars(db.select(ImportJob)).one()
    assert job.counts["published"] == 2
    page = client.get(f"/patents/import/{job.id}").get_data(as_text=True)
    assert "挂牌（许可）：发布 2" in page
    assert {listing.created_by_id for listing in db.session.scalars(db.select(Listing))} == {member.id}


def test_jobs_of_another_organisation_are_not_found(as_user, make, member, client):
    as_user(member)
    upload(client, CSV_TEXT.encode())
    job = db.session.scalars(db.select(ImportJob)).one()
    stranger = make.user(make.org(OrgKind.university))
    as_user(stranger)
    for suffix in ("", "/status", "/report.csv"):
        assert client.get(f"/patents/import/{job.id}{suffix}").status_code == 404
    assert "patents.csv" not in client.get("/patents/import").get_data(as_text=True)


def test_an_unverified_organisation_can_import_but_not_publish(as_user, make):
    user = make.user(make.org(OrgKind.university, status=OrgStatus.pending))
    client = as_user(user)
    assert "审核通过后才能发布挂牌" in client.get("/patents/import").get_data(as_text=True)
    refused = upload(client, CSV_TEXT.encode(), publish="open_licence")
    assert refused.status_code == 403 and "尚未通过平台审核" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ImportJob)) == 0
    assert upload(client, CSV_TEXT.encode()).status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 0


@pytest.mark.parametrize("data, filename, message", [
    (b"", "patents.csv", "文件是空的"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "patents.csv", "不是文本或表格"),
    (CSV_TEXT.encode(), "patents.xlsx", "扩展名是 .xlsx，但内容是 CSV"),
    (CSV_TEXT.encode(), "patents.pdf", "不支持扩展名为“.pdf”的文件"),
    ("专利名称,摘要\n一种方法,x\n".encode(), "patents.csv", "缺少必需的列：申请号或公开（公告）号"),
])
def test_bad_files_are_refused_with_a_clear_message(as_user, member, data, filename, message):
    response = upload(as_user(member), data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ImportJob)) == 0


def test_no_file_chosen(as_user, member):
    response = as_user(member).post("/patents/import", data={"publish": ""}, content_type="multipart/form-data")
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_oversized_uploads_are_refused(app, as_user, member, monkeypatch):
    client = as_user(member)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    big = upload_raw(client, b"x" * (2 * 1024 * 1024))
    assert big.status_code == 413 and "文件超过 1 MB 的上限" in big.get_data(as_text=True)
    # Just over the cap (within the multipart allowance): counted while it is stored.
    near = upload_raw(client, CSV_TEXT.encode() + b"," * (1024 * 1024))
    assert near.status_code == 422 and "文件超过 1 MB 的上限" in near.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ImportJob)) == 0


def test_a_failed_job_shows_why(as_user, member, monkeypatch):
    from marketplace.patents import import_jobs

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_jobs, "read_file", broken)
    monkeypatch.setattr(import_jobs.log, "disabled", True)
    client = as_user(member)
    upload(client, CSV_TEXT.encode())
    job = db.session.scalars(db.select(ImportJob)).one()
    assert job.status == ImportStatus.failed
    page = client.get(f"/patents/import/{job.id}").get_data(as_text=True)
    assert "导入失败" in page and "disk on fire" not in page


def test_a_running_job_page_polls_with_the_static_script(as_user, member):
    job = ImportJob(owner_id=member.organization_id, user_id=member.id, filename="big.xlsx",
                    stored_path="/nonexistent", total=4000, processed=1000, status=ImportStatus.running)
    db.session.add(job)
    db.session.commit()
    client = as_user(member)
    page = client.get(f"/patents/import/{job.id}").get_data(as_text=True)
    assert f'data-import-status-url="/patents/import/{job.id}/status"' in page
    assert "/static/js/import.js" in page and "<script>" not in page  # CSP: no inline scripts
    assert client.get(f"/patents/import/{job.id}/status").get_json()["percent"] == 25


# --- interrupted jobs: resumed after their last committed batch, or failed with a reason -------

def csv_rows(n: int, holder: str, start: int = 1) -> bytes:
    """n valid rows naming `holder` as patentee (a web import registers only its own patents)."""
    rows = "".join(f"CN{body}.{_check(body)},一种数据处理方法{k},G06F16/35,{holder}\n"
                   for k, body in enumerate((f"20231{m:07d}" for m in range(start, start + n)), start=start))
    return ("申请号,专利名称,主分类号,专利权人\n" + rows).encode()


def stored_job(app, member, data: bytes, publish: str | None = "licence") -> ImportJob:
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{time.monotonic_ns()}.csv"
    path.write_bytes(data)
    job = ImportJob(owner_id=member.organization_id, user_id=member.id, filename="big.csv",
                    stored_path=str(path), file_format="csv", publish_kind=publish)
    db.session.add(job)
    db.session.commit()
    return job


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the job catches it."""


def die_in_batch(monkeypatch, number: int) -> None:
    from marketplace.patents import importer

    original, calls = importer._Importer.run_batch, []

    def run_batch(self, sources):
        calls.append(1)
        if len(calls) >= number:
            raise WorkerKilled()
        return original(self, sources)

    monkeypatch.setattr(importer._Importer, "run_batch", run_batch)


def lease_ends(job: ImportJob) -> None:
    from marketplace.patents.import_jobs import LEASE

    db.session.rollback()  # the dead worker's uncommitted batch is gone with it
    db.session.execute(db.update(ImportJob).where(ImportJob.id == job.id)
                       .values(updated_at=utcnow() - LEASE - timedelta(seconds=1)))
    db.session.commit()


def test_an_interrupted_job_resumes_after_its_last_batch_and_imports_each_row_once(app, member, monkeypatch):
    from marketplace.patents.import_jobs import recover_jobs, run_job

    job = stored_job(app, member, csv_rows(1200, member.organization.name))
    die_in_batch(monkeypatch, 2)
    with pytest.raises(WorkerKilled):
        run_job(job.id)
    lease_ends(job)
    db.session.refresh(job)
    assert job.status == ImportStatus.running and job.processed == 500 and len(job.report["rows"]) == 500
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 500
    monkeypatch.undo()
    assert recover_jobs() == 1  # queued again; huey runs it at once here
    db.session.refresh(job)
    assert job.status == ImportStatus.done and job.attempts == 2, job.error
    assert job.counts["imported"] == 1200 and job.counts["published"] == 1200 and job.counts["total"] == 1200
    assert [row[0] for row in job.report["rows"]] == list(range(2, 1202))  # each row reported once
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 1200
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 1200
    assert not Path(job.stored_path).exists()  # the upload is gone


def test_a_job_interrupted_too_often_fails_with_its_reason_and_its_upload_removed(app, member, monkeypatch):
    from marketplace.patents.import_jobs import MAX_ATTEMPTS, recover_jobs, run_job

    job = stored_job(app, member, csv_rows(600, member.organization.name, start=5000))
    die_in_batch(monkeypatch, 1)
    with pytest.raises(WorkerKilled):
        run_job(job.id)
    for _ in range(MAX_ATTEMPTS - 1):
        lease_ends(job)
        with pytest.raises(WorkerKilled):
            recover_jobs()
    lease_ends(job)
    assert recover_jobs() == 1
    db.session.refresh(job)
    assert job.status == ImportStatus.failed and "中断" in job.error and job.finished_at is not None
    assert not Path(job.stored_path).exists()
    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 0


def test_a_running_job_within_its_lease_is_not_taken_twice(app, member):
    from marketplace.patents.import_jobs import recover_jobs, run_job

    job = stored_job(app, member, csv_rows(3, member.organization.name, start=7000))
    job.status = ImportStatus.running
    db.session.commit()
    run_job(job.id)  # another worker has it: nothing happens
    assert recover_jobs() == 0
    db.session.refresh(job)
    assert job.status == ImportStatus.running and job.attempts == 0 and Path(job.stored_path).exists()


def test_orphaned_uploads_are_cleaned_up(app, member):
    import os

    from marketplace.patents.import_jobs import clean_uploads

    queued = stored_job(app, member, csv_rows(2, member.organization.name, start=8000))
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    orphan, fresh = folder / "orphan.csv", folder / "fresh.csv"
    orphan.write_text("x")
    fresh.write_text("x")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    os.utime(queued.stored_path, (old, old))
    assert clean_uploads() == 1
    assert not orphan.exists() and fresh.exists() and Path(queued.stored_path).exists()


def _check(body: str) -> str:
    from marketplace.patents.numbers import check_digit

    return check_digit(body)
