"""Documents either party attaches to a deal: checked by content, readable by the parties only."""

from __future__ import annotations

import io

import pytest

from marketplace.deals import operations as deals
from marketplace.deals.models import DealDocument
from marketplace.extensions import db
from marketplace.listings.models import ListingKind

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def deal(app, make):
    with app.test_request_context():
        uni = make.user(kind="university")
        sme = make.user(kind="enterprise", is_sme=True)
        listing = make.listing(uni, kind=ListingKind.transfer)
        deal = deals.propose_deal(listing, sme, amount="500000")
        db.session.commit()
        return deal, uni, sme


def post_file(client, deal_id, content=PDF, name="转让合同.pdf", label="合同"):
    return client.post(f"/deals/{deal_id}/documents", data={"label": label, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_a_party_uploads_and_both_parties_read_it(client, as_user, deal, make):
    deal, uni, sme = deal
    deal_id = deal.id
    as_user(sme)
    response = post_file(client, deal_id)
    assert response.status_code == 302
    document = db.session.scalar(db.select(DealDocument))
    assert document.label == "合同" and document.file.original_name == "转让合同.pdf"
    as_user(uni)
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "转让合同.pdf" in page
    download = client.get(f"/deals/{deal_id}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize("who", ["stranger", "bank", "anonymous"])
def test_others_cannot_read_or_upload(client, as_user, deal, make, who):
    deal, _uni, sme = deal
    deal_id = deal.id
    as_user(sme)
    post_file(client, deal_id)
    document_id = db.session.scalar(db.select(DealDocument.id))
    client.get("/")  # keep the session object fresh
    if who == "anonymous":
        with client.session_transaction() as session:
            session.clear()
    else:
        as_user(make.user(kind="enterprise" if who == "stranger" else "bank"))
    read = client.get(f"/deals/{deal_id}/documents/{document_id}")
    upload = post_file(client, deal_id)
    if who == "anonymous":
        assert read.status_code == 302 and upload.status_code == 302
    else:
        assert read.status_code == 404 and upload.status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(DealDocument)) == 1


@pytest.mark.parametrize("content, name, message", [
    (b"not a pdf at all", "合同.pdf", "内容不是"),
    (b"", "空.pdf", "是空的"),
])
def test_bad_files_are_refused_and_nothing_stored(client, as_user, deal, content, name, message):
    deal, _uni, sme = deal
    as_user(sme)
    response = post_file(client, deal.id, content=content, name=name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(DealDocument)) == 0


def test_unknown_label_refused(client, as_user, deal):
    deal, _uni, sme = deal
    as_user(sme)
    assert post_file(client, deal.id, label="发票2").status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(DealDocument)) == 0


def test_control_characters_are_dropped_from_file_names(client, as_user, deal):
    deal, _uni, sme = deal
    as_user(sme)
    assert post_file(client, deal.id, name="合同\t\x1b[31m终稿.pdf").status_code == 302
    document = db.session.scalar(db.select(DealDocument))
    assert document.file.original_name == "合同[31m终稿.pdf"
    download = client.get(f"/deals/{deal.id}/documents/{document.id}")
    assert download.status_code == 200
