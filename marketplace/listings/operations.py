"""Writes on listings: create, edit, publish, withdraw, expire. Each checks its rules and flushes;
the caller commits. Encumbrances are checked here and, where the schema can say it, by indexes."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..accounts.operations import ensure_holds_patents
from ..dates import business_today, check_date
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..money import parse_money
from ..patents.models import (
    Encumbrance,
    EncumbranceKind,
    LegalStatus,
    Patent,
    release_ended_encumbrances,
)
from ..patents.operations import load_owned_patents
from ..types import utcnow
from ..workflow import apply_transition, check_transition
from .models import (
    LISTING_MACHINE,
    LIVE_STATUSES,
    Industry,
    LicenceType,
    Listing,
    ListingKind,
    ListingPatent,
    ListingSlot,
    ListingStatus,
    PaymentMethod,
)

MAX_PATENTS_PER_LISTING = 200

TERM_FIELDS = ("payment_method", "fee_amount", "royalty_rate", "sme_discount", "term_start", "term_end",
               "licence_type", "territory", "asking_price", "valuation", "equity_share", "amount_wanted",
               "term_months", "purpose")

# Which term fields each kind uses; the others are cleared so a listing never carries stale terms.
KIND_FIELDS: dict[ListingKind, set[str]] = {
    ListingKind.open_licence: {"payment_method", "fee_amount", "royalty_rate", "sme_discount", "term_start", "term_end"},
    ListingKind.licence: {"licence_type", "territory", "term_start", "term_end", "asking_price"},
    ListingKind.transfer: {"asking_price"},
    ListingKind.equity: {"valuation", "equity_share"},
    ListingKind.pledge: {"amount_wanted", "term_months", "purpose"},
}


@dataclass
class ListingInput:
    """What a holder states for a listing; forms and the importer fill it."""

    kind: ListingKind
    title: str
    patent_ids: list[int]
    description: str = ""
    industry: Industry = Industry.other
    payment_method: PaymentMethod | None = None
    fee_amount: Decimal | None = None
    royalty_rate: Decimal | None = None
    sme_discount: Decimal | None = None
    term_start: date | None = None
    term_end: date | None = None
    licence_type: LicenceType | None = None
    territory: str = ""
    asking_price: Decimal | None = None
    valuation: Decimal | None = None
    equity_share: Decimal | None = None
    amount_wanted: Decimal | None = None
    term_months: int | None = None
    purpose: str = ""


# --- validation -----------------------------------------------------------------------

def parse_percent(value, field: str, *, low=Decimal("0"), allow_low=True) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        rate = Decimal(unicodedata.normalize("NFKC", str(value)).strip().removesuffix("%").strip())
    except InvalidOperation as error:
        raise DomainError(_("请输入 0–100 之间的百分比。"), field=field) from error
    if not rate.is_finite() or rate < low or (rate == low and not allow_low) or rate > 100:
        raise DomainError(_("比例必须在 0–100% 之间。"), field=field)
    if rate.as_tuple().exponent < -2:
        raise DomainError(_("比例最多保留两位小数。"), field=field)
    return rate


def validate_terms(data: ListingInput, patents: list[Patent]) -> None:
    """Raise DomainError (naming the field) when the terms of the kind are incomplete or absurd."""
    if not data.title or not data.title.strip():
        raise DomainError(_("请填写挂牌标题。"), field="title")
    if not patents:
        raise DomainError(_("请至少选择一件专利。"), field="patent_ids")
    if len(patents) > MAX_PATENTS_PER_LISTING:
        raise DomainError(_("一个挂牌最多包含 %(n)d 件专利。", n=MAX_PATENTS_PER_LISTING), field="patent_ids")
    kind = data.kind
    data.fee_amount = parse_money(data.fee_amount, "fee_amount", allow_zero=True)
    data.asking_price = parse_money(data.asking_price, "asking_price")
    data.valuation = parse_money(data.valuation, "valuation")
    data.amount_wanted = parse_money(data.amount_wanted, "amount_wanted")
    data.royalty_rate = parse_percent(data.royalty_rate, "royalty_rate")
    data.sme_discount = parse_percent(data.sme_discount, "sme_discount")
    data.equity_share = parse_percent(data.equity_share, "equity_share", allow_low=False)
    check_date(data.term_start, "term_start", _("许可起始日"), future=True)
    check_date(data.term_end, "term_end", _("许可截止日"), future=True)
    if data.term_start and data.term_end and data.term_end <= data.term_start:
        raise DomainError(_("许可期限的结束日期必须晚于开始日期。"), field="term_end")

    if kind == ListingKind.open_licence:
        _validate_open_licence(data, patents)
    elif kind == ListingKind.licence:
        if data.licence_type is None:
            raise DomainError(_("请选择许可类型（普通、排他或独占）。"), field="licence_type")
        _term_within_expiry(data, patents)
    elif kind == ListingKind.equity:
        if data.valuation is None:
            raise DomainError(_("请填写作价金额。"), field="valuation")
        if data.equity_share is None:
            raise DomainError(_("请填写期望持股比例。"), field="equity_share")
    elif kind == ListingKind.pledge:
        if data.amount_wanted is None:
            raise DomainError(_("请填写拟融资金额。"), field="amount_wanted")
        if not data.term_months or not (1 <= int(data.term_months) <= 120):
            raise DomainError(_("融资期限应为 1–120 个月。"), field="term_months")
        if not data.purpose.strip():
            raise DomainError(_("请说明资金用途。"), field="purpose")


def _validate_open_licence(data: ListingInput, patents: list[Patent]) -> None:
    method = data.payment_method
    if method is None:
        raise DomainError(_("请选择许可使用费支付方式。"), field="payment_method")
    if method == PaymentMethod.free:
        if data.fee_amount or data.royalty_rate is not None:
            raise DomainError(_("免费许可不应填写使用费或提成比例。"), field="fee_amount")
        data.fee_amount, data.royalty_rate = None, None
    if method.needs_fee and not data.fee_amount:
        raise DomainError(_("请填写使用费金额（一次性支付的金额或入门费）。"), field="fee_amount")
    if method.needs_royalty and data.royalty_rate is None:
        raise DomainError(_("请填写按净销售额计的提成比例。"), field="royalty_rate")
    if method == PaymentMethod.royalty and data.fee_amount:
        raise DomainError(_("按销售提成方式不收一次性费用；如需入门费请选择“入门费+提成”。"), field="fee_amount")
    if method == PaymentMethod.lump_sum and data.royalty_rate is not None:
        raise DomainError(_("一次性支付方式不填写提成比例。"), field="royalty_rate")
    if data.term_end is None:
        raise DomainError(_("请填写许可期限（截止日期）。"), field="term_end")
    _term_within_expiry(data, patents)
    for patent in patents:
        if patent.patent_type.needs_evaluation_report and not patent.evaluation_report_no:
            raise DomainError(
                _("%(number)s 是%(type)s：开放许可声明需提供专利权评价报告编号。", number=patent.number,
                  type=patent.patent_type.label),
                field="evaluation_report_no")


def _term_within_expiry(data: ListingInput, patents: list[Patent]) -> None:
    if data.term_end is None:
        return
    for patent in patents:
        if patent.expires_on and data.term_end > patent.expires_on:
            raise DomainError(
                _("许可期限不能超过专利 %(number)s 的届满日 %(date)s。", number=patent.number,
                  date=patent.expires_on.isoformat()),
                field="term_end")


# --- who owns what, and what is free to offer ---------------------------------------------

def _load_patents(user, patent_ids: list[int]) -> list[Patent]:
    if not list(patent_ids):
        return []  # validate_terms names the missing patents beside the field
    return load_owned_patents(user.organization_id, patent_ids, _("所选专利不存在或不属于本机构，不能挂牌。"))


def check_offerable(listing: Listing, today: date | None = None) -> None:
    """Every rule that decides whether these patents may be offered on this kind, now."""
    today = today or business_today()
    for patent in listing.patents:
        if patent.owner_id != listing.owner_id:
            raise DomainError(_("专利 %(number)s 已不属于本机构。", number=patent.number), field="patent_ids")
        if not patent.is_in_force(today):
            raise DomainError(_("专利 %(number)s 已不在有效期内（%(status)s），不能挂牌。", number=patent.number,
                                status=patent.legal_status.label), field="patent_ids")
        needs_grant = listing.kind in (ListingKind.open_licence, ListingKind.pledge)
        if needs_grant and patent.legal_status != LegalStatus.granted:
            what = _("开放许可") if listing.kind == ListingKind.open_licence else _("质押融资")
            raise DomainError(_("%(number)s 尚未授权：%(what)s只适用于已授权的专利。", number=patent.number, what=what),
                              field="patent_ids")
        _check_encumbrances(listing, patent)


def _active_encumbrances(patent: Patent) -> list[Encumbrance]:
    return db.session.scalars(
        db.select(Encumbrance).where(Encumbrance.patent_id == patent.id, Encumbrance.in_force())
    ).all()


def _other_live_listings(listing: Listing, patent: Patent) -> list[Listing]:
    query = (db.select(Listing).join(ListingPatent)
             .where(ListingPatent.patent_id == patent.id, Listing.status.in_(LIVE_STATUSES)))
    if listing.id is not None:
        query = query.where(Listing.id != listing.id)
    return db.session.scalars(query).all()


def _check_encumbrances(listing: Listing, patent: Patent) -> None:
    kinds = {e.kind for e in _active_encumbrances(patent)}
    wants_exclusivity = listing.kind == ListingKind.open_licence or listing.is_exclusive
    if wants_exclusivity and kinds & {EncumbranceKind.exclusive_licence, EncumbranceKind.sole_licence}:
        raise DomainError(_("专利 %(number)s 已有独占或排他许可，不能再作开放许可、独占或排他许可。", number=patent.number),
                          field="patent_ids")
    if EncumbranceKind.pledge in kinds and (
        listing.kind in (ListingKind.transfer, ListingKind.equity, ListingKind.pledge) or listing.is_exclusive
    ):
        raise DomainError(_("专利 %(number)s 已质押，解除质押前不能转让、作价入股、独占/排他许可或再次质押。",
                            number=patent.number), field="patent_ids")
    for other in _other_live_listings(listing, patent):
        conflict = None
        if wants_exclusivity and (other.kind == ListingKind.open_licence or other.is_exclusive):
            conflict = _("已有开放许可或独占/排他许可挂牌")
        elif listing.kind == ListingKind.transfer and other.kind == ListingKind.transfer:
            conflict = _("已有转让挂牌")
        elif listing.kind == ListingKind.pledge and other.kind == ListingKind.transfer:
            conflict = _("正在转让")
        elif listing.kind == ListingKind.transfer and other.kind == ListingKind.pledge or listing.is_exclusive and other.kind == ListingKind.pledge:
            conflict = _("正在申请质押融资")
        if conflict:
            raise DomainError(_("专利 %(number)s %(conflict)s（挂牌 #%(id)d），不能同时这样挂牌。", number=patent.number,
                                conflict=conflict, id=other.id), field="patent_ids")


def slot_for(listing: Listing) -> ListingSlot | None:
    if listing.status not in LIVE_STATUSES:
        return None
    if listing.kind == ListingKind.transfer:
        return ListingSlot.transfer
    if listing.kind == ListingKind.open_licence or listing.is_exclusive:
        return ListingSlot.exclusivity
    return None


# --- writes -------------------------------------------------------------------------------

def _apply(listing: Listing, data: ListingInput, patents: list[Patent]) -> None:
    listing.title = data.title.strip()
    listing.description = (data.description or "").strip()
    listing.industry = data.industry
    used = KIND_FIELDS[data.kind]
    for name in TERM_FIELDS:
        value = getattr(data, name) if name in used else None
        if name in ("territory", "purpose"):
            value = (value or "").strip()
        setattr(listing, name, value)
    listing.items = [ListingPatent(patent=p, position=i) for i, p in enumerate(patents)]


def create_listing(user, data: ListingInput) -> Listing:
    """A draft: any member of the owning organisation may prepare one, verified or not."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    ensure_holds_patents(user.organization, acting=True)
    listing = new_listing(user.organization_id, user.id, data, _load_patents(user, data.patent_ids))
    db.session.add(listing)
    db.session.flush()
    return listing


def update_listing(listing: Listing, user, data: ListingInput) -> Listing:
    if not listing.can_edit(user):
        raise PermissionDenied(_("只有挂牌方可以在草稿或已发布状态下修改挂牌。"))
    if data.kind != listing.kind:
        raise DomainError(_("挂牌类型不能修改；请撤回后重新挂牌。"), field="kind")
    patents = _load_patents(user, data.patent_ids)
    validate_terms(data, patents)
    _apply(listing, data, patents)
    if listing.status in LIVE_STATUSES:
        db.session.flush()
        check_offerable(listing)
        _sync_slots(listing)
    db.session.flush()
    return listing


# Within `publishing_batch()`, slot changes are not flushed one by one: the caller flushes the
# batch inside its own SAVEPOINT and handles a slot taken meanwhile (the importer replays the
# batch row by row).
_batched: ContextVar[bool] = ContextVar("listing_slots_batched", default=False)


@contextmanager
def publishing_batch() -> Iterator[None]:
    token = _batched.set(True)
    try:
        yield
    finally:
        _batched.reset(token)


def _sync_slots(listing: Listing) -> None:
    slot = slot_for(listing)
    for item in listing.items:
        item.slot = slot
    if _batched.get():
        return
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        # Another listing took the slot between our check and our write.
        raise DomainError(_("其中的专利刚被另一个挂牌占用（转让、开放许可或独占/排他许可），请刷新后重试。"),
                          field="patent_ids") from error


def on_enter(listing: Listing, status: str) -> None:
    """What entering a status does beyond the status: its dates and the patents' slots."""
    now = utcnow()
    if status == ListingStatus.published and listing.published_at is None:
        listing.published_at = now
    if status in LISTING_MACHINE.terminal:
        listing.ended_at = now
    _sync_slots(listing)


def transition(listing: Listing, to: ListingStatus, actor=None) -> None:
    """Move a listing through its machine; without an actor, the platform takes the step."""
    apply_transition(listing, ListingStatus(to).value, actor)


def new_listing(owner_id: int, created_by_id: int | None, data: ListingInput, patents: list[Patent]) -> Listing:
    """A draft with the terms checked; the caller adds it to the session."""
    validate_terms(data, patents)
    listing = Listing(owner_id=owner_id, created_by_id=created_by_id, kind=data.kind, status=ListingStatus.draft)
    _apply(listing, data, patents)
    return listing


def publish_listing(listing: Listing, user, *, today: date | None = None, check_registry: bool = True) -> None:
    """The one publication path (the form's button and the bulk importer): the step, the terms,
    then the encumbrance rules. The importer skips `check_registry` for patents it knows carry
    no live listing and no encumbrance (all new patents): nothing there could refuse them."""
    check_transition(listing, ListingStatus.published.value, user)
    data = ListingInput(kind=listing.kind, title=listing.title, patent_ids=[p.id for p in listing.patents],
                        **{name: getattr(listing, name) for name in TERM_FIELDS})
    validate_terms(data, listing.patents)
    if check_registry:
        check_offerable(listing, today)
    apply_transition(listing, ListingStatus.published.value, user)


def withdraw_listing(listing: Listing, user) -> None:
    apply_transition(listing, ListingStatus.withdrawn.value, user)


def expire_listings(today: date | None = None) -> list[Listing]:
    """Mark live listings whose patents lapsed, expired or were invalidated. Safe to run daily."""
    today = today or business_today()
    out_of_force = (Patent.legal_status.in_([LegalStatus.lapsed, LegalStatus.expired, LegalStatus.invalidated])
                    | (Patent.expires_on < today))
    listings = db.session.scalars(
        db.select(Listing).join(ListingPatent).join(Patent)
        .where(Listing.status.in_(LIVE_STATUSES), out_of_force).distinct()
    ).all()
    for listing in listings:
        transition(listing, ListingStatus.expired)
    # Patents whose term ran out are expired in the registry too.
    for patent in db.session.scalars(db.select(Patent).where(Patent.expires_on < today,
                                                            Patent.legal_status.in_([LegalStatus.granted, LegalStatus.pending]))):
        patent.legal_status = LegalStatus.expired
    release_ended_encumbrances(today=today)
    db.session.flush()
    return listings
