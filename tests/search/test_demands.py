"""Demands: who may post, edit, publish and close them; bad input; matching with reasons both ways;
daily digests of new matching listings (and of saved searches), never a storm."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import OrgStatus
from marketplace.demands.models import Demand, DemandStatus
from marketplace.demands.operations import DemandInput, close_demand, create_demand, update_demand
from marketplace.errors import DomainError, NotVerified, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.models import Industry, ListingKind
from marketplace.notify.models import Notification, OutboxMail
from marketplace.search.alerts import send_due_digests
from marketplace.search.matching import demands_for_listing, matches_for_demand
from marketplace.search.models import SavedSearch
from marketplace.types import utcnow


@pytest.fixture
def sme(make, ctx):
    return make.user(kind="enterprise", is_sme=True)


def battery_demand(**changes) -> DemandInput:
    values = dict(title="电动车电池冬天续航短", description="想找改进电池组低温性能的技术", industry=Industry.new_energy,
                  budget_min="100000", budget_max="800000", wanted_kinds=["transfer", "licence"])
    values.update(changes)
    return DemandInput(**values)


def battery_listing(make, holder, **values):
    patent = make.patent(holder.organization, title="一种低温锂离子电池电解液", ipc_codes=["H01M10/0567"],
                         abstract="提高电池在零下二十度的放电容量。")
    values.setdefault("asking_price", Decimal("500000"))
    values.setdefault("industry", Industry.new_energy)
    return make.listing(holder, [patent], kind=values.pop("kind", ListingKind.transfer), **values)


# --- operations ------------------------------------------------------------------------

def test_verified_enterprise_publishes_unverified_only_drafts(make, sme):
    demand = create_demand(sme, battery_demand(), publish=True)
    assert demand.status == DemandStatus.open and demand.budget_max == Decimal("800000.00")
    pending = make.user(kind="enterprise", status=OrgStatus.pending)
    draft = create_demand(pending, battery_demand())
    assert draft.status == DemandStatus.draft
    with pytest.raises(NotVerified):
        create_demand(pending, battery_demand(), publish=True)


@pytest.mark.parametrize("kind", ["university", "bank"])
def test_only_enterprises_post_demands(make, ctx, kind):
    with pytest.raises(PermissionDenied):
        create_demand(make.user(kind=kind), battery_demand())


@pytest.mark.parametrize("changes, field", [
    ({"title": "  "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"budget_min": "abc"}, "budget_min"),
    ({"budget_min": "-5"}, "budget_min"),
    ({"budget_min": "900000", "budget_max": "100000"}, "budget_max"),
    ({"budget_max": "1e12"}, "budget_max"),
    ({"wanted_kinds": ["pledge"]}, "wanted_kinds"),
    ({"wanted_kinds": ["barter"]}, "wanted_kinds"),
    ({"ipc_hint": "XYZ"}, "ipc_hint"),
    ({"industry": "space"}, "industry"),
    ({"deadline": utcnow().date() - timedelta(days=1)}, "deadline"),
])
def test_bad_input_names_the_field(sme, changes, field):
    with pytest.raises(DomainError) as caught:
        create_demand(sme, battery_demand(**changes))
    assert caught.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Demand)) == 0


def test_ipc_hint_is_canonical_subclasses(sme):
    demand = create_demand(sme, battery_demand(ipc_hint="h01m10/052, H01M；G06F 16/35"))
    assert demand.ipc_hint == ["H01M", "G06F"]


def test_only_the_enterprise_edits_and_closes(make, sme):
    demand = create_demand(sme, battery_demand(), publish=True)
    colleague = make.user(sme.organization)
    update_demand(demand, colleague, battery_demand(title="电池低温性能"))
    assert demand.title == "电池低温性能"
    stranger = make.user(kind="enterprise")
    with pytest.raises(PermissionDenied):
        update_demand(demand, stranger, battery_demand())
    with pytest.raises(PermissionDenied):
        close_demand(demand, stranger)
    close_demand(demand, sme)
    assert demand.status == DemandStatus.closed
    with pytest.raises(PermissionDenied):
        update_demand(demand, sme, battery_demand())


# --- routes --------------------------------------------------------------------------------

def test_post_edit_and_close_through_the_forms(client, sme, as_user):
    as_user(sme)
    response = client.post("/demands/new", data={
        "title": "想让电池冬天跑得更远", "description": "", "industry": "new_energy", "ipc_hint": "",
        "budget_min": "100000", "budget_max": "50000", "wanted_kinds": ["transfer"], "publish": "发布需求"})
    assert response.status_code == 422
    assert "预算上限不能低于下限" in response.get_data(as_text=True)
    assert "想让电池冬天跑得更远" in response.get_data(as_text=True)  # what was typed is kept
    response = client.post("/demands/new", data={
        "title": "想让电池冬天跑得更远", "industry": "new_energy", "budget_min": "100000", "budget_max": "500000",
        "wanted_kinds": ["transfer"], "publish": "发布需求"})
    assert response.status_code == 302
    demand = db.session.scalar(select(Demand))
    assert demand.status == DemandStatus.open and demand.wanted_kinds == ["transfer"]
    edit = client.post(f"/demands/{demand.id}/edit", data={
        "title": "电池低温", "industry": "new_energy", "budget_min": "", "budget_max": "", "save_draft": "保存"})
    assert edit.status_code == 302
    assert client.post(f"/demands/{demand.id}/close").status_code == 302
    assert db.session.get(Demand, demand.id).status == DemandStatus.closed


def test_route_permissions(client, make, sme, as_user):
    demand = create_demand(sme, battery_demand())  # a draft
    db.session.commit()
    assert client.get(f"/demands/{demand.id}").status_code == 302  # sign in first
    as_user(make.user(kind="enterprise"))
    assert client.get(f"/demands/{demand.id}").status_code == 404  # someone else's draft
    assert client.post(f"/demands/{demand.id}/close").status_code == 404
    as_user(make.user(kind="university"))
    assert client.get("/demands/new").status_code == 403
    as_user(sme)
    assert client.get(f"/demands/{demand.id}").status_code == 200
    assert client.get(f"/demands/{demand.id}/edit").status_code == 200


# --- matching --------------------------------------------------------------------------------

def test_demand_matches_come_with_reasons(make, sme, holder):
    listing = battery_listing(make, holder)
    make.listing(holder, [make.patent(holder.organization, title="一种茶叶揉捻机", ipc_codes=["A23F3/12"])])
    demand = create_demand(sme, battery_demand(), publish=True)
    db.session.commit()
    matches = matches_for_demand(demand, sme)
    assert [m.listing.id for m in matches] == [listing.id]
    reasons = " ".join(matches[0].reasons)
    assert "共同关键词" in reasons and "电池" in reasons
    assert "H01M" in reasons  # the words imply the subclass
    assert "同一行业" in reasons and "交易方式符合" in reasons and "价格在预算内" in reasons


def test_pledge_and_own_listings_are_never_matched(make, sme, holder):
    battery_listing(make, holder, kind=ListingKind.pledge, amount_wanted=Decimal("1000000"), term_months=12,
                    purpose="研发")
    demand = create_demand(sme, battery_demand(), publish=True)
    make.listing(sme, [make.patent(sme.organization, title="电池低温加热膜", ipc_codes=["H01M10/615"])])
    db.session.commit()
    assert matches_for_demand(demand, sme) == []


def test_holder_sees_the_demands_its_listing_answers_and_the_contact(client, make, sme, holder, as_user):
    listing = battery_listing(make, holder)
    sme.organization.contact_phone = "0591-87654321"
    demand = create_demand(sme, battery_demand(), publish=True)
    create_demand(sme, battery_demand(title="茶园采摘机器人", description="采茶"), publish=True)
    db.session.commit()
    found = demands_for_listing(listing)
    assert [f.demand.id for f in found] == [demand.id]
    as_user(holder)
    html = client.get(f"/demands/for-listing/{listing.id}").get_data(as_text=True)
    assert demand.title in html and "共同关键词" in html
    detail = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "0591-87654321" in detail
    assert "电动车电池冬天续航短" in client.get("/demands/answers").get_data(as_text=True)
    as_user(make.user(kind="enterprise"))
    assert client.get(f"/demands/for-listing/{listing.id}").status_code == 403


# --- digests ---------------------------------------------------------------------------------

def test_a_new_matching_listing_notifies_once_a_day(make, sme, holder):
    demand = create_demand(sme, battery_demand(), publish=True)
    db.session.commit()
    start = utcnow()
    assert send_due_digests(start) == 0  # nothing new yet
    battery_listing(make, holder)
    assert send_due_digests(start + timedelta(minutes=1)) == 1
    notes = db.session.scalars(select(Notification).where(Notification.user_id == sme.id)).all()
    assert len(notes) == 1 and demand.title[:10] in notes[0].text and f"/demands/{demand.id}" in notes[0].link
    assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.to_address == sme.email)) == 1
    # More listings the same day: no storm, and nothing is lost for tomorrow's digest.
    second = battery_listing(make, holder)
    assert send_due_digests(start + timedelta(hours=2)) == 0
    assert send_due_digests(start + timedelta(hours=3)) == 0
    assert send_due_digests(start + timedelta(days=1, minutes=2)) == 1
    notes = db.session.scalars(select(Notification).where(Notification.user_id == sme.id)
                               .order_by(Notification.id)).all()
    assert len(notes) == 2 and second.title in notes[1].text
    assert send_due_digests(start + timedelta(days=3)) == 0  # nothing new since


def test_unrelated_listings_do_not_notify(make, sme, holder):
    create_demand(sme, battery_demand(), publish=True)
    db.session.commit()
    make.listing(holder, [make.patent(holder.organization, title="一种茶叶揉捻机", ipc_codes=["A23F3/12"])])
    assert send_due_digests(utcnow() + timedelta(minutes=1)) == 0


def test_saved_search_digest(client, make, sme, holder, as_user):
    as_user(sme)
    assert client.post("/search/saved", data={"q": "电解液"}).status_code == 302
    saved = db.session.scalar(select(SavedSearch))
    assert saved.query == "电解液" and saved.user_id == sme.id
    battery_listing(make, holder)
    assert send_due_digests(utcnow() + timedelta(minutes=1)) == 1
    note = db.session.scalar(select(Notification).where(Notification.user_id == sme.id))
    assert "电解液" in note.text and "/search?q=" in note.link
    assert send_due_digests(utcnow() + timedelta(minutes=2)) == 0
    other = make.user(kind="enterprise")
    as_user(other)
    assert client.post(f"/search/saved/{saved.id}/delete").status_code == 404


def test_notify_command(runner, make, sme, holder):
    create_demand(sme, battery_demand(), publish=True)
    db.session.commit()
    battery_listing(make, holder)
    result = runner.invoke(args=["search", "notify"])
    assert result.exit_code == 0, result.output
    assert "digest(s) sent" in result.output


def test_notify_command_with_the_production_configuration_mails_absolute_links(make, sme, holder,
                                                                                production_cli):
    demand = create_demand(sme, battery_demand(), publish=True)
    db.session.commit()
    battery_listing(make, holder)
    result = production_cli.invoke(args=["search", "notify"])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent" in result.output
    assert production_cli.invoke(args=["mail", "flush"]).exit_code == 0
    [message] = production_cli.inbox.to(sme.email)
    assert f"https://ip.example.cn/demands/{demand.id}" in message.get_content()
