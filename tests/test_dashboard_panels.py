"""The dashboard's "waiting on you" panels, per role, counted from the real records."""

from __future__ import annotations

import re

import pytest

from marketplace.deals import operations as deals
from marketplace.listings.models import ListingKind

from .finance_helpers import submit


def panel_counts(client) -> dict[str, int]:
    html = client.get("/dashboard").get_data(as_text=True)
    found = re.findall(r'<div class="fw-bold">([^<]+)</div>.*?<span class="display-6[^"]*">(\d+)</span>', html, re.S)
    return {title: int(count) for title, count in found}


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_holder_sees_deals_waiting_on_it(client, make, as_user, ctx):
    uni = make.user(kind="university")
    sme = make.user(kind="enterprise", is_sme=True)
    listing = make.listing(uni, kind=ListingKind.transfer)
    deals.propose_deal(listing, sme, amount="500000")
    from marketplace.extensions import db

    db.session.commit()
    as_user(uni)
    assert panel_counts(client)["待我方处理的交易"] == 1
    as_user(sme)
    assert panel_counts(client)["待我方处理的交易"] == 0  # the holder must move


def test_licence_contract_recordation_deadline_shows_for_both_sides(client, make, as_user, ctx):
    """细则 §15: a licence contract's 3-month 备案 deadline is a panel on both sides' dashboards;
    an open licence's recommended date (细则 §87: no deadline) is not."""
    from datetime import timedelta

    from marketplace.dates import business_today
    from marketplace.extensions import db

    uni = make.user(kind="university")
    sme = make.user(kind="enterprise", is_sme=True)
    open_deal = deals.accept_open_licence(make.listing(uni, kind=ListingKind.open_licence), sme, "书面通知")
    deal = deals.propose_deal(make.listing(uni, kind=ListingKind.licence), sme, amount="200000")
    deals.agree(deal, uni)
    deals.complete(deal, uni)
    db.session.commit()
    as_user(sme)
    assert "许可合同备案期限临近" not in panel_counts(client)  # three months away
    open_deal.recordation_due = deal.recordation_due = business_today() + timedelta(days=10)
    db.session.commit()
    assert panel_counts(client)["许可合同备案期限临近"] == 1
    as_user(uni)
    assert panel_counts(client)["许可合同备案期限临近"] == 1


def test_bank_sees_its_own_queue_only(client, make, as_user, ctx):
    from marketplace.extensions import db

    holder = make.user(kind="enterprise", is_sme=True)
    chosen, other = make.user(kind="bank"), make.user(kind="bank")
    submit(holder, [chosen], [make.patent(holder.organization)])
    db.session.commit()
    as_user(chosen)
    assert panel_counts(client)["待审查的质押申请"] == 1
    as_user(other)
    assert panel_counts(client)["待审查的质押申请"] == 0


def test_operator_has_no_deal_panels(client, as_user, operator):
    as_user(operator)
    counts = panel_counts(client)
    assert "待审核机构" in counts and "待我方处理的交易" not in counts
