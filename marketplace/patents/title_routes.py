"""Ownership claims: the claimant's page (evidence, status) and the operator's queue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..accounts.routes import operator_required
from ..extensions import db
from ..files import storage
from ..web import submit
from . import bp
from .title import ClaimStatus, OwnershipClaim, confirm_claim, pending_claims, reject_claim, rivals


class EvidenceForm(FlaskForm):
    statement = TextAreaField(_l("说明（如：已于某日受让，著录项目变更通知书见附件）"),
                              validators=[Optional(), Length(max=2000)])
    evidence = FileField(_l("证明文件（专利证书、著录项目变更通知书等，PDF、JPEG 或 PNG）"),
                         render_kw={"accept": "application/pdf,image/jpeg,image/png"})


class DecisionForm(FlaskForm):
    reason = StringField(_l("理由（驳回时必填，申报机构可见）"), validators=[Optional(), Length(max=2000)])


def load_claim(claim_id: int) -> OwnershipClaim:
    claim = db.session.get(OwnershipClaim, claim_id)
    if claim is None or not claim.can_view(current_user):
        abort(404)
    return claim


@bp.route("/patents/claims/<int:claim_id>", methods=["GET", "POST"])
@login_required
def claim(claim_id: int):
    claim = load_claim(claim_id)
    form = EvidenceForm()
    may_add = claim.org_id == current_user.organization_id and claim.status == ClaimStatus.pending
    if request.method == "POST" and not may_add:
        abort(403)
    if request.method == "GET":
        form.statement.data = claim.statement

    def add_evidence():
        if form.evidence.data:
            claim.evidence = storage.save(storage.check_upload(form.evidence.data, field="evidence"), current_user)
        if form.statement.data:
            claim.statement = form.statement.data.strip()
        db.session.flush()

    outcome = submit(form, add_evidence)
    if outcome.done:
        flash(_("已更新权属申报材料。"), "success")
        return redirect(url_for("patents.claim", claim_id=claim.id))
    return render_template("patents/claim.html", claim=claim, form=form, may_add=may_add,
                           decision=DecisionForm(formdata=None), rivals=rivals(claim)), outcome.status


@bp.get("/patents/claims/<int:claim_id>/evidence")
@login_required
def claim_evidence(claim_id: int):
    claim = load_claim(claim_id)
    if claim.evidence is None:
        abort(404)
    return storage.send(claim.evidence)


@bp.get("/operator/ownership-claims")
@operator_required
def claims_queue():
    claims = db.session.scalars(pending_claims().order_by(OwnershipClaim.patent_id, OwnershipClaim.id)).all()
    by_patent: dict[int, int] = {}
    for item in claims:
        by_patent[item.patent_id] = by_patent.get(item.patent_id, 0) + 1
    decided = db.session.scalars(db.select(OwnershipClaim).where(OwnershipClaim.status != ClaimStatus.pending)
                                 .order_by(OwnershipClaim.decided_at.desc()).limit(20)).all()
    return render_template("patents/claims_queue.html", claims=claims, by_patent=by_patent, decided=decided)


@bp.post("/operator/ownership-claims/<int:claim_id>/<any(confirm, reject):decision>")
@operator_required
def decide_claim(claim_id: int, decision: str):
    claim = load_claim(claim_id)
    form = DecisionForm()
    decide = confirm_claim if decision == "confirm" else reject_claim
    outcome = submit(form, lambda: decide(claim, current_user, form.reason.data or ""))
    if outcome.done:
        flash(_("已确认权属申报。") if decision == "confirm" else _("已驳回权属申报。"), "success")
        return redirect(url_for("patents.claims_queue"))
    return render_template("patents/claim.html", claim=claim, form=EvidenceForm(formdata=None), may_add=False,
                           decision=form, rivals=rivals(claim)), outcome.status
