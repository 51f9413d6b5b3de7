"""Deal pages. Routes stay thin: load (another organisation's deal is a 404, never a 403 that
confirms it exists), call the operation, redirect; the request commits once (marketplace.web).
A refused step re-renders the page with the operation's message."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..dates import business_today
from ..extensions import db
from ..forms import step_values
from ..ledger.models import LedgerEntry
from ..listings.routes import load_listing
from ..web import submit
from . import bp, operations
from . import recordation as recordation_rules
from .forms import (
    STEP_FORMS,
    AcceptOpenLicenceForm,
    DocumentForm,
    ProposeForm,
    RecordationNumberForm,
)
from .inquiries.models import Thread
from .models import DEAL_MACHINES, Deal, DealDocument, DealKind, DealStatus
from .views import deal_list_query, notice_template


def load_deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None or not deal.can_view(current_user):
        abort(404)
    return deal


def ledger_entries(deal: Deal) -> list[LedgerEntry]:
    return db.session.scalars(
        db.select(LedgerEntry).where(LedgerEntry.subject_type == deal.ledger_subject_type,
                                     LedgerEntry.subject_id == deal.id).order_by(LedgerEntry.seq)
    ).all()


def _step_forms(deal: Deal, steps, posted=None) -> dict:
    forms = {}
    for step in steps:
        if step.name in forms:
            continue
        if posted is not None and posted[0] == step.name:
            forms[step.name] = posted[1]
            continue
        form = STEP_FORMS.form(step.name, formdata=None)
        if step.name == "paid":
            form.paid_on.data = business_today()
            form.amount_paid.data = f"{deal.amount:.2f}" if deal.amount is not None else ""
        elif step.name == "negotiating" and deal.latest_offer:
            offer = deal.latest_offer
            form.amount.data = f"{offer.amount:.2f}" if offer.amount is not None else ""
            form.royalty_rate.data = str(offer.royalty_rate) if offer.royalty_rate is not None else ""
            form.terms.data = offer.terms
        forms[step.name] = form
    return forms


def _recordation_form(deal: Deal, posted=None):
    """Entering a licence contract's 备案号, or correcting either kind's: the parties only."""
    if deal.party_of(current_user) is None:
        return None
    if not (deal.recordation_no or (deal.kind == DealKind.licence and deal.status == DealStatus.completed)):
        return None
    return posted or RecordationNumberForm(formdata=None)


def render_detail(deal: Deal, posted=None, status: int = 200, document_form=None, recordation_form=None):
    steps = deal.available_steps(current_user)
    return render_template("deals/detail.html", deal=deal, entries=ledger_entries(deal), steps=steps,
                           forms=_step_forms(deal, steps, posted), side=deal.party_of(current_user),
                           waiting=deal.waiting_for(current_user),
                           recordation_form=_recordation_form(deal, recordation_form),
                           document_form=document_form or DocumentForm()), status


@bp.get("/deals")
@login_required
def my_deals():
    filters = {key: request.args.get(key, "") for key in ("status", "kind", "side", "waiting")}
    query = deal_list_query(current_user.organization_id, **filters)
    page = db.paginate(query, per_page=20)
    return render_template("deals/list.html", page=page, filters=filters, statuses=list(DealStatus),
                           kinds=list(DealKind))


@bp.get("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    return render_detail(load_deal(deal_id))


# Every step a party takes, by name, whatever the deal's kind: a step of another kind's machine
# is refused by its operation with the reason, not answered 404.
DEAL_OPERATIONS = {name: operation for machine in DEAL_MACHINES.values()
                   for name, operation in machine.operations.items()}


@bp.post("/deals/<int:deal_id>/steps/<target>")
@login_required
def act(deal_id: int, target: str):
    """Take the step of the deal's machine that leads to `target` (its name, for deals)."""
    deal = load_deal(deal_id)
    operation = DEAL_OPERATIONS.get(target)
    if operation is None:
        abort(404)
    step = deal.machine.step(deal.status_value, target)  # None: the operation names the refusal
    form = STEP_FORMS.form(target)
    outcome = submit(form, lambda: operation(deal, current_user, **step_values(form)))
    if not outcome.done:
        for message in form.form_errors:
            flash(message, "danger")
        return render_detail(deal, posted=(target, form), status=outcome.status)
    flash(step.done_message, "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.post("/deals/<int:deal_id>/recordation")
@login_required
def recordation(deal_id: int):
    """A licence contract's 备案号 entered, or a mistyped one (of either licence kind) corrected."""
    deal = load_deal(deal_id)
    if deal.party_of(current_user) is None:
        abort(403)
    form = RecordationNumberForm()
    correcting = bool(deal.recordation_no)
    if correcting:
        outcome = submit(form, lambda: recordation_rules.correct_number(deal, current_user, form.recordation_no.data,
                                                                        form.reason.data))
    else:
        outcome = submit(form, lambda: recordation_rules.record_licence_number(deal, current_user,
                                                                               form.recordation_no.data))
    if not outcome.done:
        return render_detail(load_deal(deal_id), recordation_form=form, status=outcome.status)
    flash(_("备案号已更正，更正记录已写入台账。") if correcting else _("已登记备案号。"), "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.get("/deals/<int:deal_id>/record")
@login_required
def record(deal_id: int):
    """The printable 书面通知 / licence record (or deal record for negotiated deals)."""
    deal = load_deal(deal_id)
    return render_template("deals/record.html", deal=deal, entries=ledger_entries(deal))


# --- from a listing -------------------------------------------------------------------------

@bp.route("/listings/<int:listing_id>/accept", methods=["GET", "POST"])
@login_required
def accept(listing_id: int):
    listing = load_listing(listing_id)
    if listing.kind.value != "open_licence":
        abort(404)
    refusal = operations.acceptance_refusal(listing, current_user)
    fee, discounted = operations.open_licence_fee(listing, current_user.organization)
    form = AcceptOpenLicenceForm()
    if request.method == "GET":
        form.notice.data = notice_template(listing, current_user, fee)
    outcome = submit(form, lambda: operations.accept_open_licence(listing, current_user, form.notice.data))
    if outcome.done:
        deal = outcome.result
        flash(_("开放许可已生效：交易 #%(id)d。建议在 %(due)s 前办理备案（法律未规定开放许可的备案期限）。", id=deal.id,
                due=deal.recordation_due.isoformat()), "success")
        return redirect(url_for("deals.detail", deal_id=deal.id))
    return render_template("deals/accept.html", listing=listing, form=form, fee=fee, discounted=discounted,
                           refusal=refusal, org=current_user.organization), outcome.status


@bp.route("/listings/<int:listing_id>/propose", methods=["GET", "POST"])
@login_required
def propose(listing_id: int):
    listing = load_listing(listing_id)
    if listing.kind not in operations.NEGOTIABLE_KINDS:
        abort(404)
    form = ProposeForm()
    thread = _thread_for(listing, form.thread_id.data or request.args.get("thread"))
    counterparty = thread.asker if thread is not None and thread.side_of(current_user) == "holder" else None
    if counterparty is None and listing.owner_id == current_user.organization_id:
        abort(404)  # the holder proposes only to someone who asked, from the thread
    if request.method == "GET":
        form.amount.data = f"{listing.price:.2f}" if listing.price else ""
        if thread is not None:
            form.thread_id.data = str(thread.id)
            form.terms.data = _("（据咨询 #%(id)d）", id=thread.id)
    outcome = submit(form, lambda: operations.propose_deal(
        listing, current_user, amount=form.amount.data, royalty_rate=form.royalty_rate.data, terms=form.terms.data,
        counterparty_org=counterparty, thread=thread))
    if outcome.done:
        flash(_("提议已提交：交易 #%(id)d。", id=outcome.result.id), "success")
        return redirect(url_for("deals.detail", deal_id=outcome.result.id))
    refusal = operations.proposal_refusal(listing, current_user, counterparty) if request.method == "GET" else None
    return render_template("deals/propose.html", listing=listing, form=form, thread=thread,
                           counterparty=counterparty, refusal=refusal), outcome.status


def _thread_for(listing, thread_id) -> Thread | None:
    if not thread_id:
        return None
    try:
        thread = db.session.get(Thread, int(thread_id))
    except (TypeError, ValueError):
        abort(404)
    if thread is None or not thread.can_view(current_user) or thread.listing_id != listing.id:
        abort(404)
    return thread


@bp.post("/deals/<int:deal_id>/documents")
@login_required
def upload_document(deal_id: int):
    deal = load_deal(deal_id)
    form = DocumentForm()
    outcome = submit(form, lambda: operations.attach_document(deal, current_user, form.file.data, form.label.data))
    if outcome.done:
        flash(_("文件已上传。"), "success")
        return redirect(url_for("deals.detail", deal_id=deal.id) + "#documents")
    return render_detail(deal, status=outcome.status, document_form=form)


@bp.get("/deals/<int:deal_id>/documents/<int:document_id>")
@login_required
def document(deal_id: int, document_id: int):
    from ..files import storage

    deal = load_deal(deal_id)  # another organisation's deal is a 404
    document = db.session.get(DealDocument, document_id)
    if document is None or document.deal_id != deal.id:
        abort(404)
    return storage.send(document.file)
