"""Pledge-financing pages: the holder's requests, the bank's queue and review page, the
valuation page and the agencies' appraisals. Routes load (404), check, call one operation;
the request commits once (marketplace.web). A request or review the user may not see is a 404, never a 403."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import OrgKind
from ..errors import DomainError
from ..extensions import db
from ..files import storage as documents
from ..forms import step_values
from ..ledger.models import LedgerEntry
from ..listings.models import Industry
from ..money import parse_money
from ..patents.models import Patent
from ..web import submit
from . import appraisals as appraisal_ops
from . import bp, forms, operations
from .access import can_view_valuation
from .machines import PLEDGE_MACHINE, REVIEW_QUEUE_GROUPS, REVIEW_STATUS_LABELS, ReviewStatus
from .models import (
    Appraisal,
    PledgeDocument,
    PledgeRequest,
    PledgeRequestPatent,
    PledgeReview,
    latest_appraisal,
)
from .valuation import DEFAULT_SCENARIO, SCENARIO_WEIGHTS, SCENARIOS, bundle_score, value_patent

LTV_WARNING = Decimal("0.50")  # banks commonly lend 30–50 % of an IP appraisal; above half is flagged


def _kind_required(*kinds: OrgKind):
    if current_user.organization.kind not in kinds:
        abort(403)


def load_request(request_id: int) -> PledgeRequest:
    pledge_request = db.session.get(PledgeRequest, request_id)
    if pledge_request is None or not pledge_request.can_view(current_user):
        abort(404)
    return pledge_request


def load_review(review_id: int) -> PledgeReview:
    review = db.session.get(PledgeReview, review_id)
    if review is None or not review.can_view(current_user):
        abort(404)
    return review


def collateral(pledge_request: PledgeRequest, today: date | None = None) -> dict:
    """Score and appraisal side by side, and the loan-to-value the requested amount implies."""
    rows = []
    for patent in pledge_request.patents:
        rows.append({"patent": patent, "valuation": value_patent(patent, "financing", today),
                     "appraisal": latest_appraisal(patent.id)})
    appraised = [r["appraisal"].amount for r in rows if r["appraisal"]]
    total = sum(appraised, Decimal(0)) if appraised else None
    ltv = (pledge_request.amount / total) if total else None
    return {"rows": rows, "score": bundle_score([r["valuation"] for r in rows]), "appraised_total": total,
            "all_appraised": len(appraised) == len(rows), "ltv": ltv,
            "ltv_flag": ltv is not None and ltv > LTV_WARNING, "ltv_threshold": LTV_WARNING}


def ledger_entries(review_ids: list[int]) -> list[LedgerEntry]:
    if not review_ids:
        return []
    return db.session.scalars(db.select(LedgerEntry).where(
        LedgerEntry.subject_type == "pledge_review", LedgerEntry.subject_id.in_(review_ids))
        .order_by(LedgerEntry.seq)).all()


# --- the holder ----------------------------------------------------------------------------

@bp.get("/finance/")
@login_required
def my_requests():
    if not current_user.organization.holds_patents:
        abort(403)
    from sqlalchemy.orm import selectinload

    # Each row shows the first patent and every bank's answer: loaded with the list.
    rows = db.session.scalars(db.select(PledgeRequest)
                              .options(selectinload(PledgeRequest.items).joinedload(PledgeRequestPatent.patent),
                                       selectinload(PledgeRequest.reviews).joinedload(PledgeReview.bank))
                              .where(PledgeRequest.holder_org_id == current_user.organization_id)
                              .order_by(PledgeRequest.submitted_on.desc(), PledgeRequest.id.desc())).all()
    patents = db.session.scalars(db.select(Patent).where(Patent.owner_id == current_user.organization_id)
                                 .order_by(Patent.grant_date.desc().nulls_last(), Patent.id.desc()).limit(100)).all()
    return render_template("finance/my_requests.html", requests=rows, patents=patents)


@bp.route("/finance/requests/new", methods=["GET", "POST"])
@login_required
def new_request():
    if not current_user.organization.holds_patents:
        abort(403)
    form = forms.PledgeRequestForm()
    patents = operations.pledgeable_patents(current_user.organization_id)
    form.patent_ids.choices = [(p.id, f"{p.number} {p.title}") for p in patents]
    form.bank_ids.choices = [(b.id, b.name) for b in operations.verified_banks()]
    if request.method == "GET" and request.args.get("patent_id", type=int):
        form.patent_ids.data = [request.args.get("patent_id", type=int)]
    outcome = submit(form, lambda: operations.submit_pledge_request(current_user, operations.PledgeInput(
        patent_ids=form.patent_ids.data or [], amount=form.amount.data, term_months=form.term_months.data,
        purpose=form.purpose.data, bank_ids=form.bank_ids.data or [], industry=Industry(form.industry.data),
        uploads=form.documents.data or [])))
    if outcome.done:
        created = outcome.result
        flash(_("质押融资申请已提交给 %(n)d 家银行。", n=len(created.reviews)), "success")
        return redirect(url_for("finance.request_detail", request_id=created.id))
    return render_template("finance/new_request.html", form=form, patents=patents), outcome.status


@bp.get("/finance/requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    pledge_request = load_request(request_id)
    is_holder = pledge_request.is_holder(current_user)
    if not is_holder and not current_user.is_operator:
        # A bank goes to its own review of the request, never to the others'.
        review = pledge_request.review_for_bank(current_user.organization_id)
        return redirect(url_for("finance.review_detail", review_id=review.id))
    return _render_request(pledge_request)


def _render_request(pledge_request: PledgeRequest, status: int = 200, *, documents_form=None, message_form=None,
                    message_review_id: int | None = None):
    """The holder's page; a refused upload or message comes back bound, beside where it was typed."""
    return render_template("finance/request_detail.html", req=pledge_request,
                           is_holder=pledge_request.is_holder(current_user), collateral=collateral(pledge_request),
                           entries=ledger_entries([r.id for r in pledge_request.reviews]),
                           message_form=message_form or forms.MessageForm(formdata=None),
                           message_review_id=message_review_id,
                           documents_form=documents_form or forms.DocumentsForm(formdata=None),
                           withdraw_form=forms.WithdrawForm(formdata=None)), status


@bp.post("/finance/requests/<int:request_id>/documents")
@login_required
def add_documents(request_id: int):
    pledge_request = load_request(request_id)
    form = forms.DocumentsForm()
    outcome = submit(form, lambda: operations.add_documents(pledge_request, current_user, form.documents.data or []))
    if not outcome.done:
        return _render_request(pledge_request, outcome.status, documents_form=form)
    flash(_("材料已上传。"), "success")
    return redirect(url_for("finance.request_detail", request_id=request_id))


def _withdrawal_reason() -> str:
    """The withdraw buttons post an optional reason; only an over-long one is refused."""
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        abort(422)
    return form.reason.data or ""


@bp.post("/finance/requests/<int:request_id>/withdraw")
@login_required
def withdraw_request(request_id: int):
    count = operations.withdraw_request(load_request(request_id), current_user, _withdrawal_reason())
    flash(_("已撤回 %(n)d 家银行的审批。", n=count), "info")
    return redirect(url_for("finance.request_detail", request_id=request_id))


@bp.get("/finance/requests/<int:request_id>/documents/<int:document_id>")
@login_required
def document(request_id: int, document_id: int):
    pledge_request = db.session.get(PledgeRequest, request_id)
    doc = db.session.get(PledgeDocument, document_id)
    if pledge_request is None or doc is None or doc.request_id != request_id \
            or not pledge_request.can_read_documents(current_user):
        abort(404)
    return documents.send(doc.file)


# --- the bank ------------------------------------------------------------------------------

SORTS = {"date": "submitted_on", "amount": "amount", "score": "score"}


@bp.get("/finance/reviews")
@login_required
def review_queue():
    _kind_required(OrgKind.bank)
    args = request.args
    from sqlalchemy.orm import contains_eager

    query = (db.select(PledgeReview).join(PledgeRequest, PledgeRequest.id == PledgeReview.request_id)
             .options(contains_eager(PledgeReview.request).joinedload(PledgeRequest.holder),
                      contains_eager(PledgeReview.request).selectinload(PledgeRequest.items)
                      .joinedload(PledgeRequestPatent.patent))
             .where(PledgeReview.bank_org_id == current_user.organization_id))
    status = args.get("status", "")
    if status in REVIEW_QUEUE_GROUPS:  # "open", "lending": the same states the bank's dashboard counts
        query = query.where(PledgeReview.status.in_(PLEDGE_MACHINE.group(status)))
    elif status in ReviewStatus.__members__:
        query = query.where(PledgeReview.status == ReviewStatus(status))
    industry = args.get("industry", "")
    if industry in Industry.__members__:
        query = query.where(PledgeRequest.industry == Industry(industry))
    for name, column, op in (("min_amount", PledgeRequest.amount, "ge"), ("max_amount", PledgeRequest.amount, "le"),
                             ("min_score", PledgeRequest.score, "ge")):
        value = _money_arg(name) if name.endswith("amount") else _decimal_arg(name)
        if value is not None:
            query = query.where(column >= value if op == "ge" else column <= value)
    for name, op in (("from", "ge"), ("to", "le")):
        value = _date_arg(name)
        if value is not None:
            query = query.where(PledgeRequest.submitted_on >= value if op == "ge"
                                else PledgeRequest.submitted_on <= value)
    sort = args.get("sort", "date") if args.get("sort") in SORTS else "date"
    column = getattr(PledgeRequest, SORTS[sort])
    direction = args.get("dir", "desc") if args.get("dir") in ("asc", "desc") else "desc"
    order = column.asc() if direction == "asc" else column.desc()
    page = db.paginate(query.order_by(order.nulls_last(), PledgeReview.id.desc()), per_page=20)
    return render_template("finance/review_queue.html", page=page, statuses=REVIEW_STATUS_LABELS, groups=REVIEW_QUEUE_GROUPS,
                           industries=Industry, sort=sort, direction=direction)


def _money_arg(name: str) -> Decimal | None:
    """A filter amount as people type it (50万, 1,000,000); a bad one filters nothing."""
    try:
        return parse_money(request.args.get(name, ""), allow_zero=True)
    except DomainError:
        return None


def _decimal_arg(name: str) -> Decimal | None:
    try:
        value = Decimal(request.args.get(name, "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


@bp.get("/finance/reviews/<int:review_id>")
@login_required
def review_detail(review_id: int):
    review = load_review(review_id)
    if not review.is_bank(current_user) and not current_user.is_operator:
        return redirect(url_for("finance.request_detail", request_id=review.request_id))
    return _render_review(review)


def _bank_steps(review: PledgeReview) -> list:
    """The steps the bank may take on its review now (a route exists for each: `review_action`)."""
    return [s for s in review.available_steps(current_user) if s.name in PLEDGE_MACHINE.operations]


def _render_review(review: PledgeReview, status: int = 200, message_form=None, **bound_forms):
    steps = _bank_steps(review)
    action_forms = {step.name: forms.REVIEW_STEP_FORMS.form(step.name, formdata=None) for step in steps}
    if not bound_forms:
        if "approve" in action_forms:
            approve = action_forms["approve"]
            approve.amount.data = f"{review.requested_amount:.2f}"
            approve.term_months.data = str(review.request.term_months)
        if "disburse" in action_forms and review.approved_amount:
            action_forms["disburse"].amount.data = f"{review.approved_amount:.2f}"
    # A refused action whose form is not on the page (its step is not available) is reported on top.
    refused = {action: form for action, form in bound_forms.items() if action not in action_forms}
    action_forms.update({action: form for action, form in bound_forms.items() if action in action_forms})
    return render_template("finance/review_detail.html", review=review, req=review.request,
                           collateral=collateral(review.request), entries=ledger_entries([review.id]),
                           forms=action_forms, steps=steps, refused=refused,
                           message_form=message_form or forms.MessageForm(formdata=None)), status


@bp.post("/finance/reviews/<int:review_id>/<action>")
@login_required
def review_action(review_id: int, action: str):
    """Take the bank's step `action` (a step name of the pledge machine)."""
    step = PLEDGE_MACHINE.any_step(action)
    if step is None or "bank" not in step.roles or action not in PLEDGE_MACHINE.operations:
        abort(404)
    review = load_review(review_id)
    if not review.is_bank(current_user):
        abort(404 if not review.roles_of(current_user) else 403)
    form = forms.REVIEW_STEP_FORMS.form(action)
    outcome = submit(form, lambda: PLEDGE_MACHINE.operations[action](review, current_user, **step_values(form)))
    if not outcome.done:
        return _render_review(review, outcome.status, **{action: form})
    flash(_("已%(action)s：申请 #%(id)d 当前状态为“%(status)s”。", action=step.label,
            id=review.request_id, status=review.status.label), "success")
    return redirect(url_for("finance.review_detail", review_id=review.id))


# --- both sides of a review ---------------------------------------------------------------

@bp.post("/finance/reviews/<int:review_id>/messages")
@login_required
def post_message(review_id: int):
    review = load_review(review_id)
    form = forms.MessageForm()
    outcome = submit(form, lambda: operations.post_message(review, current_user, form.message.data))
    if not outcome.done:
        if review.is_bank(current_user):
            return _render_review(review, outcome.status, message_form=form)
        return _render_request(review.request, outcome.status, message_form=form, message_review_id=review.id)
    flash(_("留言已发送。"), "success")
    if review.is_bank(current_user):
        return redirect(url_for("finance.review_detail", review_id=review.id))
    return redirect(url_for("finance.request_detail", request_id=review.request_id, _anchor=f"review-{review.id}"))


@bp.post("/finance/reviews/<int:review_id>/withdraw")
@login_required
def withdraw_review(review_id: int):
    review = load_review(review_id)
    operations.withdraw_review(review, current_user, _withdrawal_reason())
    flash(_("已撤回向 %(bank)s 的申请。", bank=review.bank.name), "info")
    return redirect(url_for("finance.request_detail", request_id=review.request_id))


# --- valuation -------------------------------------------------------------------------------

@bp.get("/patents/<int:patent_id>/valuation")
@login_required
def valuation(patent_id: int):
    patent = db.session.get(Patent, patent_id)
    if patent is None or not can_view_valuation(patent, current_user):
        abort(404)  # another organisation's unlisted patent: its existence is not disclosed
    scenario = request.args.get("scenario", DEFAULT_SCENARIO)
    if scenario not in SCENARIO_WEIGHTS:
        abort(404)
    appraisals = [a for a in db.session.scalars(db.select(Appraisal).where(Appraisal.patent_id == patent.id)
                                                .order_by(Appraisal.appraised_on.desc(), Appraisal.id.desc()))
                  if a.can_view(current_user)]
    return render_template("finance/valuation.html", patent=patent, valuation=value_patent(patent, scenario),
                           scenarios=SCENARIOS, appraisals=appraisals,
                           is_owner=current_user.organization_id == patent.owner_id)


# --- appraisals (agencies) -------------------------------------------------------------------

@bp.route("/finance/appraisals", methods=["GET", "POST"])
@login_required
def appraisals():
    _kind_required(OrgKind.agency)
    form = forms.AppraisalForm()
    outcome = submit(form, lambda: appraisal_ops.attach_appraisal(
        current_user, patent_number=form.patent_number.data, amount=form.amount.data,
        method=form.method.data, appraised_on=form.appraised_on.data, report=form.report.data))
    if outcome.done:
        appraisal = outcome.result
        flash(_("已为 %(number)s 登记评估价值 ¥%(amount)s。", number=appraisal.patent.number,
                amount=f"{appraisal.amount:,.2f}"), "success")
        return redirect(url_for("finance.appraisals"))
    rows = db.session.scalars(db.select(Appraisal).where(Appraisal.agency_org_id == current_user.organization_id)
                              .order_by(Appraisal.appraised_on.desc(), Appraisal.id.desc()).limit(200)).all()
    return render_template("finance/appraisals.html", form=form, rows=rows), outcome.status


@bp.get("/finance/appraisals/<int:appraisal_id>/report")
@login_required
def appraisal_report(appraisal_id: int):
    appraisal = db.session.get(Appraisal, appraisal_id)
    if appraisal is None or not appraisal.can_view(current_user):
        abort(404)
    return documents.send(appraisal.report)

