"""Patent pages: the holder's "我的专利", add / edit one patent, and a patent's own page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..listings.models import ListingKind
from ..web import submit
from . import bp
from .forms import PatentForm
from .models import LegalStatus, Patent, PatentType, may_hold_patents
from .operations import ClaimRecorded, save_patent
from .queries import (
    PatentFilters,
    facet_counts,
    is_publicly_listed,
    listings_by_patent,
    owned_patents_query,
)
from .title import OwnershipClaim, pending_claims


def load_patent(patent_id: int, *, for_edit: bool = False) -> Patent:
    """A patent the user may not see is a 404: patents are public only through visible listings."""
    patent = db.get_or_404(Patent, patent_id)
    visible = patent.is_owned_by(current_user) or (current_user.is_authenticated and current_user.is_operator)
    if not visible and not (not for_edit and is_publicly_listed(patent, current_user)):
        abort(404)
    if for_edit and not patent.can_edit(current_user):
        abort(403)
    return patent


def require_holder() -> None:
    if not may_hold_patents(current_user):
        abort(403)


@bp.get("/patents/mine")
@login_required
def mine():
    require_holder()
    filters = PatentFilters.from_args(request.args)
    owner_id = current_user.organization_id
    page = db.paginate(owned_patents_query(owner_id, filters), per_page=25)
    return render_template("patents/mine.html", page=page, filters=filters,
                           counts=facet_counts(owner_id, filters),
                           live=listings_by_patent([p.id for p in page.items]),
                           options={"type": [(t.value, t.label) for t in PatentType],
                                    "status": [(s.value, s.label) for s in LegalStatus]})


def _save(form: PatentForm, patent: Patent | None):
    """Save through the operation. A number registered to another organisation becomes an ownership
    claim, which is kept: the answer is a redirect to it, so the request commits it."""
    try:
        saved, _changed = save_patent(current_user.organization, form.to_input(), patent=patent,
                                      user=current_user)
    except ClaimRecorded as recorded:
        flash(recorded.message, "warning")
        return recorded.claim
    return saved


@bp.route("/patents/new", methods=["GET", "POST"])
@login_required
def new():
    require_holder()
    form = PatentForm()
    outcome = submit(form, lambda: _save(form, None))
    if outcome.done:
        patent = outcome.result
        if isinstance(patent, OwnershipClaim):
            return redirect(url_for("patents.claim", claim_id=patent.id))
        if patent.title_confirmed:
            flash(_("已登记专利 %(number)s。", number=patent.number), "success")
        else:
            flash(_("已登记专利 %(number)s，但登记的专利权人（%(names)s）不是贵单位：权属待平台核实，核实前不能挂牌、"
                    "质押或投保。请在专利页上传专利证书或著录项目变更通知书。",
                    number=patent.number, names=patent.applicants or _("未填写")), "warning")
        return redirect(url_for("patents.detail", patent_id=patent.id))
    return render_template("patents/form.html", form=form, patent=None), outcome.status


@bp.route("/patents/<int:patent_id>/edit", methods=["GET", "POST"])
@login_required
def edit(patent_id: int):
    patent = load_patent(patent_id, for_edit=True)
    form = PatentForm() if request.method == "POST" else PatentForm.for_patent(patent)
    outcome = submit(form, lambda: _save(form, patent))
    if outcome.done and isinstance(outcome.result, OwnershipClaim):
        return redirect(url_for("patents.claim", claim_id=outcome.result.id))
    if outcome.done:
        flash(_("已保存专利 %(number)s。", number=patent.number), "success")
        return redirect(url_for("patents.detail", patent_id=patent.id))
    return render_template("patents/form.html", form=form, patent=patent), outcome.status


@bp.get("/patents/<int:patent_id>")
def detail(patent_id: int):
    patent = load_patent(patent_id)
    listings = listings_by_patent([patent.id], live_only=False).get(patent.id, [])
    if not patent.is_owned_by(current_user):
        listings = [listing for listing in listings if listing.can_view(current_user)]
    claims = []
    if not patent.title_confirmed and (patent.is_owned_by(current_user) or current_user.is_operator):
        claims = db.session.scalars(pending_claims().where(OwnershipClaim.patent_id == patent.id,
                                                           OwnershipClaim.org_id == patent.owner_id)).all()
    return render_template("patents/detail.html", patent=patent, listings=listings, kinds=list(ListingKind),
                           pending_claims=claims)
