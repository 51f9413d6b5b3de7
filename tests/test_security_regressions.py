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
