"""Insurance pages: the insurer's queue of quote requests and its policies, recording and
issuing a policy; the holder's quote requests and policies."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import PATENT_HOLDER_KINDS, Organization, OrgKind, OrgStatus
from ..extensions import db
from ..forms import step_values
from ..ledger.models import LedgerEntry
from ..patents.models import Patent
from ..web import submit
from . import bp, forms, insurance
from .appraisals import patent_by_number
from .machines import INSURANCE_MACHINE, PolicyStatus, PolicyType
from .policies import InsurancePolicy, QuotePatent, QuoteRequest, QuoteStatus

# What a row shows (parties, patents, the answering policy), loaded with the page, not per row.
QUOTE_ROW = (joinedload(QuoteRequest.requester), joinedload(QuoteRequest.policy),
             selectinload(QuoteRequest.items).joinedload(QuotePatent.patent))
POLICY_ROW = (joinedload(InsurancePolicy.insured), selectinload(InsurancePolicy.items))


@bp.get("/finance/insurance")
@login_required
def insurance_home():
    """The insurer's quote queue and policies, or the holder's quotes and policies."""
    kind = current_user.organization.kind
    org_id = current_user.organization_id
    if kind == OrgKind.insurer:
        quotes = db.session.scalars(db.select(QuoteRequest).options(*QUOTE_ROW)
                                    .where(QuoteRequest.insurer_org_id == org_id)
                                    .order_by((QuoteRequest.status == QuoteStatus.open).desc(),
                                              QuoteRequest.created_at.desc()).limit(100)).all()
        status = request.args.get("status", "")
        query = db.select(InsurancePolicy).options(*POLICY_ROW).where(InsurancePolicy.insurer_org_id == org_id)
        if status in PolicyStatus.__members__:
            query = query.where(InsurancePolicy.status == PolicyStatus(status))
        page = db.paginate(query.order_by(InsurancePolicy.starts_on.desc(), InsurancePolicy.id.desc()), per_page=25)
        return render_template("finance/insurance_insurer.html", quotes=quotes, page=page, status=status,
                               statuses=PolicyStatus)
    if not kind.holds_patents:
        abort(403)
    quotes = db.session.scalars(db.select(QuoteRequest).options(*QUOTE_ROW)
                                .where(QuoteRequest.requester_org_id == org_id)
                                .order_by(QuoteRequest.created_at.desc())).all()
    policies = db.session.scalars(db.select(InsurancePolicy).options(*POLICY_ROW)
                                  .where(InsurancePolicy.insured_org_id == org_id)
                                  .order_by(InsurancePolicy.starts_on.desc())).all()
    return render_template("finance/insurance_holder.html", quotes=quotes, policies=policies)


@bp.route("/finance/insurance/quotes/new", methods=["GET", "POST"])
@login_required
def new_quote():
    if not current_user.organization.holds_patents:
        abort(403)
    form = forms.QuoteRequestForm()
    form.insurer_id.choices = [(o.id, o.name) for o in insurance.verified_insurers()]
    patents = db.session.scalars(db.select(Patent).where(Patent.owner_id == current_user.organization_id)
                                 .order_by(Patent.title)).all()
    form.patent_ids.choices = [(p.id, f"{p.number} {p.title}") for p in patents if p.is_in_force()]
    if request.method == "GET" and request.args.get("patent_id", type=int):
        form.patent_ids.data = [request.args.get("patent_id", type=int)]
    outcome = submit(form, lambda: insurance.request_quote(
        current_user, insurer_id=form.insurer_id.data, patent_ids=form.patent_ids.data or [],
        policy_type=PolicyType(form.policy_type.data), coverage_wanted=form.coverage_wanted.data,
        message=form.message.data))
    if outcome.done:
        flash(_("询价已发送，保险机构报价后会通知您。"), "success")
        return redirect(url_for("finance.insurance_home"))
    return render_template("finance/quote_form.html", form=form), outcome.status


@bp.post("/finance/insurance/quotes/<int:quote_id>/decline")
@login_required
def decline_quote(quote_id: int):
    quote = db.session.get(QuoteRequest, quote_id)
    if quote is None or not quote.can_view(current_user):
        abort(404)
    form = forms.ReasonForm()
    insurance.decline_quote(quote, current_user, form.reason.data or "")  # a refusal is the 409 page
    flash(_("已答复询价。"), "info")
    return redirect(url_for("finance.insurance_home"))


@bp.route("/finance/insurance/policies/new", methods=["GET", "POST"])
@login_required
def new_policy():
    if current_user.organization.kind != OrgKind.insurer:
        abort(403)
    form = forms.PolicyForm()
    holders = db.session.scalars(db.select(Organization).where(Organization.kind.in_(PATENT_HOLDER_KINDS),
                                                              Organization.status == OrgStatus.verified)
                                 .order_by(Organization.name)).all()
    form.insured_org_id.choices = [(o.id, o.name) for o in holders]
    quote = None
    quote_id = request.args.get("quote", type=int)
    if quote_id:
        quote = db.session.get(QuoteRequest, quote_id)
        if quote is None or not quote.is_insurer(current_user):
            abort(404)
        if request.method == "GET":
            form.insured_org_id.data = quote.requester_org_id
            form.patent_numbers.data = "\n".join(p.number for p in quote.patents)
            form.policy_type.data = quote.policy_type.value
            if quote.coverage_wanted:
                form.coverage.data = f"{quote.coverage_wanted:.2f}"

    def record():
        patent_ids = [patent_by_number(line, "patent_numbers").id
                      for line in form.patent_numbers.data.replace("，", "\n").replace(",", "\n").splitlines()
                      if line.strip()]
        return insurance.record_policy(current_user, insurance.PolicyInput(
            insured_org_id=form.insured_org_id.data, patent_ids=patent_ids,
            policy_type=PolicyType(form.policy_type.data), type_note=form.type_note.data or "",
            premium=form.premium.data, coverage=form.coverage.data, starts_on=form.starts_on.data,
            ends_on=form.ends_on.data, issue_now=form.issue_now.data, policy_no=form.policy_no.data or "",
            quote_request_id=quote.id if quote else None))

    outcome = submit(form, record, aliases={"patent_ids": "patent_numbers"})
    if outcome.done:
        policy = outcome.result
        flash(_("保单已出单。") if policy.status == PolicyStatus.issued else _("报价已发送给被保险机构。"), "success")
        return redirect(url_for("finance.policy_detail", policy_id=policy.id))
    return render_template("finance/policy_form.html", form=form, quote=quote), outcome.status


def load_policy(policy_id: int) -> InsurancePolicy:
    policy = db.session.get(InsurancePolicy, policy_id)
    if policy is None or not policy.can_view(current_user):
        abort(404)
    return policy


@bp.get("/finance/insurance/policies/<int:policy_id>")
@login_required
def policy_detail(policy_id: int):
    return _render_policy(load_policy(policy_id))


def _render_policy(policy: InsurancePolicy, status: int = 200, bound=None):
    entries = db.session.scalars(db.select(LedgerEntry).where(
        LedgerEntry.subject_type == policy.ledger_subject_type, LedgerEntry.subject_id == policy.id)
        .order_by(LedgerEntry.seq)).all()
    steps = [s for s in policy.available_steps(current_user) if s.name in INSURANCE_MACHINE.operations]
    step_forms = {s.name: forms.POLICY_STEP_FORMS.form(s.name, formdata=None) for s in steps}
    if bound is not None and bound[0] in step_forms:
        step_forms[bound[0]] = bound[1]
    return render_template("finance/policy_detail.html", policy=policy, entries=entries, steps=steps,
                           forms=step_forms, refused=bound[1] if bound and bound[0] not in step_forms else None), \
        status


@bp.post("/finance/insurance/policies/<int:policy_id>/<action>")
@login_required
def policy_step(policy_id: int, action: str):
    """Take the step `action` of the insurance machine (issue, withdraw): the insurer's steps."""
    operation = INSURANCE_MACHINE.operations.get(action)
    if operation is None:
        abort(404)
    policy = load_policy(policy_id)
    form = forms.POLICY_STEP_FORMS.form(action)
    step = INSURANCE_MACHINE.step_named(policy.status_value, action) or INSURANCE_MACHINE.any_step(action)
    outcome = submit(form, lambda: operation(policy, current_user, **step_values(form)))
    if not outcome.done:
        return _render_policy(policy, outcome.status, bound=(action, form))
    flash(step.done_message, "success")
    return redirect(url_for("finance.policy_detail", policy_id=policy.id))
