"""Inquiries: one thread per listing and asking organisation, both sides' messages, unread
counts, a notification (inbox + mail) on each message, and a thread turned into a proposal."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import OrgStatus
from marketplace.deals.inquiries.models import Message, Thread, total_unread
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.listings.models import ListingKind
from marketplace.notify.models import Notification, OutboxMail


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def uni(make):
    return make.user(kind="university")


@pytest.fixture
def ent(make):
    return make.user(kind="enterprise", is_sme=True)


@pytest.fixture
def listing(make, uni):
    return make.listing(uni, kind=ListingKind.transfer)


def test_asking_opens_one_thread_notifies_the_holder_and_counts_unread(as_user, listing, uni, ent, make):
    colleague = make.user(ent.organization)
    mails = count(OutboxMail)
    client = as_user(ent)
    assert 'data-testid="ask-holder"' in text(client.get(f"/listings/{listing.id}"))
    response = client.post(f"/listings/{listing.id}/inquire", data={"body": "是否有样机？"})
    assert response.status_code == 302
    thread = db.session.scalar(db.select(Thread))
    assert (thread.listing_id, thread.asker_org_id, thread.holder_org_id) == (listing.id, ent.organization_id,
                                                                           uni.organization_id)
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == uni.id))
    assert "是否有样机" in note.text and f"/inquiries/{thread.id}" in note.link
    assert count(OutboxMail) == mails + 1
    assert total_unread(uni) == 1 and total_unread(ent) == 0
    assert total_unread(colleague) == 0  # a colleague's message is not "unread from the other side"
    # The colleague asking again lands in the same thread: one per (listing, organisation).
    again = as_user(colleague).get(f"/listings/{listing.id}/inquire")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/inquiries/{thread.id}")
    # The holder sees the badge, reads the thread, answers.
    holder = as_user(uni)
    assert 'data-testid="inquiry-unread"' in text(holder.get("/inquiries"))
    assert "1 条未读" in text(holder.get("/inquiries"))
    assert "是否有样机" in text(holder.get(f"/inquiries/{thread.id}"))
    assert total_unread(uni) == 0
    assert db.session.get(Notification, note.id).read_at is not None  # reading the thread reads its notices
    assert holder.post(f"/inquiries/{thread.id}", data={"body": "有，欢迎考察。"}).status_code == 302
    assert total_unread(ent) == 1 and total_unread(colleague) == 1
    assert [m.body for m in db.session.get(Thread, thread.id).messages] == ["是否有样机？", "有，欢迎考察。"]


@pytest.mark.parametrize("case", ["own", "unverified", "empty", "too_long"])
def test_inquiry_refusals_write_nothing(make, as_user, listing, uni, case):
    user, body, status = make.user(kind="enterprise"), "你好", 409
    if case == "own":
        user = uni
    elif case == "unverified":
        user.organization.status = OrgStatus.pending
        db.session.commit()
    elif case == "empty":
        body, status = "   ", 422
    elif case == "too_long":
        body, status = "长" * 5001, 422
    before = (count(Thread), count(Message), count(Notification))
    response = as_user(user).post(f"/listings/{listing.id}/inquire", data={"body": body})
    assert response.status_code in (status, 403)
    assert (count(Thread), count(Message), count(Notification)) == before


def test_a_thread_is_private_to_its_two_organisations(make, as_user, listing, ent):
    as_user(ent).post(f"/listings/{listing.id}/inquire", data={"body": "你好"})
    thread = db.session.scalar(db.select(Thread))
    stranger = as_user(make.user(kind="enterprise"))
    assert stranger.get(f"/inquiries/{thread.id}").status_code == 404
    assert stranger.post(f"/inquiries/{thread.id}", data={"body": "偷看"}).status_code == 404
    assert count(Message) == 1


def test_the_asker_turns_the_thread_into_a_proposal(as_user, listing, uni, ent):
    client = as_user(ent)
    client.post(f"/listings/{listing.id}/inquire", data={"body": "价格可谈吗？"})
    thread = db.session.scalar(db.select(Thread))
    page = text(client.get(f"/inquiries/{thread.id}"))
    assert 'data-testid="thread-propose"' in page
    form = text(client.get(f"/listings/{listing.id}/propose?thread={thread.id}"))
    assert f'value="{thread.id}"' in form and "800000.00" in form  # prefilled from the listing
    response = client.post(f"/listings/{listing.id}/propose",
                           data={"amount": "700000", "terms": "据咨询", "thread_id": str(thread.id)})
    assert response.status_code == 302
    deal = db.session.scalar(db.select(Deal))
    assert deal.counterparty_org_id == ent.organization_id and deal.latest_offer.by_org_id == ent.organization_id
    link = db.session.scalar(db.select(Message).where(Message.deal_id == deal.id))
    assert link is not None and link.thread_id == thread.id
    assert f"/deals/{deal.id}" in text(as_user(uni).get(f"/inquiries/{thread.id}"))


def test_the_holder_proposes_to_the_asking_organisation_from_the_thread(as_user, listing, uni, ent):
    as_user(ent).post(f"/listings/{listing.id}/inquire", data={"body": "想了解一下"})
    thread = db.session.scalar(db.select(Thread))
    holder = as_user(uni)
    assert "据此向对方提出交易" in text(holder.get(f"/inquiries/{thread.id}"))
    assert holder.get(f"/listings/{listing.id}/propose").status_code == 404  # not without an inquiry
    response = holder.post(f"/listings/{listing.id}/propose?thread={thread.id}",
                           data={"amount": "780000", "thread_id": str(thread.id)})
    assert response.status_code == 302
    deal = db.session.scalar(db.select(Deal))
    assert (deal.holder_org_id, deal.counterparty_org_id) == (uni.organization_id, ent.organization_id)
    assert deal.status == DealStatus.proposed and deal.waiting_for(ent) == "mine"
    # The asker may agree to the holder's offer at once.
    assert as_user(ent).post(f"/deals/{deal.id}/steps/agreed").status_code == 302
    assert db.session.get(Deal, deal.id).status == DealStatus.agreed


def test_a_forged_thread_id_on_the_propose_form_is_a_404(make, as_user, listing, uni):
    other = make.user(kind="enterprise")
    as_user(other).post(f"/listings/{listing.id}/inquire", data={"body": "你好"})
    thread = db.session.scalar(db.select(Thread))
    intruder = as_user(make.user(kind="enterprise"))
    assert intruder.post(f"/listings/{listing.id}/propose",
                         data={"amount": "1", "thread_id": str(thread.id)}).status_code == 404
    assert intruder.post(f"/listings/{listing.id}/propose",
                         data={"amount": "1", "thread_id": "abc"}).status_code == 404
    assert count(Deal) == 0
