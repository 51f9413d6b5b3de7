"""Writes on pledge requests and reviews. Every status change goes through
workflow.apply_transition (which writes the ledger); each function checks its rule first and
raises DomainError before anything is written. The caller commits once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ..accounts.models import Organization, OrgKind, OrgStatus
from ..accounts.operations import ensure_can_act, ensure_holds_patents
from ..dates import SHANGHAI, business_today, check_date
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..files import storage as documents
from ..listings.models import Industry, ListingKind
from ..listings.operations import ListingInput, create_listing, publish_listing
from ..money import parse_money
from ..notify.operations import notify_organization
from ..patents.models import Encumbrance, EncumbranceKind, LegalStatus, Patent
from ..patents.operations import load_owned_patents
from ..urls import external_url
from ..workflow import apply_transition, record_creation
from .machines import PLEDGE_MACHINE, ReviewStatus
from .models import (
    MAX_RATE,
    PledgeDocument,
    PledgeRequest,
    PledgeRequestPatent,
    PledgeReview,
    ReviewMessage,
)
from .valuation import bundle_score, value_patent

MAX_DOCUMENTS = 10
MAX_MESSAGE = 4000


@dataclass
class PledgeInput:
    patent_ids: list[int]
    amount: object
    term_months: object
    purpose: str
    bank_ids: list[int]
    industry: Industry = Industry.other
    uploads: list = field(default_factory=list)  # werkzeug FileStorage


def _today(on: date | None) -> date:
    return on or business_today()


def parse_term(value, field_name: str = "term_months") -> int:
    try:
        months = int(str(value).strip())
    except (TypeError, ValueError) as error:
        raise DomainError(_("请填写期限（月）。"), field=field_name) from error
    if not 1 <= months <= 120:
        raise DomainError(_("期限应为 1–120 个月。"), field=field_name)
    return months


def parse_rate(value) -> Decimal:
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, AttributeError) as error:
        raise DomainError(_("请填写年利率（%）。"), field="rate") from error
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE:
        raise DomainError(_("年利率应在 0–36% 之间。"), field="rate")
    if rate.as_tuple().exponent < -2:
        raise DomainError(_("年利率最多保留两位小数。"), field="rate")
    return rate


def _check_date(value, field_name: str, today: date, *, not_before: date | None = None) -> date:
    if not isinstance(value, date):
        raise DomainError(_("请填写日期。"), field=field_name)
    check_date(value, field_name, _("日期"), today=today)
    if not_before and value < not_before:
        raise DomainError(_("日期不能早于 %(d)s。", d=not_before.isoformat()), field=field_name)
    return value


def pledgeable_patents(org_id: int, today: date | None = None) -> list[Patent]:
    """The organisation's granted, in-force patents that carry no active pledge."""
    today = _today(today)
    pledged = db.select(Encumbrance.patent_id).where(Encumbrance.kind == EncumbranceKind.pledge,
                                                     Encumbrance.in_force(today))
    return db.session.scalars(
        db.select(Patent).where(Patent.owner_id == org_id, Patent.legal_status == LegalStatus.granted,
                                (Patent.expires_on.is_(None) | (Patent.expires_on >= today)),
                                Patent.id.not_in(pledged)).order_by(Patent.title)).all()


def verified_banks() -> list[Organization]:
    return db.session.scalars(db.select(Organization).where(
        Organization.kind == OrgKind.bank, Organization.status == OrgStatus.verified).order_by(Organization.name)).all()


def _check_patents(user, patent_ids: list[int], today: date) -> list[Patent]:
    patents = load_owned_patents(user.organization_id, patent_ids, _("所选专利不属于本机构，不能出质。"))
    for patent in patents:
        if patent.legal_status != LegalStatus.granted or not patent.is_in_force(today):
            raise DomainError(_("专利 %(number)s 不在有效期内或尚未授权（%(status)s），不能出质。",
                                number=patent.number, status=patent.legal_status.label), field="patent_ids")
        pledged = db.session.scalar(db.select(Encumbrance.id).where(
            Encumbrance.patent_id == patent.id, Encumbrance.kind == EncumbranceKind.pledge,
            Encumbrance.in_force(today)).limit(1))
        if pledged:
            raise DomainError(_("专利 %(number)s 已质押，解除质押前不能再次出质。", number=patent.number),
                              field="patent_ids")
    return patents


def _check_banks(bank_ids: list[int]) -> list[Organization]:
    ids = list(dict.fromkeys(int(i) for i in bank_ids))
    if not ids:
        raise DomainError(_("请至少选择一家银行。"), field="bank_ids")
    banks = db.session.scalars(db.select(Organization).where(Organization.id.in_(ids))).all()
    if len(banks) != len(ids) or any(b.kind != OrgKind.bank or not b.is_verified for b in banks):
        raise DomainError(_("只能向平台上已认证的银行提交申请。"), field="bank_ids")
    return sorted(banks, key=lambda b: ids.index(b.id))


def submit_pledge_request(user, data: PledgeInput, *, on: date | None = None) -> PledgeRequest:
    """A holder's request: checked whole, then the pledge listing, the request, one review per
    bank (each with its ledger entry) and the documents."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    ensure_can_act(user)
    ensure_holds_patents(user.organization, acting=True)
    today = _today(on)
    patents = _check_patents(user, data.patent_ids, today)
    amount = parse_money(data.amount, "amount")
    if amount is None:
        raise DomainError(_("请填写拟融资金额。"), field="amount")
    term = parse_term(data.term_months)
    purpose = (data.purpose or "").strip()
    if not purpose:
        raise DomainError(_("请说明资金用途。"), field="purpose")
    banks = _check_banks(data.bank_ids)
    uploads = [u for u in data.uploads if u and getattr(u, "filename", "")]
    if len(uploads) > MAX_DOCUMENTS:
        raise DomainError(_("最多上传 %(n)d 个文件。", n=MAX_DOCUMENTS), field="documents")
    checked = [documents.check_upload(u, documents.DOCUMENT_KINDS, "documents") for u in uploads]

    listing = create_listing(user, ListingInput(
        kind=ListingKind.pledge, title=_("质押融资需求：%(title)s", title=patents[0].title)[:300],
        patent_ids=[p.id for p in patents], industry=data.industry, amount_wanted=amount, term_months=term,
        purpose=purpose))
    publish_listing(listing, user)  # the encumbrance rules: owned, granted, in force, not pledged or sold
    score = bundle_score([value_patent(p, "financing", today) for p in patents])
    request = PledgeRequest(holder_org_id=user.organization_id, created_by_id=user.id, listing=listing,
                            amount=amount, term_months=term, purpose=purpose, industry=data.industry,
                            score=score, submitted_on=today)
    request.items = [PledgeRequestPatent(patent_id=p.id, position=i) for i, p in enumerate(patents)]
    request.reviews = [PledgeReview(bank_org_id=b.id, requested_amount=amount, status=ReviewStatus.submitted)
                       for b in banks]
    db.session.add(request)
    db.session.flush()
    for upload in checked:
        request.documents.append(PledgeDocument(file=documents.save(upload, user)))
    for review in request.reviews:
        record_creation(review, user, amount=amount, occurred_on=today,
                        data={"request_id": request.id, "term_months": term})
        notify_organization(review.bank, _("%(org)s 提交了质押融资申请 #%(id)d，拟融资 ¥%(amount)s。",
                                           org=user.organization.name, id=request.id, amount=f"{amount:,.2f}"),
                            external_url("finance.review_detail", review_id=review.id))
    db.session.flush()
    if on is not None:  # the demo back-dates requests
        request.created_at = listing.created_at = listing.published_at = datetime.combine(
            on, time(10), tzinfo=SHANGHAI)
    return request


def add_documents(request: PledgeRequest, user, uploads) -> list[PledgeDocument]:
    if not request.is_holder(user):
        raise PermissionDenied(_("只有申请人可以补充文件。"))
    uploads = [u for u in uploads if u and getattr(u, "filename", "")]
    if not uploads:
        raise DomainError(_("请选择要上传的文件。"), field="documents")
    if len(request.documents) + len(uploads) > MAX_DOCUMENTS:
        raise DomainError(_("每个申请最多 %(n)d 个文件。", n=MAX_DOCUMENTS), field="documents")
    checked = [documents.check_upload(u, documents.DOCUMENT_KINDS, "documents") for u in uploads]
    added = [PledgeDocument(file=documents.save(c, user)) for c in checked]
    request.documents.extend(added)
    db.session.flush()
    return added


# --- the bank's steps -----------------------------------------------------------------

def _ensure_step(review: PledgeReview, target: ReviewStatus, message: str) -> None:
    """Refuse a step the machine does not allow from here before reading the form."""
    if review.machine.step(review.status_value, target.value) is None:
        raise DomainError(message + _("（当前状态：%(s)s）", s=review.status.label))


@PLEDGE_MACHINE.operation("start")
def start_review(review: PledgeReview, user, *, on: date | None = None):
    return apply_transition(review, ReviewStatus.under_review.value, user, occurred_on=_today(on))


def _message(review: PledgeReview, user, body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("请填写内容。"), field="message")
    if len(body) > MAX_MESSAGE:
        raise DomainError(_("内容过长（最多 %(n)d 字）。", n=MAX_MESSAGE), field="message")
    return body


def _add_message(review: PledgeReview, user, body: str, on: date | None = None) -> ReviewMessage:
    message = ReviewMessage(author_id=getattr(user, "id", None), author_org_id=user.organization_id, body=body)
    if on is not None:  # the demo back-dates its threads with the ledger
        message.created_at = datetime.combine(on, time(10), tzinfo=SHANGHAI)
    review.messages.append(message)
    return message


@PLEDGE_MACHINE.operation("request-info")
def request_information(review: PledgeReview, user, message: str, *, on: date | None = None):
    body = _message(review, user, message)
    entry = apply_transition(review, ReviewStatus.info_requested.value, user, data={"message": body},
                             occurred_on=_today(on))
    _add_message(review, user, body, on)
    db.session.flush()
    return entry


def post_message(review: PledgeReview, user, message: str, *, on: date | None = None) -> ReviewMessage:
    """Either side writes in the thread; the holder's answer to an information request
    returns the review to the bank (info_requested → under_review)."""
    roles = review.roles_of(user)
    if not roles:
        raise PermissionDenied(_("您不是该申请的当事方。"))
    ensure_can_act(user)
    body = _message(review, user, message)
    if "holder" in roles and review.status == ReviewStatus.info_requested:
        apply_transition(review, ReviewStatus.under_review.value, user, data={"message": body},
                         occurred_on=_today(on))
    elif review.status.is_terminal:
        raise DomainError(_("该审批已结束，不能再留言。"), field="message")
    message = _add_message(review, user, body, on)
    db.session.flush()
    return message


@PLEDGE_MACHINE.operation("approve")
def approve(review: PledgeReview, user, *, amount, rate, term_months, on: date | None = None):
    amount = parse_money(amount, "amount")
    if amount is None:
        raise DomainError(_("请填写批准金额。"), field="amount")
    if amount > review.requested_amount:
        raise DomainError(_("批准金额不能超过申请金额 ¥%(a)s。", a=f"{review.requested_amount:,.2f}"), field="amount")
    rate = parse_rate(rate)
    term = parse_term(term_months)
    return apply_transition(review, ReviewStatus.approved.value, user, amount=amount, occurred_on=_today(on),
                            data={"approved_amount": amount, "rate": rate, "term_months": term})


@PLEDGE_MACHINE.operation("reject")
def reject(review: PledgeReview, user, reason: str, *, on: date | None = None):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写拒绝原因，申请人会看到它。"), field="reason")
    today = _today(on)
    return apply_transition(review, ReviewStatus.rejected.value, user, occurred_on=today,
                            data={"reason": reason[:MAX_MESSAGE], "closed_on": today})


@PLEDGE_MACHINE.operation("register")
def register_pledge(review: PledgeReview, user, *, registration_no: str, registered_on, on: date | None = None):
    """质押登记: the pledge exists from here. The other banks' open reviews are closed."""
    today = _today(on)
    registration_no = (registration_no or "").strip()
    _ensure_step(review, ReviewStatus.registered, _("质押登记只能在银行批准之后办理。"))
    if not registration_no:
        raise DomainError(_("请填写质押登记号。"), field="registration_no")
    if len(registration_no) > 60:
        raise DomainError(_("质押登记号过长。"), field="registration_no")
    _check_date(registered_on, "registered_on", today, not_before=review.request.submitted_on)
    for item in review.request.items:
        taken = db.session.scalar(db.select(Encumbrance.id).where(
            Encumbrance.patent_id == item.patent_id, Encumbrance.kind == EncumbranceKind.pledge,
            Encumbrance.in_force(today)).limit(1))
        if taken:
            raise DomainError(_("专利 %(number)s 已质押给其他机构，不能重复登记。", number=item.patent.number))
    entry = apply_transition(review, ReviewStatus.registered.value, user, occurred_on=registered_on,
                             data={"registration_no": registration_no, "registered_on": registered_on})
    for other in review.request.reviews:
        if other.id != review.id and other.status.is_pending:
            apply_transition(other, ReviewStatus.withdrawn.value, None, occurred_on=registered_on,
                             data={"reason": _("专利已在其他银行办理质押登记，申请自动关闭。"), "closed_on": registered_on})
    return entry


@PLEDGE_MACHINE.operation("disburse")
def disburse(review: PledgeReview, user, *, amount, disbursed_on, on: date | None = None):
    today = _today(on)
    _ensure_step(review, ReviewStatus.disbursed, _("放款只能在办理质押登记之后登记。"))
    amount = parse_money(amount, "amount")
    if amount is None:
        raise DomainError(_("请填写放款金额。"), field="amount")
    if amount > review.approved_amount:
        raise DomainError(_("放款金额不能超过批准金额 ¥%(a)s。", a=f"{review.approved_amount:,.2f}"), field="amount")
    _check_date(disbursed_on, "disbursed_on", today, not_before=review.registered_on)
    return apply_transition(review, ReviewStatus.disbursed.value, user, amount=amount, occurred_on=disbursed_on,
                            data={"disbursed_amount": amount, "disbursed_on": disbursed_on})


@PLEDGE_MACHINE.operation("repay")
def record_repayment(review: PledgeReview, user, *, repaid_on, on: date | None = None):
    today = _today(on)
    _ensure_step(review, ReviewStatus.repaid, _("只有已放款的贷款才能登记还款。"))
    _check_date(repaid_on, "repaid_on", today, not_before=review.disbursed_on)
    return apply_transition(review, ReviewStatus.repaid.value, user, occurred_on=repaid_on,
                            data={"repaid_on": repaid_on})


@PLEDGE_MACHINE.operation("default")
def record_default(review: PledgeReview, user, reason: str, *, on: date | None = None):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明违约情况。"), field="reason")
    today = _today(on)
    return apply_transition(review, ReviewStatus.defaulted.value, user, occurred_on=today,
                            data={"reason": reason[:MAX_MESSAGE], "closed_on": today})


# --- the holder's steps -----------------------------------------------------------------

@PLEDGE_MACHINE.operation("withdraw")
def withdraw_review(review: PledgeReview, user, reason: str = "", *, on: date | None = None):
    today = _today(on)
    return apply_transition(review, ReviewStatus.withdrawn.value, user, occurred_on=today,
                            data={"reason": (reason or "").strip()[:MAX_MESSAGE], "closed_on": today})


def withdraw_request(request: PledgeRequest, user, reason: str = "", *, on: date | None = None) -> int:
    if not request.is_holder(user):
        raise PermissionDenied(_("只有申请人可以撤回申请。"))
    open_reviews = [r for r in request.reviews if r.status.is_pending]
    if not open_reviews:
        raise DomainError(_("没有可撤回的审批。"))
    for review in open_reviews:
        withdraw_review(review, user, reason, on=on)
    return len(open_reviews)
