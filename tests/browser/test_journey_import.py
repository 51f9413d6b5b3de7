"""Journey: a university imports a small file, publishes open licences, and the public page shows one."""

from __future__ import annotations

from marketplace.accounts.models import OrgKind
from marketplace.extensions import db
from marketplace.patents.import_jobs import ImportJob, ImportStatus

from ..conftest import PASSWORD
from .conftest import screenshot, sign_in

CSV_TEXT = ("公开号,专利名称,摘要,主分类号,申请人\n"
            "CN116510786B,一种双核金催化剂及其制备方法,本发明公开了一种双核金催化剂。,B01J31/24,闽江测试大学\n"
            "CN119685941A,一种高通量测序方法,尚在审查中的申请。,C12Q1/68,闽江测试大学\n"
            "CN11651,公开号错误的专利,,G06F16/35,闽江测试大学\n")


def test_import_a_file_and_publish_open_licences(page, live_server, live_app, live_make, tmp_path):
    live_make.rng.seed(20240601)  # live_make restarts its USCC sequence each test; the database persists
    user = live_make.user(live_make.org(OrgKind.university, name="闽江测试大学"), email="import-journey@example.cn")
    org_id, user_id = user.organization_id, user.id
    base = live_server.url
    path = tmp_path / "专利清单.csv"
    path.write_text(CSV_TEXT, encoding="utf-8-sig")

    # 1. Upload with "publish as open licence": the report counts rows and names the rejected one.
    sign_in(page, base, user.email, PASSWORD)
    page.get_by_test_id("nav-main").get_by_role("link", name="我的专利").click()
    page.get_by_role("link", name="批量导入专利").click()
    page.get_by_label("专利清单文件").set_input_files(str(path))
    page.get_by_label("导入后同时发布为").select_option("open_licence")
    page.get_by_role("button", name="上传并导入").click()
    assert page.get_by_test_id("count-imported").inner_text() == "2"
    assert page.get_by_test_id("count-rejected").inner_text() == "1"
    assert "公开（公告）号格式不正确" in page.get_by_test_id("rejected-rows").inner_text()
    assert "发布 1" in page.get_by_test_id("listing-counts").inner_text()
    assert "尚未授权" in page.get_by_test_id("listing-reasons").inner_text()
    screenshot(page, "journey-import-1-report")

    # 2. The published open licence is on its public page.
    page.get_by_test_id("published-listings").get_by_role("link").first.click()
    assert page.get_by_test_id("listing-title").inner_text() == "一种双核金催化剂及其制备方法"
    assert "开放许可" in page.get_by_test_id("listing-kind").inner_text()
    screenshot(page, "journey-import-2-listing")

    # 3. A job still running: the page polls its status and shows the report when it ends.
    with live_app.app_context():
        job = ImportJob(owner_id=org_id, user_id=user_id, filename="大文件.xlsx", stored_path="/nonexistent",
                        status=ImportStatus.running, total=1000, processed=400)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page.goto(f"{base}/patents/import/{job_id}")
    assert page.get_by_test_id("import-progress").get_by_role("progressbar").get_attribute("aria-valuenow") == "40"
    with live_app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.processed = 1000
        job.status = ImportStatus.done
        job.counts = {"imported": 1000, "updated": 0, "unchanged": 0, "rejected": 0, "total": 1000}
        job.report = {"publish_kind": None, "rows": []}
        db.session.commit()
    page.get_by_test_id("count-imported").wait_for()
    assert page.get_by_test_id("count-imported").inner_text() == "1000"
    screenshot(page, "journey-import-3-polled")
