"""Finance pages through real form posts: bank isolation, documents, forms, queues, insurance."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.dates import business_today as today
from marketplace.extensions import db
from marketplace.finance import insurance as insurance_ops
from marketplace.finance.machines import PolicyStatus, PolicyType, ReviewStatus
from marketplace.finance.models import Appraisal, PledgeReview
from marketplace.finance.policies import InsurancePolicy

from .finance_helpers import FAKE_PDF, PDF, PNG, drive, ledger_count, submit, upload


@pytest.fixture
def world(app, make):
    """A holder's request sent to one bank; another bank, an enterprise and an operator look on."""
    with app.test_request_context():
        holder = make.user(kind="enterprise", is_sme=True)
        chosen, other_bank = make.user(kind="bank"), make.user(kind="bank")
        patent = make.patent(holder.organization, claims_count=6)
        request = submit(holder, [chosen], [patent], uploads=[upload(PDF, "财务报表.pdf"), upload(PNG, "执照.png")])
        db.session.commit()
        return {"holder": holder, "chosen": chosen, "other_bank": other_bank, "patent": patent, "request": request,
                "review": request.reviews[0], "enterprise": make.user(kind="enterprise"),
                "operator": make.user(operator=True), "colleague": make.user(holder.organization)}


VIEWERS = ["holder", "colleague", "chosen", "other_bank", "enterprise", "operator", "anonymous"]


def as_viewer(client, world, viewer, as_user):
    if viewer != "anonymous":
        as_user(world[viewer])


@pytest.mark.parametrize("viewer, request_page, review_page, document", [
    ("holder", 200, 302, 200), ("colleague", 200, 302, 200), ("chosen", 302, 200, 200),
    ("other_bank", 404, 404, 404), ("enterprise", 404, 404, 404), ("operator", 200, 200, 404),
    ("anonymous", 302, 302, 302),
])
def test_bank_isolation_matrix(client, world, as_user, viewer, request_page, review_page, document):
    as_viewer(client, world, viewer, as_user)
    req, review = world["request"], world["review"]
    assert client.get(f"/finance/requests/{req.id}").status_code == request_page
    assert client.get(f"/finance/reviews/{review.id}").status_code == review_page
    doc = req.documents[0]
    response = client.get(f"/finance/requests/{req.id}/documents/{doc.id}")
    assert response.status_code == document
    if document == 200:
        assert response.data == PDF and response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_only_the_chosen_bank_may_act_on_its_review(client, world, as_user, viewer):
    as_viewer(client, world, viewer, as_user)
    count = ledger_count()
    response = client.post(f"/finance/reviews/{world['review'].id}/start")
    expected = {"chosen": 302, "holder": 403, "colleague": 403, "anonymous": 302}.get(viewer, 404)
    assert response.status_code == expected
    db.session.expire_all()
    moved = db.session.get(PledgeReview, world["review"].id).status == ReviewStatus.under_review
    assert moved == (viewer == "chosen")
    assert ledger_count() == count + (1 if viewer == "chosen" else 0)


def test_a_document_of_another_request_is_404_even_for_a_bank_of_this_one(client, world, as_user, make, app):
    with app.test_request_context():
        other_holder = make.user(kind="enterprise")
        other = submit(other_holder, [world["other_bank"]], [make.patent(other_holder.organization)],
                       uploads=[upload()])
        db.session.commit()
    as_user(world["chosen"])
    assert client.get(f"/finance/requests/{world['request'].id}/documents/{other.documents[0].id}").status_code == 404
    assert client.get(f"/finance/requests/{other.id}/documents/{other.documents[0].id}").status_code == 404


def test_documents_live_outside_static_under_random_names(app, world):
    stored = world["request"].documents[0].file
    assert stored.stored_name != "财务报表.pdf" and len(stored.stored_name) >= 36
    upload_dir = app.config["UPLOAD_DIR"]
    assert "static" not in upload_dir
    import pathlib

    assert (pathlib.Path(upload_dir) / "documents" / stored.stored_name).read_bytes() == PDF


def post_request(client, world, **overrides):
    data = {"patent_ids": [str(world["patent"].id)], "amount": "3000000", "term_months": "12", "purpose": "购置设备",
            "industry": "big_data", "bank_ids": [str(world["chosen"].organization_id)],
            "documents": [(io.BytesIO(PDF), "申请书.pdf")]}
    data.update(overrides)
    return client.post("/finance/requests/new", data=data, content_type="multipart/form-data")


def test_a_holder_submits_through_the_form(client, app, make, as_user):
    with app.test_request_context():
        holder = make.user(kind="enterprise")
        bank = make.user(kind="bank")
        patent = make.patent(holder.organization)
    as_user(holder)
    page = client.get("/finance/requests/new").get_data(as_text=True)
    assert patent.title in page and bank.organization.name in page
    response = post_request(client, {"patent": patent, "chosen": bank})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_file_that_claims_to_be_a_pdf_but_is_not_is_refused_and_nothing_is_kept(client, app, make, as_user):
    with app.test_request_context():
        holder = make.user(kind="enterprise")
        bank = make.user(kind="bank")
        patent = make.patent(holder.organization)
    as_user(holder)
    count = ledger_count()
    response = post_request(client, {"patent": patent, "chosen": bank},
                            documents=[(io.BytesIO(FAKE_PDF), "报告.pdf", "application/pdf")], purpose="保留的用途说明")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "不是 PDF、JPEG、PNG 文件" in html
    assert "保留的用途说明" in html  # what was typed is kept
    assert ledger_count() == count and db.session.scalar(db.select(db.func.count(PledgeReview.id))) == 0


def test_an_oversized_file_is_refused(client, app, make, as_user):
    app.config["DOCUMENT_MAX_BYTES"] = 1024
    try:
        with app.test_request_context():
            holder = make.user(kind="enterprise")
            bank = make.user(kind="bank")
            patent = make.patent(holder.organization)
        as_user(holder)
        response = post_request(client, {"patent": patent, "chosen": bank},
                                documents=[(io.BytesIO(PDF + b"0" * 2048), "大文件.pdf")])
        assert "超过" in response.get_data(as_text=True) and ledger_count() == 0
    finally:
        app.config.pop("DOCUMENT_MAX_BYTES")


def test_the_bank_walks_the_loan_through_the_review_page(client, world, as_user):
    review_url = f"/finance/reviews/{world['review'].id}"
    as_user(world["chosen"])
    assert client.post(review_url + "/start").status_code == 302
    bad = client.post(review_url + "/approve", data={"approve-amount": "9000000", "approve-rate": "4.35",
                                                     "approve-term_months": "12"})
    assert bad.status_code == 422 and "不能超过申请金额" in bad.get_data(as_text=True)
    bad = client.post(review_url + "/approve", data={"approve-amount": "1000000", "approve-rate": "37",
                                                     "approve-term_months": "12"})
    assert "0–36%" in bad.get_data(as_text=True)
    early = client.post(review_url + "/disburse", data={"disburse-amount": "1000000",
                                                        "disburse-disbursed_on": today().isoformat()})
    assert early.status_code == 409 and "质押登记之后" in early.get_data(as_text=True)
    for action, data in (("approve", {"approve-amount": "2500000", "approve-rate": "3.85", "approve-term_months": "12"}),
                         ("register", {"register-registration_no": "Y2025350000777",
                                       "register-registered_on": today().isoformat()}),
                         ("disburse", {"disburse-amount": "2500000", "disburse-disbursed_on": today().isoformat()})):
        assert client.post(f"{review_url}/{action}", data=data).status_code == 302, action
    as_user(world["holder"])
    html = client.get(f"/finance/requests/{world['request'].id}").get_data(as_text=True)
    assert "已放款" in html and "¥2,500,000.00" in html and "Y2025350000777" in html


def test_the_holder_answers_an_information_request_in_the_thread(client, world, as_user, app):
    with app.test_request_context():
        drive(world["review"], world["holder"], world["chosen"], "info_requested")
        db.session.commit()
    as_user(world["holder"])
    assert "请补充近两年财务报表" in client.get(f"/finance/requests/{world['request'].id}").get_data(as_text=True)
    client.post(f"/finance/reviews/{world['review'].id}/messages", data={"message": "报表已上传。"})
    db.session.expire_all()
    assert db.session.get(PledgeReview, world["review"].id).status == ReviewStatus.under_review


def test_the_queue_shows_only_the_banks_own_reviews_and_filters(client, app, make, as_user, world):
    with app.test_request_context():
        holder = make.user(kind="enterprise")
        big = submit(holder, [world["chosen"]], [make.patent(holder.organization)], amount="20000000")
        hidden = submit(holder, [world["other_bank"]], [make.patent(holder.organization)], amount="7777777")
        db.session.commit()
    as_user(world["chosen"])
    html = client.get("/finance/reviews").get_data(as_text=True)
    assert f"#{big.id}<" in html and f"#{world['request'].id}<" in html and "¥7,777,777.00" not in html
    html = client.get("/finance/reviews?min_amount=10000000").get_data(as_text=True)
    assert f"#{big.id}<" in html and f"#{world['request'].id}<" not in html
    html = client.get("/finance/reviews?sort=amount&dir=asc").get_data(as_text=True)
    assert html.index(f"#{world['request'].id}<") < html.index(f"#{big.id}<")
    assert client.get("/finance/reviews?status=approved").get_data(as_text=True).count("/finance/reviews/") == 0
    assert client.get("/finance/reviews?industry=ai&min_score=x&from=bad").status_code == 200
    as_user(world["holder"])
    assert client.get("/finance/reviews").status_code == 403
    assert hidden.id


def test_valuation_page_shows_dimensions_indicators_weights_and_scenarios(client, world, as_user):
    as_user(world["chosen"])
    url = f"/patents/{world['patent'].id}/valuation"
    financing = client.get(url + "?scenario=financing").get_data(as_text=True)
    licensing = client.get(url + "?scenario=licensing").get_data(as_text=True)
    for html in (financing, licensing):
        assert "法律价值" in html and "技术价值" in html and "经济价值" in html
        assert "6 项权利要求" in html and "无数据" in html
    assert "维度权重 45%" in financing and "维度权重 30%" in licensing
    assert client.get(url + "?scenario=nonsense").status_code == 404


def test_an_agency_attaches_an_appraisal_and_the_bank_sees_it_beside_the_score(client, world, as_user, make, app):
    with app.test_request_context():
        agency = make.user(kind="agency")
    as_user(agency)
    data = {"patent_number": world["patent"].number, "amount": "8000000", "method": "income",
            "appraised_on": today().isoformat()}
    fake = client.post("/finance/appraisals", data={**data, "report": (io.BytesIO(PNG), "报告.pdf")},
                       content_type="multipart/form-data")
    assert "不是 PDF 文件" in fake.get_data(as_text=True)
    assert client.post("/finance/appraisals", data={**data, "report": (io.BytesIO(PDF), "评估报告.pdf")},
                       content_type="multipart/form-data").status_code == 302
    appraisal = db.session.scalar(db.select(Appraisal))
    assert appraisal.amount == Decimal("8000000.00")
    as_user(world["chosen"])
    html = client.get(f"/finance/reviews/{world['review'].id}").get_data(as_text=True)
    assert "¥8,000,000.00" in html and "62.5%" in html and "质押率超过 50%" in html  # 5,000,000 / 8,000,000
    assert client.get(f"/finance/appraisals/{appraisal.id}/report").status_code == 200
    as_user(world["other_bank"])
    assert client.get(f"/finance/appraisals/{appraisal.id}/report").status_code == 404
    assert "¥8,000,000.00" not in client.get(f"/patents/{world['patent'].id}/valuation").get_data(as_text=True)


def test_an_insurer_records_a_policy_and_refuses_a_lapsed_patent(client, app, make, as_user):
    with app.test_request_context():
        insurer = make.user(kind="insurer")
        holder = make.user(kind="enterprise")
        good = make.patent(holder.organization)
        lapsed = make.patent(holder.organization, legal_status="lapsed")
    as_user(insurer)
    data = {"insured_org_id": str(holder.organization_id), "patent_numbers": f"{good.number}\n{lapsed.number}",
            "policy_type": "enforcement", "premium": "15000", "coverage": "2000000",
            "starts_on": today().isoformat(), "ends_on": (today() + timedelta(days=365)).isoformat(),
            "issue_now": "y", "policy_no": "AX-2025-01"}
    refused = client.post("/finance/insurance/policies/new", data=data)
    assert refused.status_code == 422 and "不能承保" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(InsurancePolicy.id))) == 0
    response = client.post("/finance/insurance/policies/new", data={**data, "patent_numbers": good.number})
    assert response.status_code == 302
    policy = db.session.scalar(db.select(InsurancePolicy))
    assert policy.status == PolicyStatus.issued and policy.policy_no == "AX-2025-01"
    as_user(holder)
    assert "AX-2025-01" in client.get("/finance/insurance").get_data(as_text=True)
    as_user(make.user(kind="enterprise"))
    assert client.get(f"/finance/insurance/policies/{policy.id}").status_code == 404


def test_a_holder_asks_for_a_quote_from_the_patent_page(client, app, make, as_user):
    with app.test_request_context():
        insurer = make.user(kind="insurer")
        holder = make.user(kind="enterprise")
        patent = make.patent(holder.organization)
    as_user(holder)
    assert f"/finance/insurance/quotes/new?patent_id={patent.id}" in client.get(
        f"/patents/{patent.id}/valuation").get_data(as_text=True)
    response = client.post("/finance/insurance/quotes/new", data={
        "insurer_id": str(insurer.organization_id), "patent_ids": [str(patent.id)],
        "policy_type": "infringement_loss", "coverage_wanted": "1000000", "message": "请报价"})
    assert response.status_code == 302
    as_user(insurer)
    html = client.get("/finance/insurance").get_data(as_text=True)
    assert holder.organization.name in html and "专利被侵权损失保险" in html


@pytest.mark.parametrize("path, kinds", [
    ("/finance/", {"enterprise", "university", "institute"}), ("/finance/reviews", {"bank"}),
    ("/finance/appraisals", {"agency"}), ("/finance/insurance", {"insurer", "enterprise", "university", "institute"}),
])
def test_each_page_belongs_to_its_kind_of_organisation(client, make, as_user, path, kinds):
    for kind in ("enterprise", "university", "bank", "insurer", "agency"):
        as_user(make.user(kind=kind))
        assert client.get(path).status_code == (200 if kind in kinds else 403), (path, kind)


def test_nav_entries_per_kind(client, make, as_user):
    for kind, label in (("bank", "质押审批"), ("insurer", "保单"), ("agency", "价值评估"), ("enterprise", "质押融资")):
        as_user(make.user(kind=kind))
        assert label in client.get("/dashboard").get_data(as_text=True), kind


def test_insurance_operation_refuses_quote_for_other_insurer(app, make):
    with app.test_request_context():
        insurer, other = make.user(kind="insurer"), make.user(kind="insurer")
        holder = make.user(kind="enterprise")
        quote = insurance_ops.request_quote(holder, insurer_id=insurer.organization_id,
                                            patent_ids=[make.patent(holder.organization).id],
                                            policy_type=PolicyType.enforcement)
        from marketplace.errors import DomainError

        with pytest.raises(DomainError):
            insurance_ops.record_policy(other, insurance_ops.PolicyInput(
                insured_org_id=None, patent_ids=[], policy_type=PolicyType.enforcement, premium="1", coverage="1",
                starts_on=today(), ends_on=today() + timedelta(days=1), quote_request_id=quote.id))


def test_the_holders_finance_page_lists_its_patents_once(client, make, as_user):
    holder = make.user(kind="enterprise", is_sme=True)
    make.patent(holder.organization, title="只出现一次的专利")
    as_user(holder)
    html = client.get("/finance/").get_data(as_text=True)
    assert html.count('data-testid="own-patents"') == 1 and html.count("只出现一次的专利") == 1
