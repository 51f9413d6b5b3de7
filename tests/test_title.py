"""Title (SPEC §3 "Who holds what", issue 11 item 1): a patent belongs to an organisation only
when its patentee is that organisation; anything else is an ownership claim an operator decides,
and until then the patent cannot be listed, pledged or insured."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal

import pytest

from marketplace.accounts.models import Organization, OrgKind, OrgStatus
from marketplace.demo.names import make_uscc
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind
from marketplace.listings.operations import ListingInput, create_listing
from marketplace.patents.importer import ListingOutcome, RowStatus
from marketplace.patents.models import Patent
from marketplace.patents.title import (
    ClaimStatus,
    OwnershipClaim,
    confirm_claim,
    holds_title,
    normalise_name,
    reject_claim,
)

PATENT_FORM = {
    "app_no": "CN202211740332.4", "title": "一种基于深度学习的图像去噪方法", "abstract": "本发明公开了一种图像去噪方法。",
    "ipc_codes": "G06T 5/70", "inventors": "王伟", "app_date": "2022-12-30", "grant_date": "2024-03-01",
    "patent_type": "", "legal_status": "",
}


@pytest.fixture
def university(make):
    return make.user(make.org(OrgKind.university, name="海西师范大学"))


def claims():
    return db.session.scalars(db.select(OwnershipClaim).order_by(OwnershipClaim.id)).all()


def transfer_input(patent) -> ListingInput:
    return ListingInput(kind=ListingKind.transfer, title="转让", description="", industry="ai",
                        patent_ids=[patent.id], asking_price=Decimal("100000"))


def test_names_compare_after_normalisation_and_aliases(make):
    org = make.org(OrgKind.institute, name="中国科学院福建物质结构研究所")
    assert normalise_name("中国科学院 福建物质结构研究所") == normalise_name("中国科学院福建物质结构研究所")
    assert holds_title(org, "张三；中国科学院福建物质结构研究所")
    assert holds_title(org, "中国科学院（福建）物质结构研究所".replace("（福建）", "福建"))
    assert not holds_title(org, "中山大学") and not holds_title(org, "")
    org.aliases = "Fujian Institute of Research on the Structure of Matter\n福建物构所"
    assert holds_title(org, "FUJIAN INSTITUTE OF RESEARCH ON THE STRUCTURE OF MATTER")
    assert holds_title(org, "福建物构所、李四")


def test_registering_someone_elses_patent_is_a_claim_that_cannot_be_listed(client, as_user, university):
    as_user(university)
    response = client.post("/patents/new", data={**PATENT_FORM, "applicants": "中山大学"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="title-pending"' in html and "中山大学" in html
    patent = db.session.scalars(db.select(Patent)).one()
    assert patent.owner_id == university.organization_id and not patent.title_confirmed
    [claim] = claims()
    assert (claim.org_id, claim.status, claim.patentees) == (university.organization_id, ClaimStatus.pending, "中山大学")
    with pytest.raises(DomainError, match="权属尚待平台核实"):
        create_listing(university, transfer_input(patent))
    refused = client.post("/listings/new?kind=transfer", data={
        "title": "转让", "description": "", "industry": "ai", "patent_ids": [str(patent.id)],
        "asking_price": "100000"})
    assert refused.status_code != 302 and "权属尚待平台核实" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 0


def test_registering_ones_own_patent_is_confirmed_at_once(client, as_user, university):
    as_user(university)
    client.post("/patents/new", data={**PATENT_FORM, "applicants": "海西师范大学；王伟"})
    patent = db.session.scalars(db.select(Patent)).one()
    assert patent.title_confirmed and claims() == []
    assert create_listing(university, transfer_input(patent)).id


def test_editing_the_patentee_away_makes_the_title_a_claim_again(client, as_user, university, make):
    patent = make.patent(university.organization)
    as_user(university)
    data = {**PATENT_FORM, "app_no": patent.number, "applicants": "别的公司有限公司"}
    assert client.post(f"/patents/{patent.id}/edit", data=data).status_code == 302
    db.session.refresh(patent)
    assert not patent.title_confirmed and claims()[0].status == ClaimStatus.pending
    # Typing the own name back does not confirm it: only an operator does.
    client.post(f"/patents/{patent.id}/edit", data={**data, "applicants": "海西师范大学"})
    db.session.refresh(patent)
    assert not patent.title_confirmed


def test_the_real_owner_arriving_later_shows_the_operator_a_conflict(client, as_user, university, make, operator):
    as_user(university)
    client.post("/patents/new", data={**PATENT_FORM, "applicants": "中山大学"})
    patent = db.session.scalars(db.select(Patent)).one()
    real = make.user(make.org(OrgKind.university, name="中山大学"))
    as_user(real)
    response = client.post("/patents/new", data={**PATENT_FORM, "applicants": "中山大学"})
    assert response.status_code == 302 and "/patents/claims/" in response.headers["Location"]
    first, second = claims()
    assert (second.org_id, second.status) == (real.organization_id, ClaimStatus.pending)
    queue = as_user(operator).get("/operator/ownership-claims").get_data(as_text=True)
    assert 'data-testid="conflict"' in queue and "冲突：2 家申报" in queue
    page = client.get(f"/patents/claims/{second.id}").get_data(as_text=True)
    assert 'data-testid="claim-conflict"' in page and "海西师范大学" in page
    # The operator confirms the real owner: the patent moves, the other claim is rejected.
    response = client.post(f"/operator/ownership-claims/{second.id}/confirm", data={"reason": "核对专利证书"})
    assert response.status_code == 302
    db.session.refresh(patent)
    db.session.refresh(first)
    assert patent.owner_id == real.organization_id and patent.title_confirmed
    assert first.status == ClaimStatus.rejected and "中山大学" in first.reason
    assert create_listing(real, transfer_input(patent)).id
    # A second decision on the same claim is a conflict, not a second change.
    again = client.post(f"/operator/ownership-claims/{second.id}/reject", data={"reason": "x"})
    assert again.status_code == 409


def test_who_may_see_and_decide_a_claim(client, as_user, university, make, operator):
    as_user(university)
    client.post("/patents/new", data={**PATENT_FORM, "applicants": "中山大学"})
    [claim] = claims()
    assert client.get(f"/patents/claims/{claim.id}").status_code == 200
    stranger = make.user(make.org(OrgKind.enterprise))
    as_user(stranger)
    assert client.get(f"/patents/claims/{claim.id}").status_code == 404
    assert client.post(f"/patents/claims/{claim.id}", data={"statement": "x"}).status_code == 404
    assert client.post(f"/operator/ownership-claims/{claim.id}/confirm", data={}).status_code == 403
    as_user(university)
    assert client.post(f"/operator/ownership-claims/{claim.id}/confirm", data={}).status_code == 403
    assert client.get("/operator/ownership-claims").status_code == 403
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.pending
    with pytest.raises(PermissionDenied):
        confirm_claim(claim, university)
    # Rejecting needs a reason the claimant will read.
    as_user(operator)
    refused = client.post(f"/operator/ownership-claims/{claim.id}/reject", data={"reason": ""})
    assert refused.status_code == 422 and "驳回理由" in refused.get_data(as_text=True)
    with pytest.raises(DomainError):
        reject_claim(claim, operator, "  ")


def test_the_claimant_adds_evidence(client, as_user, university):
    as_user(university)
    client.post("/patents/new", data={**PATENT_FORM, "applicants": "中山大学"})
    [claim] = claims()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post(f"/patents/claims/{claim.id}", data={
        "statement": "2025年受让，著录项目变更通知书见附件", "evidence": (io.BytesIO(pdf), "变更通知书.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(claim)
    assert claim.evidence is not None and claim.statement.startswith("2025年受让")
    assert client.get(f"/patents/claims/{claim.id}/evidence").data == pdf
    bad = client.post(f"/patents/claims/{claim.id}", data={"evidence": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "不是" in bad.get_data(as_text=True)


def test_a_web_import_registers_own_rows_and_claims_the_others(client, as_user, university):
    as_user(university)
    body = ("申请号,专利名称,主分类号,专利权人\n"
            "CN202211740332.4,一种图像去噪方法,G06T5/00,海西师范大学\n"
            "CN201710601862.3,一种锂电池正极材料,H01M4/36,中山大学\n"
            "CN202121635235.X,一种夹具,B25B11/00,\n")
    response = client.post("/patents/import", data={"file": (io.BytesIO(body.encode()), "p.csv"),
                                                     "publish": "licence"}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "权属待核实" in page and "中山大学" in page
    patents = {p.app_no: p for p in db.session.scalars(db.select(Patent))}
    assert patents["202211740332.4"].title_confirmed
    assert not patents["201710601862.3"].title_confirmed and not patents["202121635235.X"].title_confirmed
    assert {c.patent_id for c in claims()} == {patents["201710601862.3"].id, patents["202121635235.X"].id}
    listed = db.session.scalars(db.select(Listing)).all()
    assert [lst.patents[0].app_no for lst in listed] == ["202211740332.4"]  # none of the claims published


def test_cli_owner_records_that_the_operator_vouched(runner, make, tmp_path):
    org = make.org(OrgKind.university)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"app_no": "CN201710601862.3", "title": "一种锂电池正极材料", "applicant": "中山大学"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import-patents", str(path), "--owner", str(org.id), "--publish", "licence"])
    assert result.exit_code == 0, result.output
    patent = db.session.scalars(db.select(Patent)).one()
    assert patent.owner_id == org.id and patent.title_confirmed
    assert "运营方导入并担保权属" in patent.title_note and "p.jsonl" in patent.title_note
    assert db.session.scalar(db.select(db.func.count()).select_from(Listing)) == 1
    both = runner.invoke(args=["import-patents", str(path), "--owner", str(org.id), "--by-applicant"])
    neither = runner.invoke(args=["import-patents", str(path)])
    assert both.exit_code == 2 and neither.exit_code == 2


def test_cli_by_applicant_registers_each_patent_to_its_patentee(runner, make, tmp_path):
    known = make.org(OrgKind.university, name="中山大学")
    rows = [
        {"app_no": "CN201710601862.3", "title": "一种锂电池正极材料", "applicant": "中山大学；张三"},
        {"app_no": "CN202211740332.4", "title": "一种图像去噪方法", "applicant": "福州芯锐微电子有限公司"},
        {"app_no": "CN202121635235.X", "title": "一种夹具", "applicant": "李四"},
        {"app_no": "CN201810336559.X", "title": "一种检测方法", "applicant": "福州芯锐微电子有限公司"},
    ]
    path = tmp_path / "registry.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(args=["import-patents", str(path), "--by-applicant", "--publish", "licence"])
    assert result.exit_code == 0, result.output
    by_app = {p.app_no: p for p in db.session.scalars(db.select(Patent))}
    assert by_app["201710601862.3"].owner_id == known.id
    created = db.session.scalars(db.select(Organization).where(Organization.name == "福州芯锐微电子有限公司")).one()
    assert created.status == OrgStatus.pending and created.uscc is None and created.kind == OrgKind.enterprise
    assert by_app["202211740332.4"].owner_id == created.id == by_app["201810336559.X"].owner_id
    assert "202121635235.X" not in by_app  # a natural person's patent is not registered to an organisation
    assert "专利权人为个人" in result.output
    # Only the verified organisation's patent is published.
    assert [lst.owner_id for lst in db.session.scalars(db.select(Listing))] == [known.id]


def test_a_registry_named_organisation_registers_and_takes_over_its_record(client, make, tmp_path, runner):
    path = tmp_path / "registry.jsonl"
    path.write_text(json.dumps({"app_no": "CN202211740332.4", "title": "一种图像去噪方法",
                                "applicant": "福州芯锐微电子有限公司"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert runner.invoke(args=["import-patents", str(path), "--by-applicant"]).exit_code == 0
    placeholder = db.session.scalars(db.select(Organization)).one()
    response = client.post("/register", data={
        "org_name": "福州芯锐微电子有限公司", "kind": "enterprise", "uscc": make_uscc(random.Random(7)),
        "region": "鼓楼区", "address": "", "contact_phone": "0591-88888888", "user_name": "王伟",
        "email": "wang@xinrui.example.cn", "password": "Corr3ct-Horse-42", "confirm": "Corr3ct-Horse-42"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(placeholder)
    assert placeholder.uscc is not None and [u.email for u in placeholder.users] == ["wang@xinrui.example.cn"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Organization)) == 1
    assert db.session.scalars(db.select(Patent)).one().owner_id == placeholder.id


def test_operator_records_aliases_not_the_organisation(client, as_user, make, operator):
    org = make.org(OrgKind.institute, name="福建物质结构研究所")
    admin = make.user(org)
    assert as_user(admin).post(f"/operator/organisations/{org.id}/aliases",
                               data={"aliases": "中山大学"}).status_code == 403
    as_user(operator)
    assert client.post(f"/operator/organisations/{org.id}/aliases",
                       data={"aliases": "福建物构所\n\n Fujian Institute \n"}).status_code == 302
    db.session.refresh(org)
    assert org.aliases == "福建物构所\nFujian Institute"
    refused = client.post(f"/operator/organisations/{org.id}/aliases", data={"aliases": "长" * 201})
    assert refused.status_code == 422 and "200" in refused.get_data(as_text=True)


def test_a_registry_placeholder_cannot_be_verified_before_it_registers(make, operator):
    from marketplace.accounts.operations import verify_organization

    placeholder = make.org(OrgKind.enterprise, status=OrgStatus.pending)
    placeholder.uscc = None
    with pytest.raises(DomainError, match="尚未注册"):
        verify_organization(placeholder, operator)


def test_the_row_report_and_outcomes_name_the_claims(make, tmp_path):
    from marketplace.patents.import_reader import read_file
    from marketplace.patents.importer import import_patents

    org = make.org(OrgKind.university, name="海西师范大学")
    path = tmp_path / "p.csv"
    path.write_text("申请号,专利名称,申请人\nCN201710601862.3,一种锂电池正极材料,中山大学\n", encoding="utf-8")
    report = import_patents(org, read_file(path).rows, "licence", user=make.user(org))
    [row] = report.results
    assert row.status == RowStatus.claimed and "中山大学" in row.reason
    assert row.listing == ListingOutcome.not_published and report.counts["claimed"] == 1
