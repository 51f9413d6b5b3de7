"""Deal pages through real form posts: accepting an open licence, negotiating, my deals, the
printable record; refusals shown clearly with nothing written; other organisations' deals 404."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from marketplace.accounts.models import OrgStatus
from marketplace.deals import operations as ops
from marketplace.deals.inquiries.models import Message, Thread
from marketplace.deals.models import Deal, DealOffer, DealStatus
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind, ListingStatus
from marketplace.listings.operations import transition
from marketplace.notify.models import Notification, OutboxMail


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(m))
                 for m in (Deal, DealOffer, LedgerEntry, Thread, Message))


@pytest.fixture
def uni(make):
    return make.user(kind="university")


@pytest.fixture
def sme(make):
    return make.user(kind="enterprise", is_sme=True)


@pytest.fixture
def open_listing(make, uni):
    return make.listing(uni, kind=ListingKind.open_licence, fee_amount=Decimal("50000"), sme_discount=Decimal("40"))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- open licence on the spot ---------------------------------------------------------------

def test_listing_page_offers_the_open_licence_with_the_fee_for_this_enterprise(client, as_user, open_listing, sme):
    anonymous = text(client.get(f"/listings/{open_listing.id}"))
    assert "登录后接受开放许可" in anonymous
    page = text(as_user(sme).get(f"/listings/{open_listing.id}"))
    assert 'data-testid="accept-open-licence"' in page
    assert "¥30,000.00" in page  # 50,000 less 40 %


def test_confirmation_page_shows_company_details_terms_and_computed_fee(as_user, open_listing, sme):
    org = sme.organization
    org.address, org.contact_phone = "福州市鼓楼区五四路 1 号", "0591-88888888"
    db.session.commit()
    page = text(as_user(sme).get(f"/listings/{open_listing.id}/accept"))
    for expected in (org.name, org.uscc, "五四路 1 号", "0591-88888888", "¥50,000.00", "¥30,000.00", "已享优惠",
                     open_listing.patents[0].number, "第五十一条"):
        assert expected in page


def test_accepting_grants_the_licence_at_once_and_notifies_the_holder(as_user, open_listing, sme, uni):
    before_mail = db.session.scalar(db.select(db.func.count()).select_from(OutboxMail))
    response = as_user(sme).post(f"/listings/{open_listing.id}/accept",
                                 data={"notice": "我公司接受开放许可。", "confirm": "y"})
    assert response.status_code == 302
    deal = db.session.scalar(db.select(Deal))
    assert response.headers["Location"].endswith(f"/deals/{deal.id}")
    assert deal.status == DealStatus.accepted and deal.amount == Decimal("30000.00")
    assert deal.recordation_due > date.today() + timedelta(days=85)
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == uni.id))
    assert "开放许可" in note.text and f"/deals/{deal.id}" in note.link
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)) > before_mail
    page = text(as_user(sme).get(f"/deals/{deal.id}"))
    assert "已生效（待付款）" in page and "¥30,000.00" in page
    # 细则 §87: no deadline for open licences, so no countdown — a recommendation that says so
    assert "备案还剩" not in page and "非法定期限" in page and "第八十七条" in page


def test_accept_without_confirmation_keeps_the_notice_and_writes_nothing(as_user, open_listing, sme):
    before = counts()
    response = as_user(sme).post(f"/listings/{open_listing.id}/accept", data={"notice": "我的通知文字"})
    assert response.status_code == 422
    assert "请勾选确认" in text(response) and "我的通知文字" in text(response)
    assert counts() == before


@pytest.mark.parametrize("case", ["draft", "withdrawn", "expired", "own", "unverified", "university", "twice"])
def test_acceptance_refusals_are_clear_and_write_nothing(make, as_user, uni, sme, case):
    listing = make.listing(uni, kind=ListingKind.open_licence, publish=case != "draft")
    user, message = sme, "不可交易"
    if case == "withdrawn":
        transition(listing, ListingStatus.withdrawn)
    elif case == "expired":
        transition(listing, ListingStatus.expired)
    elif case == "own":
        user, message = uni, "自己的挂牌"
    elif case == "unverified":
        user, message = make.user(kind="enterprise", status=OrgStatus.pending), "审核"
    elif case == "university":
        user, message = make.user(kind="institute"), "面向企业"
    elif case == "twice":
        ops.accept_open_licence(listing, sme, "通知")
        message = "已取得"
    db.session.commit()
    before = counts()
    client = as_user(user)
    if case in ("draft", "withdrawn", "expired"):  # not even visible to others: a 404 …
        assert client.get(f"/listings/{listing.id}/accept").status_code == 404
        assert client.post(f"/listings/{listing.id}/accept", data={"notice": "x", "confirm": "y"}).status_code == 404
        with pytest.raises(DomainError, match=message):  # … and the operation refuses it too
            ops.accept_open_licence(listing, user, "通知")
        db.session.rollback()
    else:
        page = client.get(f"/listings/{listing.id}/accept")
        assert message in text(page) and 'data-testid="accept-form"' not in text(page)
        response = client.post(f"/listings/{listing.id}/accept", data={"notice": "x", "confirm": "y"})
        assert response.status_code in (403, 409) and message in text(response)
    assert counts() == before


def test_holder_records_payment_and_either_side_the_recordation_number(as_user, open_listing, sme, uni):
    deal = ops.accept_open_licence(open_listing, sme, "通知")
    db.session.commit()
    holder = as_user(uni)
    page = text(holder.get(f"/deals/{deal.id}"))
    assert 'data-testid="step-paid"' in page and "30000.00" in page  # prefilled with the fee
    future = (date.today() + timedelta(days=3)).isoformat()
    refused = holder.post(f"/deals/{deal.id}/steps/paid", data={"paid-paid_on": future, "paid-amount_paid": "30000"})
    assert refused.status_code == 422 and "不能晚于今天" in text(refused)
    bad = holder.post(f"/deals/{deal.id}/steps/paid", data={"paid-paid_on": date.today().isoformat(),
                                                            "paid-amount_paid": "30000.001"})
    assert bad.status_code == 422 and "两位小数" in text(bad) and "30000.001" in text(bad)
    assert db.session.get(Deal, deal.id).status == DealStatus.accepted
    ok = holder.post(f"/deals/{deal.id}/steps/paid", data={"paid-paid_on": date.today().isoformat(),
                                                           "paid-amount_paid": "30000"})
    assert ok.status_code == 302
    deal = db.session.get(Deal, deal.id)
    assert deal.status == DealStatus.paid and deal.paid_amount == Decimal("30000.00")
    licensee = as_user(sme)
    empty = licensee.post(f"/deals/{deal.id}/steps/recorded", data={"recorded-recordation_no": ""})
    assert empty.status_code == 422
    assert licensee.post(f"/deals/{deal.id}/steps/recorded",
                         data={"recorded-recordation_no": "2026990000123"}).status_code == 302
    assert db.session.get(Deal, deal.id).status == DealStatus.recorded


def test_licensee_cannot_record_payment(as_user, open_listing, sme):
    deal = ops.accept_open_licence(open_listing, sme, "通知")
    db.session.commit()
    client = as_user(sme)
    assert 'data-testid="step-paid"' not in text(client.get(f"/deals/{deal.id}"))
    before = counts()
    response = client.post(f"/deals/{deal.id}/steps/paid", data={"paid-paid_on": date.today().isoformat()})
    assert response.status_code == 403 and "不是可以执行此步骤的一方" in text(response)
    assert counts() == before


def test_printable_record_for_both_sides(as_user, open_listing, sme, uni, make):
    deal = ops.accept_open_licence(open_listing, sme, "致许可方：我公司接受。")
    db.session.commit()
    entry = db.session.scalar(db.select(LedgerEntry))
    for user in (sme, uni):
        page = text(as_user(user).get(f"/deals/{deal.id}/record"))
        for expected in ("书面通知", f"#{deal.id}", sme.organization.name, sme.organization.uscc, uni.organization.name,
                         open_listing.patents[0].number, "¥30,000.00", "致许可方：我公司接受。", entry.entry_hash,
                         deal.recordation_due.strftime("%Y年%-m月%-d日")):
            assert expected in page, expected
    assert as_user(make.user(kind="enterprise")).get(f"/deals/{deal.id}/record").status_code == 404


# --- negotiation ------------------------------------------------------------------------------

def test_a_negotiated_transfer_runs_to_completion_through_the_pages(make, as_user, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    patent = listing.patents[0]
    buyer = as_user(sme)
    assert 'data-testid="propose-deal"' in text(buyer.get(f"/listings/{listing.id}"))
    response = buyer.post(f"/listings/{listing.id}/propose", data={"amount": "600000", "terms": "分两期"})
    assert response.status_code == 302
    deal = db.session.scalar(db.select(Deal))
    page = text(buyer.get(f"/deals/{deal.id}"))
    assert "等待对方" in page and 'data-testid="step-agreed"' not in page and 'data-testid="step-cancelled"' in page
    holder = as_user(uni)
    page = text(holder.get(f"/deals/{deal.id}"))
    assert "待我方处理" in page and 'data-testid="step-agreed"' in page and 'data-testid="step-negotiating"' in page
    assert 'data-testid="step-completed"' not in page
    assert holder.post(f"/deals/{deal.id}/steps/negotiating",
                       data={"negotiating-amount": "750000", "negotiating-terms": "一次付清"}).status_code == 302
    buyer = as_user(sme)
    page = text(buyer.get(f"/deals/{deal.id}"))
    assert "v2" in page and "¥750,000.00" in page and "¥600,000.00" in page  # both versions in the history
    assert buyer.post(f"/deals/{deal.id}/steps/agreed").status_code == 302
    holder = as_user(uni)
    assert 'data-testid="step-completed"' in text(holder.get(f"/deals/{deal.id}"))
    assert holder.post(f"/deals/{deal.id}/steps/completed").status_code == 302
    deal = db.session.get(Deal, deal.id)
    assert deal.status == DealStatus.completed and deal.amount == Decimal("750000.00")
    assert db.session.get(type(patent), patent.id).owner_id == sme.organization_id
    page = text(holder.get(f"/deals/{deal.id}"))
    assert page.count("…</code>") == 4  # four ledger entries with their hashes
    assert verify_chain().ok


def test_a_step_the_user_may_not_take_is_refused_with_the_message(make, as_user, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    deal = ops.propose_deal(listing, sme, amount="500000")
    db.session.commit()
    before = counts()
    for target, message in (("agreed", "不是可以执行此步骤的一方"), ("completed", "当前状态下不能"),
                            ("paid", "当前状态下不能")):
        response = as_user(sme).post(f"/deals/{deal.id}/steps/{target}", data={"paid-paid_on": "2025-01-01"})
        assert response.status_code in (403, 409), target
        assert message in text(response)
    assert as_user(sme).post(f"/deals/{deal.id}/steps/nonsense").status_code == 404
    assert counts() == before


@pytest.mark.parametrize(("amount", "royalty", "message"), [
    ("1.234", "", "两位小数"), ("-5", "", "不能为负数"), ("1e20", "", "请输入金额"), ("99999999999", "", "100 亿"),
    ("abc", "", "请输入金额"), ("1,00", "", "千分位"), ("", "", "请填写金额或提成比例"), ("", "101", "0–100"),
    ("", "2.555", "两位小数"),
])
def test_bad_amounts_in_a_proposal_are_refused_beside_the_field(make, as_user, uni, sme, amount, royalty, message):
    listing = make.listing(uni, kind=ListingKind.licence, licence_type="ordinary")
    before = counts()
    response = as_user(sme).post(f"/listings/{listing.id}/propose",
                                 data={"amount": amount, "royalty_rate": royalty, "terms": "保留的文字"})
    assert response.status_code in (409, 422)  # the form's field (money) or the operation's rule
    page = text(response)
    assert message in page and "保留的文字" in page and "is-invalid" in page
    assert counts() == before


def test_bad_counter_offer_is_refused_and_nothing_written(make, as_user, uni, sme):
    listing = make.listing(uni, kind=ListingKind.equity)
    deal = ops.propose_deal(listing, sme, amount="3000000")
    db.session.commit()
    before = counts()
    response = as_user(uni).post(f"/deals/{deal.id}/steps/negotiating", data={"negotiating-amount": "-1"})
    assert response.status_code == 422 and "不能为负数" in text(response)
    assert counts() == before and db.session.get(Deal, deal.id).status == DealStatus.proposed


@pytest.mark.parametrize("case", ["draft", "withdrawn", "expired", "own", "unverified", "open_licence"])
def test_proposal_refusals(make, as_user, uni, sme, case):
    kind = ListingKind.open_licence if case == "open_licence" else ListingKind.transfer
    listing = make.listing(uni, kind=kind, publish=case != "draft")
    user = sme
    if case in ("withdrawn", "expired"):
        transition(listing, ListingStatus(case))
    elif case == "own":
        user = uni
    elif case == "unverified":
        user = make.user(kind="enterprise", status=OrgStatus.pending)
    db.session.commit()
    before = counts()
    response = as_user(user).post(f"/listings/{listing.id}/propose", data={"amount": "100000"})
    if case in ("draft", "withdrawn", "expired", "own", "open_licence"):
        assert response.status_code == 404
        if case in ("draft", "withdrawn", "expired"):
            with pytest.raises(DomainError, match="不可交易"):
                ops.propose_deal(listing, user, amount="100000")
            db.session.rollback()
    else:
        assert response.status_code in (403, 409)
        assert ("不可交易" in text(response)) or ("审核" in text(response))
    assert counts() == before


def test_another_organisations_deal_is_a_404_everywhere(make, as_user, uni, sme):
    listing = make.listing(uni, kind=ListingKind.transfer)
    deal = ops.propose_deal(listing, sme, amount="500000")
    db.session.commit()
    stranger = as_user(make.user(kind="enterprise"))
    before = counts()
    for url in (f"/deals/{deal.id}", f"/deals/{deal.id}/record"):
        assert stranger.get(url).status_code == 404
    for target in ("agreed", "cancelled", "rejected", "negotiating"):
        assert stranger.post(f"/deals/{deal.id}/steps/{target}", data={f"{target}-amount": "1"}).status_code == 404
    assert stranger.get(f"/deals/{deal.id + 999}").status_code == 404
    assert counts() == before
    assert as_user(make.user(operator=True)).get(f"/deals/{deal.id}").status_code == 200  # operators may look


def test_anonymous_users_are_sent_to_sign_in(client, make, uni):
    listing = make.listing(uni, kind=ListingKind.transfer)
    for url in ("/deals", f"/listings/{listing.id}/propose", f"/listings/{listing.id}/accept", "/inquiries"):
        assert client.get(url).status_code == 302


# --- my deals ---------------------------------------------------------------------------------

def test_my_deals_lists_by_status_with_who_is_waiting_and_filters(make, as_user, uni, sme):
    transfer = make.listing(uni, kind=ListingKind.transfer)
    licence = make.listing(uni, kind=ListingKind.licence, licence_type="ordinary")
    open_listing = make.listing(uni, kind=ListingKind.open_licence)
    waiting_on_uni = ops.propose_deal(transfer, sme, amount="500000")
    waiting_on_sme = ops.propose_deal(licence, sme, amount="80000")
    ops.counter_offer(waiting_on_sme, uni, amount="90000")
    paid = ops.accept_open_licence(open_listing, sme, "通知")
    ops.record_payment(paid, uni)
    db.session.commit()
    client = as_user(sme)
    page = text(client.get("/deals"))
    assert page.count('data-testid="deal-row"') == 3
    mine = text(client.get("/deals?waiting=mine"))
    assert f"#{waiting_on_sme.id}<" in mine and f"#{paid.id}<" in mine and f"#{waiting_on_uni.id}<" not in mine
    theirs = text(client.get("/deals?waiting=theirs"))
    assert f"#{waiting_on_uni.id}<" in theirs and f"#{waiting_on_sme.id}<" not in theirs
    assert text(client.get("/deals?kind=licence")).count('data-testid="deal-row"') == 1
    assert text(client.get("/deals?status=paid")).count('data-testid="deal-row"') == 1
    assert text(client.get("/deals?side=holder")).count('data-testid="deal-row"') == 0
    assert text(client.get("/deals?status=bogus&kind=nope")).count('data-testid="deal-row"') == 3
    uni_mine = text(as_user(uni).get("/deals?waiting=mine"))
    assert f"#{waiting_on_uni.id}<" in uni_mine and f"#{paid.id}<" in uni_mine
    assert text(as_user(make.user(kind="enterprise")).get("/deals")).count('data-testid="deal-row"') == 0


def test_sql_and_python_agree_on_who_the_deal_waits_for(make, uni, sme, app):
    from marketplace.deals.views import deal_list_query

    with app.test_request_context():
        deals = []
        for status in ("proposed", "negotiating", "agreed", "completed", "rejected", "cancelled"):
            listing = make.listing(uni, kind=ListingKind.transfer)
            deal = ops.propose_deal(listing, sme, amount="1000")
            if status == "negotiating":
                ops.counter_offer(deal, uni, amount="2000")
            if status in ("agreed", "completed"):
                ops.agree(deal, uni)
            if status == "completed":
                ops.complete(deal, uni)
            if status == "rejected":
                ops.reject(deal, uni)
            if status == "cancelled":
                ops.cancel(deal, sme)
            deals.append(deal)
        for status in ("accepted", "paid", "recorded"):
            deal = ops.accept_open_licence(make.listing(uni, kind=ListingKind.open_licence), sme, "通知")
            if status in ("paid", "recorded"):
                ops.record_payment(deal, uni)
            if status == "recorded":
                ops.record_recordation(deal, sme, "2026990000001")
            deals.append(deal)
        db.session.commit()
        for user in (uni, sme):
            for side in ("mine", "theirs"):
                sql = set(db.session.scalars(deal_list_query(user.organization_id, waiting=side)).all())
                python = {d for d in deals if d.waiting_for(user) == side}
                assert sql == python, side
