"""The operators' ledger page: filters, pagination, CSV export with a BOM, the chain status box."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text as sql

from marketplace.extensions import db
from marketplace.ledger.operations import append


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def entries(app, make):
    holder, buyer, other = make.org("university"), make.org("enterprise", is_sme=True), make.org("enterprise")
    today = date.today()
    with app.test_request_context():
        for n in range(60):
            append(event="created", subject_type="deal", subject_id=n + 1,
                   deal_kind="transfer" if n % 2 else "open_licence", to_status="accepted",
                   amount=Decimal("1000") * (n + 1), holder_org=holder,
                   counterparty_org=buyer if n < 50 else other, beneficiary_org=buyer if n < 50 else other,
                   patent_ids=[n + 1], occurred_on=today - timedelta(days=n))
        db.session.commit()
    return {"holder": holder, "buyer": buyer, "other": other, "today": today}


def test_only_operators_see_the_ledger(as_user, make, entries):
    assert as_user(make.user(kind="enterprise")).get("/operator/ledger").status_code == 403
    assert as_user(make.user(kind="enterprise")).get("/operator/ledger.csv").status_code == 403
    operator = make.user(operator=True)
    page = text(as_user(operator).get("/operator/ledger"))
    assert "链式校验通过：共 60 条记录" in page
    assert page.count('data-testid="ledger-row"') == 50  # first page
    assert page.count('data-testid="ledger-row"') and "共 60 条" in page
    assert "台账" in text(as_user(operator).get("/"))  # the nav entry


def test_filters_by_date_kind_and_organisation(as_user, make, entries):
    client = as_user(make.user(operator=True))
    today = entries["today"]
    week = text(client.get(f"/operator/ledger?start={(today - timedelta(days=6)).isoformat()}&end={today.isoformat()}"))
    assert week.count('data-testid="ledger-row"') == 7
    assert text(client.get("/operator/ledger?kind=transfer")).count('data-testid="ledger-row"') == 30
    other = entries["other"].id
    assert text(client.get(f"/operator/ledger?org={other}")).count('data-testid="ledger-row"') == 10
    assert text(client.get("/operator/ledger?page=2")).count('data-testid="ledger-row"') == 10
    assert text(client.get("/operator/ledger?start=nonsense&kind=bogus")).count('data-testid="ledger-row"') == 50


def test_csv_export_of_the_filtered_entries_opens_in_excel(as_user, make, entries):
    client = as_user(make.user(operator=True))
    response = client.get(f"/operator/ledger.csv?org={entries['other'].id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "occurred_on", "recorded_at"]
    assert len(rows) == 11 and all(row[12] == entries["other"].name for row in rows[1:])
    assert rows[1][9] == "51000.00" and len(rows[1][-1]) == 64


def test_the_status_box_names_the_broken_entry(as_user, make, entries):
    db.session.execute(sql("UPDATE ledger_entry SET amount = 1 WHERE seq = 7"))
    db.session.expire_all()
    page = text(as_user(make.user(operator=True)).get("/operator/ledger"))
    assert "链式校验失败" in page and "#7" in page
