"""Patent pages: "我的专利" with filters and counts, adding and editing one patent through the form,
and who may see a patent's page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from marketplace.extensions import db
from marketplace.listings.models import ListingKind
from marketplace.patents.models import LegalStatus, Patent, PatentType


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="university")


def facet_count(html: str, facet: str) -> int:
    """The count shown beside a filter value, e.g. facet_count(html, "type=utility")."""
    match = re.search(rf'data-facet="{re.escape(facet)}".*?data-count>(\d+)<', html, re.S)
    assert match, f"no facet {facet}"
    return int(match.group(1))


def patent_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Patent))


GOOD_FORM = {
    "app_no": "CN202211740332.4", "title": "一种基于深度学习的图像去噪方法", "abstract": "本发明公开了一种图像去噪方法。",
    "ipc_codes": "G06T 5/70;\nG06N3/08", "applicants": "测试大学", "inventors": "王伟；李芳",
    "app_date": "2022-12-30", "grant_date": "2024-03-01", "claims_count": "10", "patent_type": "", "legal_status": "",
}


# --- who may see what -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/patents/mine", "/patents/new"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("kind, status", [("university", 200), ("institute", 200), ("enterprise", 200),
                                          ("bank", 403), ("insurer", 403), ("regulator", 403)])
def test_only_patent_holding_organisations_have_my_patents(client, make, as_user, ctx, kind, status):
    as_user(make.user(kind=kind))
    assert client.get("/patents/mine").status_code == status
    assert client.get("/patents/new").status_code == status


def test_nav_shows_my_patents_and_listings_to_holders_only(client, make, as_user, ctx):
    html = client.get("/").get_data(as_text=True)
    assert "技术搜索" in html and "我的专利" not in html
    as_user(make.user(kind="university"))
    html = client.get("/").get_data(as_text=True)
    assert "我的专利" in html and "我的挂牌" in html
    as_user(make.user(kind="bank"))
    html = client.get("/").get_data(as_text=True)
    assert "我的专利" not in html and "技术搜索" in html


@pytest.mark.parametrize("viewer, status", [("member", 200), ("admin", 200), ("other", 404), ("bank", 404),
                                            ("anonymous", 404), ("operator", 200)])
def test_unlisted_patent_page_is_for_its_owner(client, make, as_user, holder, viewer, status):
    patent = make.patent(holder.organization)
    users = {"member": lambda: holder, "admin": lambda: make.user(holder.organization, role="admin"),
             "other": lambda: make.user(), "bank": lambda: make.user(kind="bank"),
             "operator": lambda: make.user(operator=True)}
    if viewer != "anonymous":
        as_user(users[viewer]())
    assert client.get(f"/patents/{patent.id}").status_code == status


def test_patent_in_a_published_listing_is_public_but_not_editable(client, make, as_user, holder):
    listing = make.listing(holder, kind=ListingKind.transfer)
    patent = listing.patents[0]
    assert client.get(f"/patents/{patent.id}").status_code == 200
    as_user(make.user())
    assert client.get(f"/patents/{patent.id}").status_code == 200
    assert client.get(f"/patents/{patent.id}/edit").status_code == 404
    assert client.post(f"/patents/{patent.id}/edit", data=GOOD_FORM).status_code == 404


def test_patent_page_shows_expiry_and_listing_buttons(client, make, as_user, holder):
    patent = make.patent(holder.organization)  # invention filed 2023-03-01
    as_user(holder)
    html = client.get(f"/patents/{patent.id}").get_data(as_text=True)
    assert "届满日" in html and "2043年2月28日" in html
    assert f"/listings/new?kind=open_licence&amp;patent={patent.id}" in html


# --- my patents: filters and counts ---------------------------------------------------------

def test_my_patents_lists_own_patents_with_filters_and_counts(client, make, as_user, holder):
    org = holder.organization
    make.patent(org, title="一种图像识别方法")
    make.patent(org, title="一种语音识别方法", legal_status=LegalStatus.pending, grant_date=None)
    utility = make.patent(org, title="一种夹具", patent_type=PatentType.utility, app_no="202320000001.3",
                          app_date=date(2023, 1, 5))
    make.listing(holder, [utility], kind=ListingKind.transfer)
    make.patent(make.org(), title="别人的专利")
    as_user(holder)

    html = client.get("/patents/mine").get_data(as_text=True)
    assert "一种图像识别方法" in html and "一种夹具" in html and "别人的专利" not in html
    assert facet_count(html, "type=invention") == 2 and facet_count(html, "type=utility") == 1
    assert facet_count(html, "status=granted") == 2 and facet_count(html, "status=pending") == 1
    assert facet_count(html, "listed=yes") == 1 and facet_count(html, "listed=no") == 2

    html = client.get("/patents/mine?type=invention").get_data(as_text=True)
    assert "一种图像识别方法" in html and "一种夹具" not in html
    assert facet_count(html, "status=granted") == 1  # counts follow the other filters
    assert facet_count(html, "type=utility") == 1  # but not their own

    html = client.get("/patents/mine?listed=yes").get_data(as_text=True)
    assert "一种夹具" in html and "一种图像识别方法" not in html
    assert "转让" in html  # the live listing is shown beside the patent

    html = client.get("/patents/mine?q=语音").get_data(as_text=True)
    assert "一种语音识别方法" in html and "一种图像识别方法" not in html
    html = client.get("/patents/mine?q=2023200000").get_data(as_text=True)
    assert "一种夹具" in html and "一种语音识别方法" not in html


def test_my_patents_highlights_expiry_within_a_year(client, make, as_user, holder):
    soon = date.today() - timedelta(days=365 * 10 - 100)
    make.patent(holder.organization, title="快到期的实用新型", patent_type=PatentType.utility,
                app_no="202320000002.8", app_date=soon, grant_date=soon + timedelta(days=200))
    as_user(holder)
    html = client.get("/patents/mine").get_data(as_text=True)
    assert 'data-testid="expiry-soon"' in html and "剩 " in html


def test_my_patents_paginates(client, make, as_user, holder):
    for n in range(27):
        body = f"20231{n:07d}"
        from marketplace.patents.numbers import check_digit

        make.patent(holder.organization, app_no=f"{body}.{check_digit(body)}", title=f"分页专利{n}")
    as_user(holder)
    html = client.get("/patents/mine").get_data(as_text=True)
    assert "共 27 条，第 1 / 2 页" in html
    assert "第 2 / 2 页" in client.get("/patents/mine?page=2").get_data(as_text=True)


# --- add and edit through the form -------------------------------------------------------

def test_add_patent_through_the_form(client, make, as_user, holder):
    as_user(holder)
    response = client.post("/patents/new", data=GOOD_FORM)
    assert response.status_code == 302
    patent = db.session.scalar(db.select(Patent).where(Patent.app_no == "202211740332.4"))
    assert patent.owner_id == holder.organization_id
    assert patent.patent_type == PatentType.invention  # from the 5th digit of the number
    assert patent.ipc_codes == ["G06T5/70", "G06N3/08"] and patent.ipc_main_subclass == "G06T"
    assert patent.legal_status == LegalStatus.granted and patent.expires_on == date(2042, 12, 29)
    assert response.headers["Location"].endswith(f"/patents/{patent.id}")


@pytest.mark.parametrize("changes, message, kept", [
    ({"app_no": "CN202310123456.7"}, "校验位错误", "CN202310123456.7"),
    ({"app_no": "12345"}, "申请号格式不正确", "12345"),
    ({"ipc_codes": "G06F16/35; X99Q1/00"}, "IPC 分类号“X99Q1/00”格式不正确", "X99Q1/00"),
    ({"grant_date": "2021-01-01"}, "授权日不能早于申请日", "2021-01-01"),
    ({"patent_type": "utility"}, "专利类型与申请号不符", "一种基于深度学习的图像去噪方法"),
    ({"title": ""}, "此项必填", "CN202211740332.4"),
    ({"claims_count": "-3"}, "权利要求项数应在 0–1000 之间", "-3"),
])
def test_bad_patent_input_is_shown_beside_the_field_and_nothing_is_stored(client, as_user, holder, changes,
                                                                          message, kept):
    as_user(holder)
    before = patent_count()
    response = client.post("/patents/new", data={**GOOD_FORM, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "is-invalid" in html
    assert kept in html and "本发明公开了一种图像去噪方法。" in html  # what was typed is kept
    assert patent_count() == before


def test_a_number_registered_by_another_organisation_becomes_a_claim(client, make, as_user, holder):
    other = make.patent(make.org(), app_no="202211740332.4")
    as_user(holder)
    response = client.post("/patents/new", data=GOOD_FORM, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已由其他机构登记" in html and "权属申报" in html and 'data-testid="claim-status">待核实<' in html
    db.session.refresh(other)
    assert other.owner_id != holder.organization_id  # nothing moves until an operator decides


def test_edit_patent_through_the_form(client, make, as_user, holder):
    patent = make.patent(holder.organization)
    as_user(make.user(holder.organization))  # any member of the owning organisation
    html = client.get(f"/patents/{patent.id}/edit").get_data(as_text=True)
    assert patent.title in html and "G06F16/35" in html
    data = {"app_no": patent.number, "title": "改过的名称", "ipc_codes": "G06F16/35; H04L9/32",
            "app_date": "2023-03-01", "grant_date": "2024-05-01", "legal_status": "granted",
            "evaluation_report_no": "PJ2024000123", "is_pct": "y"}
    assert client.post(f"/patents/{patent.id}/edit", data=data).status_code == 302
    db.session.refresh(patent)
    assert patent.title == "改过的名称" and patent.ipc_codes == ["G06F16/35", "H04L9/32"] and patent.is_pct
    bad = client.post(f"/patents/{patent.id}/edit", data={**data, "grant_date": "2020-01-01"})
    assert "授权日不能早于申请日" in bad.get_data(as_text=True)
    db.session.refresh(patent)
    assert patent.grant_date == date(2024, 5, 1)


def test_editing_a_patent_can_clear_a_field(app, make):
    """What the holder types is the record: an emptied abstract is cleared, not kept."""
    from marketplace.patents.operations import PatentInput, save_patent

    owner = make.org("university")
    with app.test_request_context():
        patent = make.patent(owner, abstract="旧摘要", evaluation_report_no="PJ2024001")
        data = PatentInput(title=patent.title, app_no=patent.app_no, patent_type="invention",
                           ipc_codes=patent.ipc_codes, app_date=patent.app_date, grant_date=patent.grant_date,
                           legal_status="granted", abstract="", evaluation_report_no="")
        _saved, changed = save_patent(owner, data, patent=patent)
    assert changed and patent.abstract == "" and patent.evaluation_report_no == ""


def test_adding_a_patent_already_registered_points_to_it(app, make):
    from marketplace.errors import DomainError
    from marketplace.patents.operations import PatentInput, save_patent

    owner = make.org("university")
    with app.test_request_context():
        patent = make.patent(owner)
        with pytest.raises(DomainError, match="已登记") as error:
            save_patent(owner, PatentInput(title="重复", app_no=patent.app_no, patent_type="invention"))
    assert error.value.field == "app_no"
