"""One business calendar: "today" is the date in Asia/Shanghai; one rule for months and years
(29 February → 28 February in a common year); encumbrances end on their end date; dates a person
types are refused when they cannot be right (grant before filing, in the future, year 9999)."""

from __future__ import annotations

import pathlib
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace import dates
from marketplace.dates import add_months, add_years, business_date, business_today
from marketplace.deals import operations as ops
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.listings.models import LicenceType, ListingKind
from marketplace.patents.importer import RowStatus
from marketplace.patents.models import Encumbrance, EncumbranceKind, PatentType, expiry_date
from tests.support import field_error


def test_today_is_the_shanghai_date_whatever_the_server_clock_says(monkeypatch):
    # 2026-03-31 17:30 UTC is already 1 April in Shanghai
    monkeypatch.setattr(dates, "business_now", lambda: datetime(2026, 3, 31, 17, 30, tzinfo=UTC).astimezone(dates.SHANGHAI))
    assert business_today() == date(2026, 4, 1)
    assert business_date(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == date(2026, 3, 31)
    assert business_date(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)) == date(2026, 4, 1)


def test_no_server_date_is_left_in_the_package():
    root = pathlib.Path(__file__).resolve().parent.parent / "marketplace"
    found = subprocess.run(["grep", "-rn", "date.today()", str(root)], capture_output=True, text=True).stdout
    assert found == ""


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 10), 3, date(2026, 4, 10)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 5, 31), -3, date(2026, 2, 28)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
])
def test_months_land_on_the_same_day_or_the_last_of_a_short_month(start, months, expected):
    assert add_months(start, months) == expected


def test_29_february_has_one_rule_everywhere():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == add_years(date(2024, 2, 29), 1)
    # a patent's term ends the day before the anniversary of its filing
    assert expiry_date(PatentType.utility, date(2012, 2, 29)) == date(2022, 2, 27)
    assert expiry_date(PatentType.invention, date(2020, 2, 29)) == date(2040, 2, 28)
    # an open licence's default term: five years from today, by the same rule
    from marketplace.listings.forms import default_term_end

    assert default_term_end([], today=date(2028, 2, 29)) == date(2033, 2, 28)


# --- encumbrances end on their end date --------------------------------------------------------

@pytest.fixture
def uni(make):
    return make.user(kind="university")


@pytest.fixture
def sme(make):
    return make.user(kind="enterprise", is_sme=True)


def test_an_exclusive_licence_blocks_its_patent_until_its_end_date_only(app, make, uni, sme):
    patent = make.patent(uni.organization)
    with app.test_request_context():
        listing = make.listing(uni, [patent], kind=ListingKind.licence, licence_type="exclusive",
                               term_end=business_today() + timedelta(days=30))
        deal = ops.propose_deal(listing, sme, amount="200000")
        ops.agree(deal, uni)
        ops.complete(deal, uni)
        db.session.commit()
    encumbrance = db.session.scalar(db.select(Encumbrance).where(Encumbrance.patent_id == patent.id))
    assert encumbrance.kind == EncumbranceKind.exclusive_licence and encumbrance.ends_on == listing.term_end
    with pytest.raises(DomainError, match="独占或排他许可"):
        make.listing(uni, [patent], kind=ListingKind.open_licence)
    db.session.rollback()
    # the licence has run out: the patent is free again, and a new exclusive licence may follow
    encumbrance.ends_on = business_today() - timedelta(days=1)
    db.session.commit()
    with app.test_request_context():
        again = make.listing(uni, [patent], kind=ListingKind.licence, licence_type="exclusive")
        second = ops.propose_deal(again, make.user(kind="enterprise"), amount="300000")
        ops.agree(second, uni)
        ops.complete(second, uni)
        db.session.commit()
    active = db.session.scalars(db.select(Encumbrance).where(Encumbrance.patent_id == patent.id,
                                                             Encumbrance.released_at.is_(None))).all()
    assert [e.source for e in active] == [f"deal:{second.id}"]


def test_a_licence_without_an_end_date_ends_when_the_patent_expires(app, make, uni, sme):
    patent = make.patent(uni.organization)
    with app.test_request_context():
        listing = make.listing(uni, [patent], kind=ListingKind.licence, licence_type=LicenceType.sole.value)
        deal = ops.propose_deal(listing, sme, amount="200000")
        ops.agree(deal, uni)
        ops.complete(deal, uni)
    encumbrance = db.session.scalar(db.select(Encumbrance).where(Encumbrance.patent_id == patent.id))
    assert listing.term_end is None and encumbrance.ends_on == patent.expires_on


def test_ended_encumbrances_are_released_by_the_daily_housekeeping(app, make, uni, sme):
    from marketplace.listings.operations import expire_listings

    patent = make.patent(uni.organization)
    db.session.add(Encumbrance(patent_id=patent.id, kind=EncumbranceKind.exclusive_licence,
                               holder_id=sme.organization_id, ends_on=date(2025, 1, 1)))
    db.session.commit()
    expire_listings(today=date(2025, 1, 2))
    assert db.session.scalar(db.select(Encumbrance.released_at)) is not None


# --- dates out of range --------------------------------------------------------------------------

GOOD_PATENT = {"title": "一种基于深度学习的图像去噪方法", "app_no": "CN202211740332.4", "patent_type": "",
               "abstract": "本发明公开了一种图像去噪方法。", "ipc_codes": "G06T5/70, G06N3/08",
               "applicants": "鼓楼大学", "app_date": "2022-12-30", "grant_date": "2024-03-01", "legal_status": ""}


@pytest.mark.parametrize("changes, field, message", [
    ({"grant_date": "9999-12-31"}, "grant_date", "授权日不能晚于今天"),
    ({"grant_date": (datetime.now(UTC).date() + timedelta(days=40)).isoformat()}, "grant_date", "授权日不能晚于今天"),
    ({"app_date": "1900-01-01", "grant_date": ""}, "app_date", "申请日不能早于 1985 年"),
    ({"grant_date": "2021-01-01"}, "grant_date", "授权日不能早于申请日"),
])
def test_dates_out_of_range_are_refused_beside_the_field(client, make, as_user, changes, field, message):
    holder = make.user(kind="university")
    as_user(holder)
    response = client.post("/patents/new", data={**GOOD_PATENT, **changes})
    assert message in field_error(response, field)
    typed = changes[field]
    assert typed and typed in response.get_data(as_text=True)  # what was typed is kept
    from marketplace.patents.models import Patent

    assert db.session.scalar(db.select(db.func.count()).select_from(Patent)) == 0


def test_a_demand_deadline_in_the_year_9999_is_refused(client, make, as_user):
    as_user(make.user(kind="enterprise"))
    response = client.post("/demands/new", data={"title": "电池低温", "industry": "new_energy",
                                                 "deadline": "9999-12-31", "publish": "发布需求"})
    assert "不合理" in field_error(response, "deadline")


def test_the_importer_reports_dates_out_of_range_row_by_row(tmp_path, make):
    from tests.test_import import run_import, write_csv

    org = make.org(kind="university", name="鼓楼大学")
    rows = [
        ["CN202211740332.4", "", "一种图像去噪方法", "", "G06T5/00", "", "鼓楼大学", "", "2022-12-30", "9999-12-31"],
        ["201710601862.3", "", "一种锂电池负极材料", "", "H01M4/36", "", "鼓楼大学", "", "2017-07-21", "2020-06-05"],
    ]
    report = run_import(org, write_csv(tmp_path / "p.csv", rows))
    first, second = report.results
    assert first.status == RowStatus.rejected and "授权日不能晚于今天" in first.reason
    assert second.status == RowStatus.imported
