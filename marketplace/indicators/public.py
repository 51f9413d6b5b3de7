"""The public statistics page: the pool at a glance, with nothing confidential.

Only counts and totals appear: no party names, no single deal's amount. A total made of
fewer than STATISTICS_MIN_GROUP deals is withheld, since it would give one deal's amount away."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func

from ..extensions import db
from ..listings.models import INDUSTRY_LABELS, LISTING_KIND_LABELS, LIVE_STATUSES, Listing
from ..listings.visibility import visible_to
from .definitions import DEAL_LABELS
from .engine import Context
from .ledger_figures import DEAL_KINDS, distinct_patents, total_amount
from .periods import Period


@dataclass
class Total:
    count: int
    amount: object  # Decimal, or None when withheld

    @property
    def withheld(self) -> bool:
        return self.amount is None


def _total(entries, minimum: int) -> Total:
    shown = not entries or len(entries) >= minimum
    return Total(len(entries), total_amount(entries) if shown else None)


def _grand_total(entries, parts, minimum: int) -> Total:
    """The total over all kinds, withheld when the kinds withheld add up to fewer than `minimum`
    deals: otherwise the total minus the kinds shown would give a withheld amount away."""
    total = _total(entries, minimum)
    hidden = sum(part.count for part in parts if part.withheld)
    if 0 < hidden < minimum:
        return Total(total.count, None)
    return total


def listing_counts() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """Live listings the public may see (listings/visibility.py), by kind and by industry:
    (value, label, count); a kind with nothing the public may see has no row (a pledge need is
    seen only by banks, so "0 pledge needs" would misstate it)."""
    public = [Listing.status.in_(LIVE_STATUSES), visible_to(None)]
    by_kind = dict(db.session.execute(db.select(Listing.kind, func.count(Listing.id))
                                      .where(*public).group_by(Listing.kind)).all())
    by_industry = dict(db.session.execute(db.select(Listing.industry, func.count(Listing.id))
                                          .where(*public).group_by(Listing.industry)).all())
    kinds = [(k.value, str(label), by_kind[k]) for k, label in LISTING_KIND_LABELS.items() if k in by_kind]
    industries = [(i.value, str(label), by_industry.get(i, 0)) for i, label in INDUSTRY_LABELS.items()]
    return kinds, industries


def summary(year: int, ctx: Context | None = None) -> dict:
    ctx = ctx or Context()
    minimum = int(current_app.config.get("STATISTICS_MIN_GROUP", 3))
    period = Period(year)
    kinds, industries = listing_counts()
    deals = {kind: _total(ctx.ledger.concluded((kind,), period), minimum) for kind in DEAL_KINDS}
    all_conclusions = ctx.ledger.conclusions()
    open_licences_ever = sum(1 for e in all_conclusions if e.deal_kind == "open_licence")
    pledges = ctx.ledger.concluded(("pledge",), period)
    policies = ctx.ledger.concluded(("insurance",), period)
    quarters = Period(year).quarters()
    return {
        "year": year, "ledger_warning": ctx.ledger_warning, "listings_by_kind": kinds, "listings_by_industry": industries,
        "listings_total": sum(c for _v, _l, c in kinds),
        "deals": [(kind, str(DEAL_LABELS[kind]), total) for kind, total in deals.items()],
        "deals_total": _grand_total(ctx.ledger.concluded(DEAL_KINDS, period), deals.values(), minimum),
        "open_licences_ever": open_licences_ever,
        "pledge": _total(pledges, minimum), "insured_patents": len(distinct_patents(policies)),
        "policies": len(policies),
        "deals_chart": {"labels": [f"Q{q.quarter}" for q in quarters], "stack": True,
                        "series": [{"name": str(DEAL_LABELS[kind]), "unit": _("笔"),
                                    "values": [len(ctx.ledger.concluded((kind,), q)) for q in quarters]}
                                   for kind in DEAL_KINDS]},
        "industries_chart": {"labels": [label for _v, label, _c in industries],
                             "series": [{"name": _("挂牌"), "unit": _("项"),
                                         "values": [count for _v, _l, count in industries]}]},
    }
