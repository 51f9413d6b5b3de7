"""Writes on deals. Every status change goes through workflow.apply_transition, which writes
the ledger entry in the same transaction; these functions add the checks and data each needs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import url_for
from flask_babel import gettext as _

from ..accounts.models import OrgKind
from ..accounts.operations import ensure_can_act
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..listings.models import LIVE_STATUSES, Listing, ListingKind
from ..listings.operations import check_offerable, parse_amount, parse_percent
from ..notify.operations import notify_organization
from ..workflow import apply_transition, record_creation
from .models import Deal, DealKind, DealOffer, DealPatent, DealStatus

RECORDATION_MONTHS = 3
NEGOTIABLE_KINDS = {ListingKind.licence: DealKind.licence, ListingKind.transfer: DealKind.transfer,
                    ListingKind.equity: DealKind.equity}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _lock_listing(listing_id: int) -> Listing:
    """Serialise concurrent deals on one listing (a row lock on PostgreSQL)."""
    listing = db.session.get(Listing, listing_id, with_for_update=True, populate_existing=True)
    if listing is None:
        raise DomainError(_("挂牌不存在。"))
    return listing


def _check_counterparty(listing: Listing, user) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    ensure_can_act(user)
    if listing.owner_id == user.organization_id:
        raise DomainError(_("不能与本机构自己的挂牌成交。"))
    if listing.status not in LIVE_STATUSES:
        raise DomainError(_("该挂牌当前不可交易（%(status)s）。", status=listing.status.label))
    check_offerable(listing)


# --- open licences: accepted on the published terms, no negotiation -------------------------

def open_licence_fee(listing: Listing, organization) -> tuple[Decimal, bool]:
    """The fee this organisation pays under the declaration, and whether the SME discount applied."""
    fee = listing.fee_amount or Decimal("0")
    discounted = bool(organization.is_sme and listing.sme_discount)
    if discounted:
        fee = (fee * (Decimal(100) - listing.sme_discount) / Decimal(100)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return fee, discounted


def accept_open_licence(listing: Listing, user, notice: str, today: date | None = None) -> Deal:
    """The licensee's written notice: the licence exists at once, on the published terms."""
    listing = _lock_listing(listing.id)
    if listing.kind != ListingKind.open_licence:
        raise DomainError(_("该挂牌不是开放许可。"))
    _check_counterparty(listing, user)
    organization = user.organization
    if organization.kind != OrgKind.enterprise:
        raise DomainError(_("开放许可面向企业：请以企业账号接受。"))
    if not (notice or "").strip():
        raise DomainError(_("请填写书面通知内容。"), field="notice")
    existing = db.session.scalar(db.select(Deal.id).where(
        Deal.listing_id == listing.id, Deal.counterparty_org_id == organization.id,
        Deal.status.in_([DealStatus.accepted, DealStatus.paid, DealStatus.recorded])))
    if existing:
        raise DomainError(_("贵单位已取得该开放许可（交易 #%(id)d）。", id=existing))
    today = today or date.today()
    fee, discounted = open_licence_fee(listing, organization)
    deal = Deal(kind=DealKind.open_licence, status=DealStatus.accepted, listing_id=listing.id,
                holder_org_id=listing.owner_id, counterparty_org_id=organization.id, amount=fee,
                royalty_rate=listing.royalty_rate, term_end=listing.term_end, notice=notice.strip(),
                recordation_due=add_months(today, RECORDATION_MONTHS), created_by_id=user.id,
                terms=_open_licence_terms_text(listing, fee, discounted))
    deal.items = [DealPatent(patent_id=p.id) for p in listing.patents]
    db.session.add(deal)
    db.session.flush()
    record_creation(deal, user, data={"payment_method": listing.payment_method.value,
                                      "royalty_rate": listing.royalty_rate, "sme_discount_applied": discounted,
                                      "term_end": listing.term_end, "recordation_due": deal.recordation_due})
    notify_organization(listing.owner, _("%(org)s 已接受您的开放许可“%(title)s”，许可即时生效。请在收款后登记，并于 %(due)s 前办理备案。",
                                         org=organization.name, title=listing.title, due=deal.recordation_due.isoformat()),
                        url_for("deals.detail", deal_id=deal.id, _external=True))
    return deal


def _open_licence_terms_text(listing: Listing, fee: Decimal, discounted: bool) -> str:
    parts = [_("支付方式：%(m)s", m=listing.payment_method.label)]
    if fee:
        parts.append(_("使用费：¥%(fee)s", fee=f"{fee:,.2f}") + (_("（已享中小微企业优惠）") if discounted else ""))
    if listing.royalty_rate is not None:
        parts.append(_("提成：净销售额的 %(r)s%%", r=listing.royalty_rate))
    parts.append(_("许可期限至 %(d)s", d=listing.term_end.isoformat()))
    return "；".join(parts)


def record_payment(deal: Deal, user, paid_on: date | None = None):
    paid_on = paid_on or date.today()
    if paid_on > date.today():
        raise DomainError(_("收款日期不能晚于今天。"), field="paid_on")
    return apply_transition(deal, DealStatus.paid.value, user, data={"paid_on": paid_on})


def record_recordation(deal: Deal, user, recordation_no: str):
    recordation_no = (recordation_no or "").strip()
    if recordation_no and len(recordation_no) > 60:
        raise DomainError(_("备案号过长。"), field="recordation_no")
    return apply_transition(deal, DealStatus.recorded.value, user, data={"recordation_no": recordation_no})


# --- negotiated deals -----------------------------------------------------------------------

def _terms(amount, royalty_rate, terms: str) -> tuple[Decimal | None, Decimal | None, str]:
    amount = parse_amount(amount, "amount", allow_zero=True)
    royalty_rate = parse_percent(royalty_rate, "royalty_rate")
    if amount is None and royalty_rate is None:
        raise DomainError(_("请填写金额或提成比例。"), field="amount")
    return amount, royalty_rate, (terms or "").strip()


def propose_deal(listing: Listing, user, *, amount=None, royalty_rate=None, terms: str = "") -> Deal:
    listing = _lock_listing(listing.id)
    kind = NEGOTIABLE_KINDS.get(listing.kind)
    if kind is None:
        raise DomainError(_("该挂牌不接受议价提议。"))
    _check_counterparty(listing, user)
    amount, royalty_rate, terms = _terms(amount, royalty_rate, terms)
    deal = Deal(kind=kind, status=DealStatus.proposed, listing_id=listing.id, holder_org_id=listing.owner_id,
                counterparty_org_id=user.organization_id, licence_type=listing.licence_type, amount=amount,
                royalty_rate=royalty_rate, terms=terms, term_end=listing.term_end, created_by_id=user.id)
    deal.items = [DealPatent(patent_id=p.id) for p in listing.patents]
    deal.offers = [DealOffer(version=1, by_org_id=user.organization_id, by_user_id=user.id, amount=amount,
                             royalty_rate=royalty_rate, terms=terms)]
    db.session.add(deal)
    db.session.flush()
    record_creation(deal, user, data={"offer_version": 1, "royalty_rate": royalty_rate})
    notify_organization(listing.owner, _("%(org)s 对“%(title)s”提出了%(kind)s提议。", org=user.organization.name,
                                         title=listing.title, kind=kind.label),
                        url_for("deals.detail", deal_id=deal.id, _external=True))
    return deal


def counter_offer(deal: Deal, user, *, amount=None, royalty_rate=None, terms: str = "") -> DealOffer:
    amount, royalty_rate, terms = _terms(amount, royalty_rate, terms)
    version = (deal.latest_offer.version if deal.latest_offer else 0) + 1
    apply_transition(deal, DealStatus.negotiating.value, user, amount=amount,
                     data={"offer_version": version, "royalty_rate": royalty_rate})
    offer = DealOffer(version=version, by_org_id=user.organization_id, by_user_id=user.id, amount=amount,
                      royalty_rate=royalty_rate, terms=terms)
    deal.offers.append(offer)
    deal.amount, deal.royalty_rate, deal.terms = amount, royalty_rate, terms
    db.session.flush()
    return offer


def agree(deal: Deal, user):
    if deal.listing_id is not None:
        _lock_listing(deal.listing_id)
    offer = deal.latest_offer
    return apply_transition(deal, DealStatus.agreed.value, user, amount=offer.amount if offer else deal.amount,
                            data={"offer_version": offer.version if offer else None})


def complete(deal: Deal, user):
    return apply_transition(deal, DealStatus.completed.value, user)


def reject(deal: Deal, user, reason: str = ""):
    return apply_transition(deal, DealStatus.rejected.value, user, data={"reason": (reason or "").strip()})


def cancel(deal: Deal, user, reason: str = ""):
    return apply_transition(deal, DealStatus.cancelled.value, user, data={"reason": (reason or "").strip()})


def recordation_overdue(today: date | None = None) -> list[Deal]:
    """Open licences not yet recorded whose 3-month deadline is near or past (for reminders)."""
    today = today or date.today()
    return db.session.scalars(db.select(Deal).where(
        Deal.kind == DealKind.open_licence, Deal.status.in_([DealStatus.accepted, DealStatus.paid]),
        Deal.recordation_due <= today + timedelta(days=14))).all()
