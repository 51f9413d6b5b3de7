"""Writes on deals. Every status change goes through workflow.apply_transition, which writes
the ledger entry in the same transaction; these functions add the checks and data each needs."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from ..accounts.models import OrgKind
from ..accounts.operations import ensure_can_act, ensure_holds_patents
from ..dates import business_today
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..ledger.operations import lock_head
from ..listings.models import LIVE_STATUSES, Listing, ListingKind
from ..listings.operations import check_offerable, parse_percent
from ..money import parse_money
from ..notify.operations import notify_organization
from ..urls import external_url
from ..workflow import apply_transition, check_transition, record_creation
from . import recordation
from .models import (
    NEGOTIATED_MACHINE,
    OPEN_LICENCE_MACHINE,
    Deal,
    DealKind,
    DealOffer,
    DealPatent,
    DealStatus,
)

NEGOTIABLE_KINDS = {ListingKind.licence: DealKind.licence, ListingKind.transfer: DealKind.transfer,
                    ListingKind.equity: DealKind.equity}


def _lock_listing(listing_id: int) -> Listing:
    """Serialise concurrent deals on one listing (a row lock on PostgreSQL). The ledger head
    comes first, as in every transition, so locks are always taken in the same order."""
    lock_head()
    listing = db.session.get(Listing, listing_id, with_for_update=True, populate_existing=True)
    if listing is None:
        raise DomainError(_("挂牌不存在。"))
    return listing


def check_parties(holder_org, counterparty_org) -> None:
    """Both sides of a licence, transfer or equity deal hold patents (SPEC §3): asked when a deal
    is proposed or accepted and again at every step that moves it forward, whichever page it
    came from (a listing, an inquiry thread, a counter-offer)."""
    if holder_org.id == counterparty_org.id:
        raise DomainError(_("不能与本机构自己的挂牌成交。"))
    ensure_holds_patents(holder_org)
    ensure_holds_patents(counterparty_org)


def _check_counterparty(listing: Listing, user) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    ensure_can_act(user)
    check_parties(listing.owner, user.organization)
    _check_listing_live(listing)


def _check_holder_offer(listing: Listing, user, counterparty_org) -> None:
    """The holder proposes to an organisation that asked about the listing."""
    if listing.owner_id != user.organization_id:
        raise PermissionDenied(_("只有挂牌方可以向对方提出提议。"))
    ensure_can_act(user)
    check_parties(listing.owner, counterparty_org)
    if not counterparty_org.is_verified:
        raise DomainError(_("对方机构尚未通过平台审核，不能作为交易一方。"))
    _check_listing_live(listing)


def proposal_refusal(listing: Listing, user, counterparty_org=None) -> str | None:
    """Why this user may not propose a deal on this listing now (the holder: to `counterparty_org`),
    or None — the checks propose_deal makes, asked without writing."""
    if listing.kind not in NEGOTIABLE_KINDS:
        return _("该挂牌不接受议价提议。")
    if not getattr(user, "is_authenticated", False):
        return _("请先登录。")
    try:
        if counterparty_org is not None:
            _check_holder_offer(listing, user, counterparty_org)
        else:
            _check_counterparty(listing, user)
    except DomainError as error:
        return error.message
    return None


def _check_listing_live(listing: Listing) -> None:
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


def acceptance_refusal(listing: Listing, user) -> str | None:
    """Why this user may not accept this open licence now, or None: the rules accept_open_licence
    enforces, asked without writing (the listing page shows the answer instead of a dead button)."""
    try:
        _check_acceptance(listing, user)
    except DomainError as error:
        return error.message
    return None


def _check_acceptance(listing: Listing, user) -> None:
    if listing.kind != ListingKind.open_licence:
        raise DomainError(_("该挂牌不是开放许可。"))
    _check_counterparty(listing, user)
    organization = user.organization
    if organization.kind != OrgKind.enterprise:
        raise DomainError(_("开放许可面向企业：请以企业账号接受。"))
    existing = db.session.scalar(db.select(Deal.id).where(
        Deal.listing_id == listing.id, Deal.counterparty_org_id == organization.id,
        Deal.status.in_(OPEN_LICENCE_MACHINE.concluded_states)))
    if existing:
        raise DomainError(_("贵单位已取得该开放许可（交易 #%(id)d）。", id=existing))


def accept_open_licence(listing: Listing, user, notice: str, today: date | None = None) -> Deal:
    """The licensee's written notice: the licence exists at once, on the published terms."""
    listing = _lock_listing(listing.id)
    _check_acceptance(listing, user)
    organization = user.organization
    if not (notice or "").strip():
        raise DomainError(_("请填写书面通知内容。"), field="notice")
    if len(notice) > 10000:
        raise DomainError(_("书面通知过长。"), field="notice")
    occurred_on = today  # a given day (the demo's) is the ledger's date too
    today = today or business_today()
    fee, discounted = open_licence_fee(listing, organization)
    deal = Deal(kind=DealKind.open_licence, status=DealStatus.accepted, listing_id=listing.id,
                holder_org_id=listing.owner_id, counterparty_org_id=organization.id, amount=fee,
                royalty_rate=listing.royalty_rate, term_end=listing.term_end, notice=notice.strip(),
                created_by_id=user.id,
                terms=_open_licence_terms_text(listing, fee, discounted))
    deal.items = [DealPatent(patent_id=p.id) for p in listing.patents]
    recordation.start_clock(deal, today)  # a recommendation only: 细则 §87 sets no deadline
    db.session.add(deal)
    db.session.flush()
    record_creation(deal, user, occurred_on=occurred_on, data={"payment_method": listing.payment_method.value,
                                      "royalty_rate": listing.royalty_rate, "sme_discount_applied": discounted,
                                      "term_end": listing.term_end, "recordation_due": deal.recordation_due})
    notify_organization(listing.owner, _("%(org)s 已接受您的开放许可“%(title)s”，许可即时生效。请在收款后登记；建议于 %(due)s 前办理备案（法律未规定开放许可的备案期限）。",
                                         org=organization.name, title=listing.title, due=deal.recordation_due.isoformat()),
                        external_url("deals.detail", deal_id=deal.id))
    return deal


def _open_licence_terms_text(listing: Listing, fee: Decimal, discounted: bool) -> str:
    parts = [_("支付方式：%(m)s", m=listing.payment_method.label)]
    if fee:
        parts.append(_("使用费：¥%(fee)s", fee=f"{fee:,.2f}") + (_("（已享中小微企业优惠）") if discounted else ""))
    if listing.royalty_rate is not None:
        parts.append(_("提成：净销售额的 %(r)s%%", r=listing.royalty_rate))
    parts.append(_("许可期限至 %(d)s", d=listing.term_end.isoformat()))
    return "；".join(parts)


@OPEN_LICENCE_MACHINE.operation("paid")
def record_payment(deal: Deal, user, paid_on: date | None = None, amount_paid=None,
                   occurred_on: date | None = None):
    """The holder confirms it received the fee (amount and date); the ledger keeps both."""
    check_transition(deal, DealStatus.paid.value, user)
    today = occurred_on or business_today()
    paid_on = paid_on or today
    if paid_on > today:
        raise DomainError(_("收款日期不能晚于今天。"), field="paid_on")
    amount_paid = parse_money(amount_paid, "amount_paid", allow_zero=True)
    if amount_paid is None:
        amount_paid = deal.amount or Decimal("0")
    return apply_transition(deal, DealStatus.paid.value, user, occurred_on=occurred_on,
                            data={"paid_on": paid_on, "amount_paid": amount_paid})


@OPEN_LICENCE_MACHINE.operation("recorded")
def record_recordation(deal: Deal, user, recordation_no: str, occurred_on: date | None = None):
    check_transition(deal, DealStatus.recorded.value, user)
    recordation_no = recordation.canonical_recordation_number(recordation_no)
    return apply_transition(deal, DealStatus.recorded.value, user, occurred_on=occurred_on,
                            data={"recordation_no": recordation_no})


# --- negotiated deals -----------------------------------------------------------------------

def _terms(amount, royalty_rate, terms: str) -> tuple[Decimal | None, Decimal | None, str]:
    amount = parse_money(amount, "amount", allow_zero=True)
    royalty_rate = parse_percent(royalty_rate, "royalty_rate")
    if amount is None and royalty_rate is None:
        raise DomainError(_("请填写金额或提成比例。"), field="amount")
    return amount, royalty_rate, (terms or "").strip()


def propose_deal(listing: Listing, user, *, amount=None, royalty_rate=None, terms: str = "",
                 counterparty_org=None, thread=None, occurred_on: date | None = None) -> Deal:
    """A first offer on a licence, transfer or equity listing. Usually the interested
    organisation proposes; from an inquiry the holder may propose to the asking organisation."""
    listing = _lock_listing(listing.id)
    kind = NEGOTIABLE_KINDS.get(listing.kind)
    if kind is None:
        raise DomainError(_("该挂牌不接受议价提议。"))
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    by_holder = counterparty_org is not None
    if by_holder:
        _check_holder_offer(listing, user, counterparty_org)
        counterparty_id = counterparty_org.id
    else:
        _check_counterparty(listing, user)
        counterparty_id = user.organization_id
    if thread is not None and (thread.listing_id != listing.id or thread.side_of(user) is None
                               or thread.asker_org_id != counterparty_id):
        raise DomainError(_("该咨询与此挂牌不符。"))
    amount, royalty_rate, terms = _terms(amount, royalty_rate, terms)
    deal = Deal(kind=kind, status=DealStatus.proposed, listing_id=listing.id, holder_org_id=listing.owner_id,
                counterparty_org_id=counterparty_id, licence_type=listing.licence_type, amount=amount,
                royalty_rate=royalty_rate, terms=terms, term_end=listing.term_end, created_by_id=user.id)
    deal.items = [DealPatent(patent_id=p.id) for p in listing.patents]
    deal.offers = [DealOffer(version=1, by_org_id=user.organization_id, by_user_id=user.id, amount=amount,
                             royalty_rate=royalty_rate, terms=terms)]
    db.session.add(deal)
    db.session.flush()
    record_creation(deal, user, occurred_on=occurred_on,
                    data={"offer_version": 1, "royalty_rate": royalty_rate,
                          "thread_id": thread.id if thread is not None else None})
    other = deal.counterparty if by_holder else listing.owner
    notify_organization(other, _("%(org)s 对“%(title)s”提出了%(kind)s提议。", org=user.organization.name,
                                 title=listing.title, kind=kind.label),
                        external_url("deals.detail", deal_id=deal.id))
    if thread is not None:
        from .inquiries.operations import post_message

        post_message(thread, user, _("已据此咨询提出%(kind)s提议（交易 #%(id)d）。", kind=kind.label, id=deal.id),
                     deal=deal)
    return deal


@NEGOTIATED_MACHINE.operation("negotiating")
def counter_offer(deal: Deal, user, *, amount=None, royalty_rate=None, terms: str = "",
                  occurred_on: date | None = None) -> DealOffer:
    check_transition(deal, DealStatus.negotiating.value, user)
    amount, royalty_rate, terms = _terms(amount, royalty_rate, terms)
    version = (deal.latest_offer.version if deal.latest_offer else 0) + 1
    apply_transition(deal, DealStatus.negotiating.value, user, amount=amount, occurred_on=occurred_on,
                     data={"offer_version": version, "royalty_rate": royalty_rate})
    offer = DealOffer(version=version, by_org_id=user.organization_id, by_user_id=user.id, amount=amount,
                      royalty_rate=royalty_rate, terms=terms)
    deal.offers.append(offer)
    deal.amount, deal.royalty_rate, deal.terms = amount, royalty_rate, terms
    db.session.flush()
    return offer


@NEGOTIATED_MACHINE.operation("agreed")
def agree(deal: Deal, user, occurred_on: date | None = None):
    if deal.listing_id is not None:
        _lock_listing(deal.listing_id)
    offer = deal.latest_offer
    return apply_transition(deal, DealStatus.agreed.value, user, amount=offer.amount if offer else deal.amount,
                            occurred_on=occurred_on, data={"offer_version": offer.version if offer else None})


@NEGOTIATED_MACHINE.operation("completed")
def complete(deal: Deal, user, occurred_on: date | None = None):
    # A licence contract takes effect on completion: its 3-month 备案 deadline runs from that day.
    data = {"effective_on": occurred_on or business_today()} if deal.kind == DealKind.licence else None
    return apply_transition(deal, DealStatus.completed.value, user, occurred_on=occurred_on, data=data)


@NEGOTIATED_MACHINE.operation("rejected")
def reject(deal: Deal, user, reason: str = "", occurred_on: date | None = None):
    check_transition(deal, DealStatus.rejected.value, user)
    return apply_transition(deal, DealStatus.rejected.value, user, occurred_on=occurred_on,
                            data={"reason": _reason(reason)})


@OPEN_LICENCE_MACHINE.operation("cancelled")
@NEGOTIATED_MACHINE.operation("cancelled")
def cancel(deal: Deal, user, reason: str = "", occurred_on: date | None = None):
    check_transition(deal, DealStatus.cancelled.value, user)
    return apply_transition(deal, DealStatus.cancelled.value, user, occurred_on=occurred_on,
                            data={"reason": _reason(reason)})


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError(_("理由最多 500 字。"), field="reason")
    return reason


# --- documents ------------------------------------------------------------------------------

DOCUMENT_LABELS = ("合同", "付款凭证", "备案证明", "技术资料", "其他")


def attach_document(deal: Deal, user, upload, label: str):
    """Either party attaches a PDF or image to the deal; others cannot (the view 404s first)."""
    from ..files import storage
    from .models import DealDocument

    if deal.party_of(user) is None:
        raise PermissionDenied(_("只有交易双方可以上传文件。"))
    ensure_can_act(user)
    if label not in DOCUMENT_LABELS:
        raise DomainError(_("请选择文件类型。"), field="label")
    if upload is None or not getattr(upload, "filename", ""):
        raise DomainError(_("请选择要上传的文件。"), field="file")
    checked = storage.check_upload(upload, storage.DOCUMENT_KINDS, "file")
    document = DealDocument(deal_id=deal.id, label=label, by_org_id=user.organization_id,
                            file=storage.save(checked, user))
    db.session.add(document)
    db.session.flush()
    other = deal.counterparty if deal.party_of(user) == "holder" else deal.holder
    notify_organization(other, _("交易 #%(id)d：%(org)s 上传了%(label)s“%(name)s”。", id=deal.id,
                                 org=user.organization.name, label=label, name=checked.original_name),
                        external_url("deals.detail", deal_id=deal.id))
    return document
