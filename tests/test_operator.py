"""The operator's pages: the verification queue, verify / reject with a reason, the user list."""

from __future__ import annotations

import re

import pytest

from marketplace.accounts import operations
from marketplace.accounts.models import Organization, OrgRole, OrgStatus
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.notify.models import Notification, OutboxMail

from .support import count, field_error, fresh_uscc, location_path, mails_to, text


def badge(page: str, label: str) -> int:
    match = re.search(rf"{label}\s*<span class=\"badge bg-secondary\">(\d+)</span>", page)
    assert match, f"no count for {label}"
    return int(match.group(1))


@pytest.fixture
def applicant(make):
    """A pending organisation with an admin and a member."""
    org = make.org("enterprise", status=OrgStatus.pending, is_sme=True, name="福州待审科技有限公司")
    make.user(org, role=OrgRole.admin, email="admin@pending.cn")
    make.user(org, email="staff@pending.cn")
    return org


def test_the_queue_lists_pending_organisations_with_counts(as_user, operator, make, applicant):
    make.org("bank", status=OrgStatus.pending, name="待审银行")
    make.org("university", status=OrgStatus.verified, name="已认证大学")
    make.org("agency", status=OrgStatus.rejected, name="未通过机构")
    page = as_user(operator).get("/operator/organisations")
    assert page.status_code == 200
    html = text(page)
    assert "福州待审科技有限公司" in html and "待审银行" in html
    assert "已认证大学" not in html and "未通过机构" not in html
    assert badge(html, "待审核") == 2
    assert badge(html, "已认证") == count(Organization, Organization.status == OrgStatus.verified)
    assert badge(html, "未通过") == 1

    verified = text(as_user(operator).get("/operator/organisations?status=verified"))
    assert "已认证大学" in verified and "待审银行" not in verified
    every = text(as_user(operator).get("/operator/organisations?status=all&kind=bank"))
    assert "待审银行" in every and "已认证大学" not in every


def test_the_organisation_page_shows_what_the_operator_checks(as_user, operator, applicant):
    html = text(as_user(operator).get(f"/operator/organisations/{applicant.id}"))
    assert applicant.uscc in html and "待审核" in html
    assert "审核通过" in html and "不予通过" in html
    assert as_user(operator).get("/operator/organisations/999999").status_code == 404


def test_verify_sets_status_reviewer_and_time_and_tells_the_organisation(as_user, operator, applicant):
    client = as_user(operator)
    response = client.post(f"/operator/organisations/{applicant.id}/verify")
    assert response.status_code == 302 and location_path(response) == "/operator/organisations"
    assert "已认证：福州待审科技有限公司" in text(client.get("/operator/organisations"))

    org = db.session.get(Organization, applicant.id)
    assert org.status == OrgStatus.verified
    assert org.reviewed_by_id == operator.id and org.reviewed_at is not None
    for user in org.users:
        [note] = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all()
        assert "已通过平台审核" in note.text
        [mail] = mails_to(user.email)
        assert "已通过平台审核" in mail.body


def test_verifying_an_already_verified_organisation_says_so_and_changes_nothing(as_user, operator, applicant):
    client = as_user(operator)
    client.post(f"/operator/organisations/{applicant.id}/verify")
    reviewed_at = db.session.get(Organization, applicant.id).reviewed_at
    mails, notes = count(OutboxMail), count(Notification)

    again = client.post(f"/operator/organisations/{applicant.id}/verify")
    assert again.status_code == 409
    assert "该机构已通过审核" in text(again)
    assert db.session.get(Organization, applicant.id).reviewed_at == reviewed_at
    assert (count(OutboxMail), count(Notification)) == (mails, notes)


def test_reject_keeps_the_reason_and_shows_it_to_the_organisation(as_user, operator, applicant):
    client = as_user(operator)
    reason = "统一社会信用代码与营业执照不一致"
    response = client.post(f"/operator/organisations/{applicant.id}/reject", data={"reason": f"  {reason} "})
    assert location_path(response) == "/operator/organisations"

    org = db.session.get(Organization, applicant.id)
    assert org.status == OrgStatus.rejected and org.status_reason == reason
    assert org.reviewed_by_id == operator.id and org.reviewed_at is not None
    assert any(reason in mail.body for mail in mails_to("admin@pending.cn"))
    assert count(Notification, Notification.text.contains(reason)) == 2

    member = org.users[1]
    org_page = text(as_user(member).get("/org"))
    assert re.search(rf'data-testid="org-status">未通过（{reason}）', org_page)
    banner = re.search(r'data-testid="unverified-banner">(.*?)</div>', org_page, re.S).group(1)
    assert "未通过审核" in banner and reason in banner


def test_reject_needs_a_reason(as_user, operator, applicant):
    client = as_user(operator)
    for reason in ("", "   "):
        response = client.post(f"/operator/organisations/{applicant.id}/reject", data={"reason": reason})
        assert response.status_code == 422
        assert "此项必填" in field_error(response, "reason")
    assert db.session.get(Organization, applicant.id).status == OrgStatus.pending
    with pytest.raises(DomainError, match="请填写不通过的原因") as refused:
        operations.reject_organization(applicant, operator, " \n ")
    assert refused.value.field == "reason"
    assert count(Notification) == 0


def test_a_rejected_organisation_can_be_verified_later_and_the_reason_is_cleared(as_user, operator, applicant):
    client = as_user(operator)
    client.post(f"/operator/organisations/{applicant.id}/reject", data={"reason": "材料不全"})
    client.post(f"/operator/organisations/{applicant.id}/verify")
    org = db.session.get(Organization, applicant.id)
    assert org.status == OrgStatus.verified and org.status_reason == ""


def test_only_operators_may_verify_or_reject(make, applicant):
    admin = make.user(role=OrgRole.admin)
    with pytest.raises(PermissionDenied):
        operations.verify_organization(applicant, admin)
    with pytest.raises(PermissionDenied):
        operations.reject_organization(applicant, admin, "不行")
    assert db.session.get(Organization, applicant.id).status == OrgStatus.pending


def test_the_user_list_searches_by_name_email_and_organisation(as_user, operator, make, applicant):
    other = make.user(make.org("bank", name="兴业测试银行"), email="credit@bank.cn")
    client = as_user(operator)
    everyone = text(client.get("/operator/users"))
    assert "admin@pending.cn" in everyone and "credit@bank.cn" in everyone and operator.email in everyone

    by_email = text(client.get("/operator/users?q=PENDING.CN"))
    assert "admin@pending.cn" in by_email and "staff@pending.cn" in by_email
    assert "credit@bank.cn" not in by_email
    by_org = text(client.get("/operator/users", query_string={"q": "兴业测试"}))
    assert "credit@bank.cn" in by_org and "admin@pending.cn" not in by_org
    by_name = text(client.get("/operator/users", query_string={"q": other.name}))
    assert "credit@bank.cn" in by_name and "admin@pending.cn" not in by_name
    assert 'value="兴业测试"' in client.get("/operator/users", query_string={"q": "兴业测试"}).get_data(as_text=True)


def test_the_user_search_treats_wildcards_as_text(as_user, operator, make):
    make.user(email="plain@example.cn")
    client = as_user(operator)
    for wildcard in ("%", "_"):
        page = text(client.get("/operator/users", query_string={"q": wildcard}))
        assert "plain@example.cn" not in page


def test_inactive_operators_are_not_told_of_new_applicants(make, operator):
    retired = make.user(operator=True, email="retired-operator@example.cn")
    retired.active = False
    db.session.commit()
    operations.register_organization(
        org_name="福州新申请有限公司", kind="enterprise", uscc=fresh_uscc(60),
        is_sme=False, region="", address="", contact_phone="", user_name="吴涛", email="wu@apply.cn",
        password="Tide-Lantern-2025")
    assert len(mails_to(operator.email)) == 1
    assert mails_to("retired-operator@example.cn") == []


def test_operator_dashboard_counts_the_verification_queue(client, make, as_user, operator):
    make.org("enterprise", status="pending")
    make.org("bank", status="pending")
    as_user(operator)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "待审核机构" in html
    panel = html[html.index('data-testid="todo-panels"'):]
    assert ">2</span>" in panel[:800]
