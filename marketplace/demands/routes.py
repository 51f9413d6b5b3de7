"""Demand pages: my demands, post, edit, publish, close, the matches of a demand, and for holders the
demands their listings answer. Thin: load (404), check (403), operate; the request commits once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..listings.models import LIVE_STATUSES, Listing
from ..listings.routes import load_listing
from ..web import submit
from . import bp, operations
from .forms import DemandForm
from .models import Demand


def load_demand(demand_id: int, *, for_edit: bool = False) -> Demand:
    demand = db.get_or_404(Demand, demand_id)
    if not demand.can_view(current_user):
        abort(404)
    if for_edit and not demand.can_edit(current_user):
        abort(403)
    return demand


@bp.get("/")
@login_required
def mine():
    demands = db.session.scalars(db.select(Demand).where(Demand.organization_id == current_user.organization_id)
                                 .order_by(Demand.created_at.desc())).all()
    return render_template("demands/mine.html", demands=demands, can_create=Demand.can_create(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not Demand.can_create(current_user):
        abort(403)
    form = DemandForm()
    outcome = submit(form, lambda: operations.create_demand(current_user, form.to_input(),
                                                            publish=bool(form.publish.data)))
    if outcome.done:
        flash(_("需求已发布，下面是为您匹配的技术。") if form.publish.data else _("草稿已保存。"), "success")
        return redirect(url_for("demands.detail", demand_id=outcome.result.id))
    return render_template("demands/form.html", form=form, demand=None), outcome.status


@bp.route("/<int:demand_id>/edit", methods=["GET", "POST"])
@login_required
def edit(demand_id: int):
    demand = load_demand(demand_id, for_edit=True)
    form = DemandForm()
    if not form.is_submitted():
        form.fill_from(demand)

    def save():
        operations.update_demand(demand, current_user, form.to_input())
        if form.publish.data and demand.status.value == "draft":
            operations.publish_demand(demand, current_user)

    outcome = submit(form, save)
    if outcome.done:
        flash(_("需求已更新。"), "success")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("demands/form.html", form=form, demand=demand), outcome.status


@bp.post("/<int:demand_id>/publish")
@login_required
def publish(demand_id: int):
    demand = load_demand(demand_id, for_edit=True)
    operations.publish_demand(demand, current_user)  # a refusal is the 409 page
    flash(_("需求已发布。"), "success")
    return redirect(url_for("demands.detail", demand_id=demand.id))


@bp.post("/<int:demand_id>/close")
@login_required
def close(demand_id: int):
    demand = load_demand(demand_id)
    operations.close_demand(demand, current_user)
    flash(_("需求已关闭。"), "success")
    return redirect(url_for("demands.detail", demand_id=demand.id))


@bp.get("/<int:demand_id>")
@login_required
def detail(demand_id: int):
    from ..search.matching import matches_for_demand

    demand = load_demand(demand_id)
    matches = matches_for_demand(demand, current_user) if demand.is_owned_by(current_user) else []
    return render_template("demands/detail.html", demand=demand, matches=matches)


@bp.get("/answers")
@login_required
def answers():
    """For a holder: each of its live listings with the open demands it answers."""
    from ..listings.queries import LIST_LOADS
    from ..search.matching import demands_for_listing, open_demands

    listings = db.session.scalars(db.select(Listing).options(*LIST_LOADS).where(
        Listing.owner_id == current_user.organization_id, Listing.status.in_(LIVE_STATUSES))
        .order_by(Listing.published_at.desc()).limit(50)).all()
    demands = open_demands()
    rows = [(listing, demands_for_listing(listing, limit=5, demands=demands)) for listing in listings]
    return render_template("demands/answers.html", rows=rows)


@bp.get("/for-listing/<int:listing_id>")
@login_required
def for_listing(listing_id: int):
    from ..search.matching import demands_for_listing

    listing = load_listing(listing_id)
    if not listing.is_owned_by(current_user):
        abort(403)
    return render_template("demands/for_listing.html", listing=listing, found=demands_for_listing(listing, limit=20))
