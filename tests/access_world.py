"""One world for the access matrix: every kind of organisation, and one of each object they
may or may not see, built through the real operations."""

from __future__ import annotations

import io
from datetime import timedelta

from marketplace.accounts.models import OrgKind, OrgRole, OrgStatus
from marketplace.dates import business_today as today
from marketplace.deals import operations as deal_ops
from marketplace.deals.inquiries import operations as inquiry_ops
from marketplace.extensions import db
from marketplace.files import storage
from marketplace.finance import appraisals as appraisal_ops
from marketplace.finance import insurance as insurance_ops
from marketplace.finance.machines import PolicyType
from marketplace.listings.models import ListingKind
from marketplace.patents.import_jobs import ImportJob
from marketplace.patents.title import open_claim

from .conftest import login
from .finance_helpers import PDF, PNG, submit, upload

VIEWERS = ("anonymous", "uni", "uni2", "sme", "other", "bank_a", "bank_b", "insurer", "agency", "operator",
           "unverified")

IMPORT_CSV = "申请号,专利名称,主分类号,申请日\nCN202211740332.4,一种图像去噪方法,G06T5/00,2022-12-30\n".encode()


def build_world(app, client, make) -> dict:
    w: dict = {}
    with app.test_request_context():
        w["uni"] = make.user(make.org(OrgKind.university, name="矩阵大学甲"), role=OrgRole.admin)
        w["uni2"] = make.user(make.org(OrgKind.university, name="矩阵大学乙"), role=OrgRole.admin)
        w["sme"] = make.user(make.org(OrgKind.enterprise, is_sme=True, name="矩阵小微企业"), role=OrgRole.admin)
        w["other"] = make.user(make.org(OrgKind.enterprise, name="矩阵其他企业"), role=OrgRole.admin)
        w["bank_a"] = make.user(make.org(OrgKind.bank, name="矩阵银行甲"))
        w["bank_b"] = make.user(make.org(OrgKind.bank, name="矩阵银行乙"))
        w["insurer"] = make.user(make.org(OrgKind.insurer, name="矩阵保险"))
        w["agency"] = make.user(make.org(OrgKind.agency, name="矩阵评估所"))
        w["operator"] = make.user(operator=True, role=OrgRole.admin)
        w["unverified"] = make.user(make.org(OrgKind.enterprise, status=OrgStatus.pending, name="矩阵待审企业"),
                                    role=OrgRole.admin)
        uni, sme = w["uni"], w["sme"]

        listings = {kind: make.listing(uni, kind=kind) for kind in ListingKind}
        w["listing"] = listings
        w["draft"] = make.listing(uni, kind=ListingKind.transfer, publish=False, title="矩阵草稿")
        w["unlisted_patent"] = make.patent(uni.organization, title="矩阵未挂牌专利")
        # The university claims a patent the record gives to the other university, with evidence.
        w["claim"] = open_claim(make.patent(w["uni2"].organization), uni.organization, uni,
                                evidence=storage.save(storage.check_upload(upload(PDF, "证书.pdf")), uni))
        w["listed_patent"] = listings[ListingKind.transfer].patents[0]

        # Pledge: one request to bank A only (with a document), one to bank B: a review per bank.
        w["pledge_patent"] = make.patent(sme.organization, title="矩阵质押专利")
        w["request_a"] = submit(sme, [w["bank_a"]], [w["pledge_patent"]], uploads=[upload(PDF, "报表.pdf")])
        w["request_b"] = submit(sme, [w["bank_b"]], [make.patent(sme.organization)])
        w["review_a"], w["review_b"] = w["request_a"].reviews[0], w["request_b"].reviews[0]
        w["pledge_doc"] = w["request_a"].documents[0]

        # Deals between the university and the SME, one of each kind, and a document on two.
        w["deal"] = {
            "open_licence": deal_ops.accept_open_licence(listings[ListingKind.open_licence], sme, "书面通知"),
            **{kind.value: deal_ops.propose_deal(listings[kind], sme, amount="100000", terms="条件")
               for kind in (ListingKind.licence, ListingKind.transfer, ListingKind.equity)},
        }
        w["deal_doc"] = deal_ops.attach_document(w["deal"]["transfer"], uni, upload(PDF, "合同.pdf"), "合同")
        w["other_deal_doc"] = deal_ops.attach_document(w["deal"]["licence"], sme, upload(PNG, "凭证.png"), "付款凭证")
        w["thread"] = inquiry_ops.open_thread(listings[ListingKind.equity], w["other"], "请问入股条件？")

        w["appraisal"] = appraisal_ops.attach_appraisal(
            w["agency"], patent_number=w["pledge_patent"].number, amount="8000000", method="income",
            appraised_on=today(), report=upload(PDF, "评估报告.pdf"))
        insured = make.patent(sme.organization)
        w["policy"] = insurance_ops.record_policy(w["insurer"], insurance_ops.PolicyInput(
            insured_org_id=sme.organization_id, patent_ids=[insured.id], policy_type=PolicyType.enforcement,
            premium="12000", coverage="1000000", starts_on=today(), ends_on=today() + timedelta(days=365)))
        w["quote"] = insurance_ops.request_quote(sme, insurer_id=w["insurer"].organization_id,
                                                 patent_ids=[make.patent(sme.organization).id],
                                                 policy_type=PolicyType.enforcement, coverage_wanted="500000")
        db.session.commit()
    with app.test_request_context():
        from marketplace.demands.operations import DemandInput, create_demand

        w["demand"] = create_demand(sme, DemandInput(title="矩阵技术需求：电池热管理", description="需要电池热管理技术",
                                                      wanted_kinds=["licence", "transfer"]), publish=True)
        db.session.commit()
    w["job"] = _import_job(app, client, uni)
    w["deal_id"] = {kind: deal.id for kind, deal in w["deal"].items()}
    return w


def _import_job(app, client, user) -> ImportJob:
    login(client, user)
    response = client.post("/patents/import", data={"file": (io.BytesIO(IMPORT_CSV), "p.csv"), "publish": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.session_transaction() as session:
        session.clear()
    return db.session.scalar(db.select(ImportJob).where(ImportJob.owner_id == user.organization_id))


def sign_in_as(client, world: dict, viewer: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    if viewer != "anonymous":
        login(client, world[viewer])
