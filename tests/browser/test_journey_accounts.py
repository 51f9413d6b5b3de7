"""Journey: an organisation registers, an operator verifies it, its user sees the right navigation."""

from __future__ import annotations

from marketplace.accounts.models import OrgRole

from ..conftest import PASSWORD
from .conftest import screenshot, sign_in, sign_out


def test_register_verify_and_sign_in(page, live_server, live_make):
    operator = live_make.user(operator=True, role=OrgRole.admin, email="op-journey@example.cn")
    base = live_server.url

    # 1. A company registers; a mistake in the USCC is shown beside the field, what was typed is kept.
    page.goto(base + "/register")
    page.get_by_label("机构名称").fill("福州旅程测试科技有限公司")
    page.get_by_label("机构类型").select_option("enterprise")
    page.get_by_label("中小微企业").check()
    page.get_by_label("统一社会信用代码").fill("91350102MA2XXXXXX1")
    page.get_by_label("您的姓名").fill("林晓东")
    page.get_by_label("邮箱（登录名）").fill("journey@example.cn")
    page.get_by_label("密码", exact=True).fill("Tide-Lantern-2025")
    page.get_by_label("确认密码").fill("Tide-Lantern-2025")
    page.get_by_role("button", name="提交注册").click()
    assert page.get_by_text("统一社会信用代码无效").is_visible()
    assert page.get_by_label("机构名称").input_value() == "福州旅程测试科技有限公司"
    screenshot(page, "journey-accounts-1-register-error")

    page.get_by_label("统一社会信用代码").fill("91350100M000100Y43")
    page.get_by_label("密码", exact=True).fill("Tide-Lantern-2025")
    page.get_by_label("确认密码").fill("Tide-Lantern-2025")
    page.get_by_role("button", name="提交注册").click()
    assert page.get_by_test_id("org-status").inner_text() == "待审核"
    assert page.get_by_test_id("unverified-banner").is_visible()
    sign_out(page)

    # 2. The operator verifies it.
    sign_in(page, base, operator.email, PASSWORD)
    page.get_by_test_id("nav-admin").get_by_role("button", name="平台管理").click()
    page.get_by_test_id("nav-admin").get_by_role("link", name="机构审核").click()
    page.get_by_role("link", name="福州旅程测试科技有限公司").click()
    page.get_by_role("button", name="审核通过").click()
    assert page.get_by_text("已认证：福州旅程测试科技有限公司").is_visible()
    screenshot(page, "journey-accounts-2-verified")
    sign_out(page)

    # 3. Its user signs in and sees a verified organisation, without operator navigation.
    sign_in(page, base, "journey@example.cn", "Tide-Lantern-2025")
    assert page.get_by_test_id("org-status").inner_text() == "已认证"
    nav = page.get_by_test_id("nav-main").inner_text()
    assert "工作台" in nav and "平台管理" not in nav and page.get_by_test_id("nav-admin").count() == 0
    assert page.get_by_test_id("unverified-banner").count() == 0
    screenshot(page, "journey-accounts-3-dashboard")
