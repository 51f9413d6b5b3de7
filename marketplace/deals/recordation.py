"""备案 of licences: where the law puts a deadline and where it only recommends one, the 备案号
check, its correction, and the daily reminders.

Licence contracts (ordinary, sole, exclusive) are recorded with CNIPA within 3 months of taking
effect (专利法实施细则 §15): a deadline, counted down and reminded. For an open licence the law
sets no time limit (细则 §87): the site recommends recording within 3 months and says that it is a
recommendation. Both kinds keep the date in `Deal.recordation_due`; `is_deadline` tells them apart."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_

from ..accounts.operations import ensure_can_act
from ..dates import add_months, business_today
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..ledger import operations as ledger
from ..notify.operations import notify_organization
from ..urls import external_url
from .models import OPEN_LICENCE_MACHINE, Deal, DealKind, DealReminder, DealStatus

RECORDATION_MONTHS = 3
REMIND_DAYS_BEFORE = 14
MAX_REASON = 500

# CNIPA's 专利实施许可合同备案号: the year, a two-digit office code and a 7-digit serial
# (2023990000123), sometimes with a letter in front (X for an open-licence record).
_NUMBER = re.compile(r"^([A-Z]?)(\d{4})(\d{2})(\d{7})$")


def canonical_recordation_number(text, today: date | None = None) -> str:
    """The 备案号 as CNIPA prints it, or DomainError (field `recordation_no`) saying what is wrong."""
    raw = str(text or "")
    cleaned = re.sub(r"[\s\-—:]", "", unicodedata.normalize("NFKC", raw)).upper().removeprefix("备案号")
    if not cleaned:
        raise DomainError(_("请填写备案号。"), field="recordation_no")
    match = _NUMBER.match(cleaned)
    if match is None:
        raise DomainError(_("备案号“%(value)s”格式不对：应为 13 位数字（年份 4 位 + 代码 2 位 + 序号 7 位），"
                            "如 2023990000123，以《专利实施许可合同备案证明》上的为准。", value=raw.strip()[:40]),
                          field="recordation_no")
    year = int(match.group(2))
    this_year = (today or business_today()).year
    if not 1985 <= year <= this_year:
        raise DomainError(_("备案号“%(value)s”中的年份 %(year)d 不对：应在 1985 到 %(now)d 之间。",
                            value=raw.strip()[:40], year=year, now=this_year), field="recordation_no")
    return cleaned


# --- when it is due ----------------------------------------------------------------------------

def is_deadline(deal: Deal) -> bool:
    """True for licence contracts (细则 §15 sets 3 months); an open licence's date is advice."""
    return deal.kind == DealKind.licence


def start_clock(deal: Deal, effective_on: date) -> None:
    """The licence took effect on `effective_on`: the 3 months run from then."""
    deal.recordation_due = add_months(effective_on, RECORDATION_MONTHS)


def awaiting_recordation():
    """SQL condition on Deal: a licence in force whose 备案号 is not yet entered."""
    return and_(Deal.recordation_due.is_not(None), Deal.recordation_no == "", or_(
        and_(Deal.kind == DealKind.open_licence, Deal.status.in_(OPEN_LICENCE_MACHINE.group("to_record"))),
        and_(Deal.kind == DealKind.licence, Deal.status == DealStatus.completed)))


def is_awaiting(deal: Deal) -> bool:
    if deal.recordation_due is None or deal.recordation_no:
        return False
    if deal.kind == DealKind.open_licence:
        return deal.status.value in OPEN_LICENCE_MACHINE.group("to_record")
    return deal.kind == DealKind.licence and deal.status == DealStatus.completed


def deadlines_due(org_id: int, within_days: int, today: date | None = None):
    """SQL condition: this organisation's licence contracts whose 备案 deadline falls within the days."""
    today = today or business_today()
    return and_(awaiting_recordation(), Deal.kind == DealKind.licence,
                or_(Deal.holder_org_id == org_id, Deal.counterparty_org_id == org_id),
                Deal.recordation_due <= today + timedelta(days=within_days))


# --- entering and correcting the number --------------------------------------------------------

def _check_party(deal: Deal, user) -> None:
    if deal.party_of(user) is None:
        raise PermissionDenied(_("只有交易双方可以登记或更正备案号。"))
    ensure_can_act(user)


def record_licence_number(deal: Deal, user, number: str, occurred_on: date | None = None):
    """A licence contract's 备案号, entered by either party once CNIPA has recorded it. (An open
    licence's number moves its deal to `recorded`: deals.operations.record_recordation.)"""
    _check_party(deal, user)
    if deal.kind != DealKind.licence or deal.status != DealStatus.completed:
        raise DomainError(_("许可合同生效（交易完成）后才能登记备案号。"), field="recordation_no")
    if deal.recordation_no:
        raise DomainError(_("备案号已登记；如有错误，请使用“更正备案号”。"), field="recordation_no")
    deal.recordation_no = canonical_recordation_number(number)
    db.session.flush()
    entry = _append(deal, user, "recordation", {"recordation_no": deal.recordation_no}, occurred_on)
    _tell_other_side(deal, user, _("交易 #%(id)d：%(org)s 登记了许可合同备案号 %(no)s。", id=deal.id,
                                   org=user.organization.name, no=deal.recordation_no))
    return entry


def correct_number(deal: Deal, user, number: str, reason: str = "", occurred_on: date | None = None):
    """Either party corrects a mistyped 备案号; the ledger keeps the old and the new number."""
    _check_party(deal, user)
    if not deal.recordation_no:
        raise DomainError(_("尚未登记备案号，无需更正。"), field="recordation_no")
    new = canonical_recordation_number(number)
    if new == deal.recordation_no:
        raise DomainError(_("新备案号与原备案号相同。"), field="recordation_no")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise DomainError(_("更正说明最多 %(n)d 字。", n=MAX_REASON), field="reason")
    old, deal.recordation_no = deal.recordation_no, new
    db.session.flush()
    entry = _append(deal, user, "recordation_corrected", {"from": old, "to": new, "reason": reason}, occurred_on)
    _tell_other_side(deal, user, _("交易 #%(id)d：%(org)s 将备案号由 %(old)s 更正为 %(new)s。", id=deal.id,
                                   org=user.organization.name, old=old, new=new))
    return entry


def _append(deal: Deal, user, event: str, details: dict, occurred_on: date | None):
    context = deal.ledger_context()
    return ledger.append(event=event, subject_type=deal.ledger_subject_type, subject_id=deal.id,
                         from_status=deal.status_value, to_status=deal.status_value, amount=None, actor=user,
                         occurred_on=occurred_on, details={k: v for k, v in details.items() if v not in (None, "")},
                         **{k: v for k, v in context.items() if k != "amount"})


def _tell_other_side(deal: Deal, user, text: str) -> None:
    other = deal.counterparty if deal.party_of(user) == "holder" else deal.holder
    notify_organization(other, text, external_url("deals.detail", deal_id=deal.id))


# --- reminders -----------------------------------------------------------------------------------

REMINDER_THRESHOLDS = ("due_soon", "overdue", "recommended")


def reminders_due(today: date | None = None) -> list[Deal]:
    """Licences not yet recorded whose date is within 14 days or past."""
    today = today or business_today()
    return db.session.scalars(db.select(Deal).where(
        awaiting_recordation(), Deal.recordation_due <= today + timedelta(days=REMIND_DAYS_BEFORE))
        .order_by(Deal.id)).all()


def _threshold(deal: Deal, today: date) -> str:
    if not is_deadline(deal):
        return "recommended"  # one reminder: the law sets no deadline, so nothing is ever "overdue"
    return "overdue" if deal.recordation_due < today else "due_soon"


def _reminder_text(deal: Deal, threshold: str, today: date) -> str:
    days = (deal.recordation_due - today).days
    if threshold == "recommended":
        return _("开放许可交易 #%(id)d：建议在 %(due)s 前向国家知识产权局办理备案。这是建议，不是法定期限"
                 "（专利法实施细则第八十七条未规定开放许可的备案期限）；备案后请在平台登记备案号。",
                 id=deal.id, due=deal.recordation_due.isoformat())
    if threshold == "overdue":
        return _("许可合同交易 #%(id)d 的备案期限 %(due)s 已过 %(days)d 天（专利法实施细则第十五条：合同生效之日起"
                 " 3 个月内备案），请尽快办理并登记备案号。", id=deal.id, due=deal.recordation_due.isoformat(), days=-days)
    return _("许可合同交易 #%(id)d 须在 %(due)s 前向国家知识产权局办理备案（还剩 %(days)d 天，专利法实施细则第十五条）。",
             id=deal.id, due=deal.recordation_due.isoformat(), days=days)


def send_reminders(today: date | None = None) -> list[tuple[Deal, str]]:
    """Remind both sides, once per deal and threshold: safe to run daily, or twice a day."""
    today = today or business_today()
    sent: list[tuple[Deal, str]] = []
    for deal in reminders_due(today):
        threshold = _threshold(deal, today)
        already = db.session.scalar(db.select(DealReminder.id).where(DealReminder.deal_id == deal.id,
                                                                     DealReminder.threshold == threshold))
        if already:
            continue
        db.session.add(DealReminder(deal_id=deal.id, threshold=threshold, sent_on=today))
        text = _reminder_text(deal, threshold, today)
        link = external_url("deals.detail", deal_id=deal.id)
        notify_organization(deal.holder, text, link)
        notify_organization(deal.counterparty, text, link)
        sent.append((deal, threshold))
    db.session.flush()
    return sent
