"""Writes on patent insurance: quote requests from holders, policies recorded by insurers,
issuing, and lapsing at the end date. Status changes go through apply_transition (ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Organization, OrgKind, OrgStatus
from ..accounts.operations import ensure_can_act, ensure_holds_patents
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..money import parse_money
from ..notify.operations import notify_organization
from ..patents.models import Patent
from ..patents.operations import load_owned_patents
from ..urls import external_url
from ..workflow import apply_transition, check_transition, move_status, record_creation
from .machines import INSURANCE_MACHINE, PolicyStatus, PolicyType
from .operations import _today
from .policies import InsurancePolicy, InsuredPatent, QuotePatent, QuoteRequest, QuoteStatus


@dataclass
class PolicyInput:
    insured_org_id: int | None
    patent_ids: list[int]
    policy_type: PolicyType
    premium: object
    coverage: object
    starts_on: date | None
    ends_on: date | None
    type_note: str = ""
    policy_no: str = ""
    issue_now: bool = False
    quote_request_id: int | None = None


def verified_insurers() -> list[Organization]:
    return db.session.scalars(db.select(Organization).where(
        Organization.kind == OrgKind.insurer, Organization.status == OrgStatus.verified)
        .order_by(Organization.name)).all()


def _insured_patents(org: Organization, patent_ids: list[int], today: date) -> list[Patent]:
    patents = load_owned_patents(org.id, patent_ids, _("所选专利不属于被保险机构。"))
    for patent in patents:
        if not patent.is_in_force(today):
            raise DomainError(_("专利 %(number)s 已不在有效期内（%(status)s），不能承保。", number=patent.number,
                                status=patent.legal_status.label), field="patent_ids")
    return patents


def _policy_no(text: str) -> str:
    policy_no = (text or "").strip()
    if not policy_no:
        raise DomainError(_("请填写保单号。"), field="policy_no")
    if len(policy_no) > 60:
        raise DomainError(_("保单号过长。"), field="policy_no")
    return policy_no


def _check_policy_no_free(insurer_id: int, policy_no: str, policy_id: int | None = None) -> None:
    query = db.select(InsurancePolicy.id).where(InsurancePolicy.insurer_org_id == insurer_id,
                                                InsurancePolicy.policy_no == policy_no)
    if policy_id is not None:
        query = query.where(InsurancePolicy.id != policy_id)
    if db.session.scalar(query.limit(1)):
        raise DomainError(_("保单号 %(no)s 已在本公司使用。", no=policy_no), field="policy_no")


def record_policy(user, data: PolicyInput, *, on: date | None = None) -> InsurancePolicy:
    """An insurer records a quote, or a policy issued at once (quoted → issued)."""
    ensure_can_act(user)
    if user.organization.kind != OrgKind.insurer:
        raise PermissionDenied(_("只有保险机构可以录入保单。"))
    today = _today(on)
    quote = None
    if data.quote_request_id is not None:
        quote = db.session.get(QuoteRequest, data.quote_request_id)
        if quote is None or not quote.is_insurer(user) or quote.status != QuoteStatus.open:
            raise DomainError(_("该询价不存在或已答复。"))
        data.insured_org_id = quote.requester_org_id
    insured = db.session.get(Organization, data.insured_org_id) if data.insured_org_id else None
    if insured is None or insured.id == user.organization_id:
        raise DomainError(_("请选择被保险机构（专利权人）。"), field="insured_org_id")
    ensure_holds_patents(insured, field="insured_org_id")
    patents = _insured_patents(insured, data.patent_ids, today)
    premium = parse_money(data.premium, "premium")
    coverage = parse_money(data.coverage, "coverage")
    if premium is None:
        raise DomainError(_("请填写保费。"), field="premium")
    if coverage is None:
        raise DomainError(_("请填写保险金额（保额）。"), field="coverage")
    if data.starts_on is None:
        raise DomainError(_("请填写保险期间起始日。"), field="starts_on")
    if data.ends_on is None or data.ends_on <= data.starts_on:
        raise DomainError(_("保险期间的结束日必须晚于起始日。"), field="ends_on")
    if data.ends_on > data.starts_on + timedelta(days=366 * 5):
        raise DomainError(_("保险期间最长 5 年。"), field="ends_on")
    note = (data.type_note or "").strip()[:100]
    if data.policy_type == PolicyType.other and not note:
        raise DomainError(_("请写明保险名称。"), field="type_note")
    policy_no = None
    if data.issue_now:
        policy_no = _policy_no(data.policy_no)
        _check_policy_no_free(user.organization_id, policy_no)
        if data.ends_on < today:
            raise DomainError(_("保险期间已结束，不能出单。"), field="ends_on")
    policy = InsurancePolicy(insurer_org_id=user.organization_id, insured_org_id=insured.id,
                             policy_type=data.policy_type, type_note=note, status=PolicyStatus.quoted,
                             premium=premium, coverage=coverage, starts_on=data.starts_on, ends_on=data.ends_on,
                             created_by_id=user.id, quote_request=quote)
    policy.items = [InsuredPatent(patent_id=p.id) for p in patents]
    db.session.add(policy)
    db.session.flush()
    record_creation(policy, user, occurred_on=today, data=_details(policy))
    if quote is not None:
        move_status(quote, [QuoteStatus.open], QuoteStatus.answered)
    if data.issue_now:
        issue_policy(policy, user, policy_no=policy_no, issued_on=today, on=today)
    else:
        notify_organization(insured, _("%(org)s 给出了专利保险报价：%(type)s，保费 ¥%(p)s。", org=user.organization.name,
                                       type=policy.type_label, p=f"{premium:,.2f}"),
                            external_url("finance.policy_detail", policy_id=policy.id))
    return policy


def _details(policy: InsurancePolicy) -> dict:
    return {"policy_type": policy.policy_type.value, "type_label": policy.type_label, "coverage": policy.coverage,
            "premium": policy.premium, "starts_on": policy.starts_on, "ends_on": policy.ends_on}


@INSURANCE_MACHINE.operation("issue")
def issue_policy(policy: InsurancePolicy, user, *, policy_no: str, issued_on: date | None = None,
                 on: date | None = None):
    today = _today(on)
    if policy.machine.step(policy.status_value, PolicyStatus.issued.value) is None:
        raise DomainError(_("只有报价中的保单可以出单（当前状态：%(s)s）。", s=policy.status.label))
    check_transition(policy, PolicyStatus.issued.value, user)  # the insurer, before its data is read
    policy_no = _policy_no(policy_no)
    _check_policy_no_free(policy.insurer_org_id, policy_no, policy.id)
    issued_on = issued_on or today
    if issued_on > today:
        raise DomainError(_("出单日期不能晚于今天。"), field="issued_on")
    if policy.ends_on < issued_on:
        raise DomainError(_("保险期间已结束，不能出单。"))
    _insured_patents(policy.insured, [p.id for p in policy.patents], issued_on)  # still in force?
    entry = apply_transition(policy, PolicyStatus.issued.value, user, occurred_on=issued_on,
                             data={"policy_no": policy_no, "issued_on": issued_on, **_details(policy)})
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # the unique (insurer, policy number), under a race
        raise DomainError(_("保单号 %(no)s 已在本公司使用。", no=policy_no), field="policy_no") from error
    return entry


@INSURANCE_MACHINE.operation("withdraw")
def withdraw_quote(policy: InsurancePolicy, user, *, on: date | None = None):
    """The insurer withdraws its quote, or ends an issued policy; the machine refuses anyone else."""
    today = _today(on)
    reason = "quote_withdrawn" if policy.status == PolicyStatus.quoted else "ended_by_insurer"
    return apply_transition(policy, PolicyStatus.lapsed.value, user, occurred_on=today,
                            data={"lapsed_on": today, "reason": reason})


def lapse_policies(today: date | None = None) -> list[InsurancePolicy]:
    """Policies and quotes whose period has ended become lapsed. Safe to run daily: only
    those still quoted or issued are touched; each lapse is dated the day after the end."""
    today = _today(today)
    due = db.session.scalars(db.select(InsurancePolicy).where(
        InsurancePolicy.status.in_(INSURANCE_MACHINE.sources(PolicyStatus.lapsed.value)), InsurancePolicy.ends_on < today)
        .order_by(InsurancePolicy.ends_on, InsurancePolicy.id)).all()
    for policy in due:
        lapsed_on = policy.ends_on + timedelta(days=1)
        apply_transition(policy, PolicyStatus.lapsed.value, None, occurred_on=lapsed_on,
                         data={"lapsed_on": lapsed_on, "reason": "period_ended"})
    return due


def request_quote(user, *, insurer_id: int, patent_ids: list[int], policy_type: PolicyType,
                  coverage_wanted=None, message: str = "", on: date | None = None) -> QuoteRequest:
    ensure_can_act(user)
    ensure_holds_patents(user.organization, acting=True)
    insurer = db.session.get(Organization, insurer_id) if insurer_id else None
    if insurer is None or insurer.kind != OrgKind.insurer or not insurer.is_verified:
        raise DomainError(_("请选择平台上已认证的保险机构。"), field="insurer_id")
    patents = _insured_patents(user.organization, patent_ids, _today(on))
    coverage = parse_money(coverage_wanted, "coverage_wanted")
    quote = QuoteRequest(requester_org_id=user.organization_id, insurer_org_id=insurer.id, created_by_id=user.id,
                         policy_type=policy_type, coverage_wanted=coverage, message=(message or "").strip()[:4000])
    quote.items = [QuotePatent(patent_id=p.id) for p in patents]
    db.session.add(quote)
    db.session.flush()
    notify_organization(insurer, _("%(org)s 申请专利保险报价（%(type)s，%(n)d 件专利）。", org=user.organization.name,
                                   type=policy_type.label, n=len(patents)),
                        external_url("finance.insurance_home"))
    return quote


def decline_quote(quote: QuoteRequest, user, answer: str) -> None:
    ensure_can_act(user)
    if not quote.is_insurer(user):
        raise PermissionDenied(_("只有被询价的保险机构可以答复。"))
    if quote.status != QuoteStatus.open:
        raise DomainError(_("该询价已答复。"))
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(_("请说明原因。"), field="answer")
    move_status(quote, [QuoteStatus.open], QuoteStatus.declined)
    quote.answer = answer[:4000]
    db.session.flush()
    notify_organization(quote.requester, _("%(org)s 婉拒了您的专利保险询价：%(a)s", org=user.organization.name, a=quote.answer),
                        external_url("finance.insurance_home"))
