"""What deal pages show beyond one object: the filtered list, the notice template, the panel on
a listing page. Read-only helpers; writes stay in operations."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from ..dates import business_today
from ..extensions import db
from ..listings.models import Listing, ListingKind
from . import operations
from .inquiries.operations import existing_thread, inquiry_refusal
from .models import Deal, DealKind, DealStatus


def deal_list_query(org_id: int, *, status: str = "", kind: str = "", side: str = "", waiting: str = ""):
    query = db.select(Deal).where((Deal.holder_org_id == org_id) | (Deal.counterparty_org_id == org_id))
    if status in DealStatus.__members__:
        query = query.where(Deal.status == DealStatus(status))
    if kind in DealKind.__members__:
        query = query.where(Deal.kind == DealKind(kind))
    if side == "holder":
        query = query.where(Deal.holder_org_id == org_id)
    elif side == "counterparty":
        query = query.where(Deal.counterparty_org_id == org_id)
    waiting_on_me = Deal.waiting_on_org(org_id)
    if waiting == "mine":
        query = query.where(waiting_on_me)
    elif waiting == "theirs":
        query = query.where(Deal.is_live_sql(), ~waiting_on_me)
    from sqlalchemy.orm import joinedload, selectinload

    # A row shows both parties, the listing and whose move it is (the latest offer).
    return query.options(joinedload(Deal.holder), joinedload(Deal.counterparty), joinedload(Deal.listing),
                         selectinload(Deal.offers)).order_by(Deal.updated_at.desc(), Deal.id.desc())


def notice_template(listing: Listing, user, fee) -> str:
    """The written notice (书面通知) an enterprise sends to accept an open licence, prefilled."""
    org = user.organization
    numbers = "、".join(p.number for p in listing.patents)
    lines = [
        _("致 %(holder)s：", holder=listing.owner.name),
        "",
        _("我单位 %(name)s（统一社会信用代码 %(uscc)s）根据《中华人民共和国专利法》第五十一条，"
          "书面通知贵方：我单位接受贵方就专利 %(numbers)s 发布的开放许可声明（挂牌 #%(id)d“%(title)s”），"
          "按公告的许可使用费支付方式（%(method)s）和标准支付许可使用费，许可期限至 %(end)s。",
          name=org.name, uscc=org.uscc, numbers=numbers, id=listing.id, title=listing.title,
          method=listing.payment_method.label, end=listing.term_end.isoformat()),
    ]
    if fee:
        lines.append(_("应付使用费：¥%(fee)s。", fee=f"{fee:,.2f}"))
    lines += [
        _("我单位将在许可生效之日起三个月内配合办理专利实施许可合同备案。"),
        "",
        _("联系人：%(name)s　电话：%(phone)s　邮箱：%(email)s", name=org.contact_name or user.name,
          phone=org.contact_phone or user.phone or "—", email=org.contact_email or user.email),
        _("地址：%(address)s", address=org.address or "—"),
        "",
        _("%(name)s　%(day)s", name=org.name, day=business_today().isoformat()),
    ]
    return "\n".join(lines)


def listing_deal_panel(listing: Listing) -> dict:
    """What the listing page offers the current user: accept, propose, ask, or why not."""
    user = current_user
    panel = {"kind": listing.kind.value, "signed_in": user.is_authenticated, "own": False,
             "accept_refusal": None, "fee": None, "discounted": False, "thread": None,
             "inquiry_refusal": None, "my_deals": [], "holder_deals": 0}
    if listing.kind == ListingKind.pledge:
        return {}
    if not user.is_authenticated:
        return panel
    panel["own"] = listing.owner_id == user.organization_id
    if panel["own"]:
        panel["holder_deals"] = db.session.scalar(
            db.select(db.func.count()).select_from(Deal).where(Deal.listing_id == listing.id)) or 0
        return panel
    if listing.kind == ListingKind.open_licence:
        panel["accept_refusal"] = operations.acceptance_refusal(listing, user)
        panel["fee"], panel["discounted"] = operations.open_licence_fee(listing, user.organization)
    else:
        panel["accept_refusal"] = operations.proposal_refusal(listing, user)
    panel["thread"] = existing_thread(listing, user)
    panel["inquiry_refusal"] = inquiry_refusal(listing, user)
    panel["my_deals"] = db.session.scalars(db.select(Deal).where(
        Deal.listing_id == listing.id, Deal.counterparty_org_id == user.organization_id).order_by(Deal.id)).all()
    return panel


def status_label(value: str | None) -> str:
    try:
        return DealStatus(value).label
    except ValueError:
        return value or ""
