"""Listing pages. Routes stay thin: load (404), check permission (403), call the operation, render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..extensions import db
from ..patents.models import may_hold_patents
from ..web import submit
from . import bp
from .forms import ListingForm, default_term_end, default_title
from .models import INDUSTRY_LABELS, Industry, Listing, ListingKind, ListingStatus
from .operations import create_listing, publish_listing, update_listing, withdraw_listing
from .queries import market_listings, my_listings, offerable_patents

# Rules about a patent's documents are shown beside the patent choice on the listing form.
FIELD_ALIASES = {"evaluation_report_no": "patent_ids"}


def load_listing(listing_id: int, *, for_edit: bool = False) -> Listing:
    """The one load-and-check helper: a listing the user may not see is a 404, not a 403."""
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    if for_edit and not listing.can_edit(current_user):
        abort(403)
    return listing


def chosen_first(patents: list, chosen_ids: list[int]) -> list:
    """The multi-select lists the chosen patents at the top, where the holder sees them."""
    return sorted(patents, key=lambda p: p.id not in chosen_ids)


@bp.get("/listings")
def browse():
    query, selected, counts, kinds = market_listings(current_user, request.args)
    page = db.paginate(query, per_page=20)
    return render_template("listings/browse.html", page=page, selected=selected, counts=counts,
                           options={"kind": [(k.value, k.label) for k in kinds],
                                    "industry": [(i.value, INDUSTRY_LABELS[i]) for i in Industry]})


@bp.get("/listings/mine")
@login_required
def mine():
    if not may_hold_patents(current_user):
        abort(403)
    query, selected, counts = my_listings(current_user.organization_id, request.args)
    page = db.paginate(query, per_page=25)
    return render_template("listings/mine.html", page=page, selected=selected, counts=counts,
                           options={"kind": [(k.value, k.label) for k in ListingKind],
                                    "status": [(s.value, s.label) for s in ListingStatus]})


@bp.route("/listings/new", methods=["GET", "POST"])
@login_required
def new():
    if not may_hold_patents(current_user):
        abort(403)
    kind_arg = request.args.get("kind", "")
    prefilled = [int(i) for i in request.args.getlist("patent") if i.isdigit()]
    if kind_arg not in ListingKind.__members__:
        return render_template("listings/choose_kind.html", kinds=list(ListingKind), patent_ids=prefilled)
    kind = ListingKind(kind_arg)
    patents = chosen_first(offerable_patents(current_user.organization_id), prefilled)
    form = ListingForm(kind, patents)
    if request.method == "GET":
        chosen = [p for p in patents if p.id in prefilled]
        form.patent_ids.data = [p.id for p in chosen]
        form.title.data = default_title(kind, chosen)
        if kind in (ListingKind.open_licence, ListingKind.licence) and chosen:
            form.term_end.data = default_term_end(chosen)
    outcome = submit(form, lambda: create_listing(current_user, form.to_input()), aliases=FIELD_ALIASES)
    if outcome.done:
        flash(_("已保存为草稿。确认无误后请点击“发布”。"), "success")
        return redirect(url_for("listings.detail", listing_id=outcome.result.id))
    return render_template("listings/form.html", form=form, kind=kind, listing=None), outcome.status


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    listing = load_listing(listing_id, for_edit=True)
    current = [p.id for p in listing.patents]
    patents = chosen_first(offerable_patents(listing.owner_id, current), current)
    if request.method == "POST":
        form = ListingForm(listing.kind, patents)
    else:
        form = ListingForm.for_listing(listing, patents)
    outcome = submit(form, lambda: update_listing(listing, current_user, form.to_input()), aliases=FIELD_ALIASES)
    if outcome.done:
        flash(_("挂牌已保存。"), "success")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/form.html", form=form, kind=listing.kind, listing=listing), outcome.status


def _confirm_or_act(listing: Listing, action: str, operation, done_message: str):
    form = FlaskForm()  # the button: only its CSRF token
    outcome = submit(form, lambda: operation(listing, current_user))
    if outcome.done:
        flash(done_message, "success")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/confirm.html", listing=listing, action=action, form=form), outcome.status


def load_for_step(listing_id: int, name: str) -> Listing:
    """A listing on which the user may take the step `name` now (the machine says), else 403."""
    listing = load_listing(listing_id)
    if not any(step.name == name for step in listing.available_steps(current_user)):
        abort(403)
    return listing


@bp.route("/listings/<int:listing_id>/publish", methods=["GET", "POST"])
@login_required
def publish(listing_id: int):
    listing = load_for_step(listing_id, "publish")
    return _confirm_or_act(listing, "publish", publish_listing, _("挂牌已发布，所有访客都能看到。"))


@bp.route("/listings/<int:listing_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(listing_id: int):
    listing = load_for_step(listing_id, "withdraw")
    return _confirm_or_act(listing, "withdraw", withdraw_listing, _("挂牌已撤回。"))


@bp.get("/listings/<int:listing_id>")
def detail(listing_id: int):
    listing = load_listing(listing_id)
    takers = None
    if listing.is_owned_by(current_user) and listing.status.is_live and listing.kind != ListingKind.pledge:
        from ..search.matching import takers_for_listing

        takers = takers_for_listing(listing)  # only the holder sees who might take its listing
    return render_template("listings/detail.html", listing=listing, takers=takers)
