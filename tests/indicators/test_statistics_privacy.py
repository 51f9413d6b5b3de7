"""The public statistics page never lets a withheld amount be worked out from the ones shown."""

from __future__ import annotations

from datetime import date

from marketplace.accounts.models import OrgKind
from marketplace.extensions import db
from marketplace.indicators.public import summary

from .conftest import conclude


def test_the_total_is_withheld_when_it_would_give_a_withheld_kind_away(app, make, today):
    uni, firm = make.org(OrgKind.university), make.org(OrgKind.enterprise)
    for amount in ("100000", "200000", "300000"):
        conclude("transfer", date(2025, 3, 1), amount, holder=uni, counterparty=firm, beneficiary=firm)
    conclude("licence", date(2025, 4, 1), "123456.78", holder=uni, counterparty=firm, beneficiary=firm)
    db.session.commit()
    stats = summary(2025)
    kinds = {kind: total for kind, _label, total in stats["deals"]}
    assert kinds["transfer"].amount is not None and kinds["licence"].withheld
    # Shown, total − transfers would be the single licence's 123,456.78.
    assert stats["deals_total"].withheld and stats["deals_total"].count == 4


def test_the_total_is_shown_when_the_withheld_kinds_together_are_enough(app, make, today):
    uni, firm = make.org(OrgKind.university), make.org(OrgKind.enterprise)
    for kind in ("open_licence", "licence", "equity"):
        conclude(kind, date(2025, 3, 1), "100000", holder=uni, counterparty=firm, beneficiary=firm)
    db.session.commit()
    assert not summary(2025)["deals_total"].withheld
