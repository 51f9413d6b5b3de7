"""What a listing costs, said one way everywhere: its label (免费, 仅提成 3%, ¥50,000.00, 面议), its
price band (the search facet and filter), the figure price sorting uses, and whether it fits a
demand's budget. The listing cards, search, the API, matching and mails all ask `price_of`.

免费 means no fee and no royalty. A royalty-only open licence is 仅提成 and shown as its rate,
never as ¥0.00. A price below a demand's budget fits it: the budget is what the buyer can spend."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..formatting import money
from .models import Listing, ListingKind, PaymentMethod


class PriceKind(enum.StrEnum):
    free = "free"  # no fee and no royalty
    royalty_only = "royalty_only"  # a share of net sales, nothing up front
    fixed = "fixed"  # a sum (with a royalty on top when `royalty_rate` is set)
    negotiable = "negotiable"  # 面议


# The facet's values in display order: (value, label). Fixed sums fall in the amount bands.
PRICE_BANDS = [
    ("free", _l("免费")),
    ("royalty_only", _l("仅提成")),
    ("lt100k", _l("10 万元以下")),
    ("100k_500k", _l("10–50 万元")),
    ("500k_1m", _l("50–100 万元")),
    ("1m_5m", _l("100–500 万元")),
    ("gte5m", _l("500 万元以上")),
    ("negotiable", _l("面议")),
]
_BAND_LIMITS = [(Decimal("100000"), "lt100k"), (Decimal("500000"), "100k_500k"),
                (Decimal("1000000"), "500k_1m"), (Decimal("5000000"), "1m_5m")]


@dataclass(frozen=True)
class Price:
    kind: PriceKind
    amount: Decimal | None = None  # the sum due: fee, entry fee, asking price, valuation, amount wanted
    royalty_rate: Decimal | None = None  # percent of net sales
    note: str = ""  # what the sum buys, when the kind says more (equity share, loan term)

    @property
    def label(self) -> str:
        if self.kind == PriceKind.free:
            return _("免费")
        if self.kind == PriceKind.negotiable:
            return _("面议")
        if self.kind == PriceKind.royalty_only:
            return _("仅提成 %(rate)s%%", rate=_rate(self.royalty_rate))
        text = money(self.amount)
        if self.royalty_rate is not None:
            text = _("%(amount)s + 提成 %(rate)s%%", amount=text, rate=_rate(self.royalty_rate))
        return f"{text} · {self.note}" if self.note else text

    @property
    def band(self) -> str:
        if self.kind != PriceKind.fixed:
            return self.kind.value
        for limit, band in _BAND_LIMITS:
            if self.amount < limit:
                return band
        return "gte5m"

    @property
    def sort_amount(self) -> Decimal | None:
        """What price sorting compares: the sum due (free is 0); None sorts with 面议."""
        return Decimal(0) if self.kind == PriceKind.free else self.amount

    def fits_budget(self, budget_min: Decimal | None, budget_max: Decimal | None) -> bool | None:
        """True when the sum due is within what the buyer can spend (below the range fits too),
        False when above it, None when it cannot be told (面议, 仅提成, no budget stated)."""
        if budget_min is None and budget_max is None:
            return None
        if self.kind == PriceKind.free:
            return True
        if self.kind != PriceKind.fixed:
            return None
        return budget_max is None or self.amount <= budget_max


def _rate(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate.normalize():f}"


def price_of(listing: Listing) -> Price:
    """The one reading of a listing's terms as a price."""
    kind = listing.kind
    if kind == ListingKind.open_licence:
        method = listing.payment_method
        if method == PaymentMethod.free:
            return Price(PriceKind.free, Decimal(0))
        if method == PaymentMethod.royalty or (method is not None and method.needs_royalty and not listing.fee_amount):
            return Price(PriceKind.royalty_only, None, listing.royalty_rate)
        if not listing.fee_amount:  # no fee and no royalty stated: nothing is due
            return Price(PriceKind.free, Decimal(0))
        return Price(PriceKind.fixed, listing.fee_amount,
                     listing.royalty_rate if method is not None and method.needs_royalty else None)
    if kind == ListingKind.equity:
        note = _("持股 %(share)s%%", share=_rate(listing.equity_share)) if listing.equity_share is not None else ""
        return Price(PriceKind.fixed, listing.valuation, note=note) if listing.valuation else Price(PriceKind.negotiable)
    if kind == ListingKind.pledge:
        note = _("%(n)d 个月", n=listing.term_months) if listing.term_months else ""
        return (Price(PriceKind.fixed, listing.amount_wanted, note=note) if listing.amount_wanted
                else Price(PriceKind.negotiable))
    return Price(PriceKind.fixed, listing.asking_price) if listing.asking_price else Price(PriceKind.negotiable)


def budget_fit(listing: Listing, demand) -> bool | None:
    """Whether this listing's price fits the demand's budget (see Price.fits_budget)."""
    return price_of(listing).fits_budget(demand.budget_min, demand.budget_max)
