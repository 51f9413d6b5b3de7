"""Listing pages. Routes stay thin: load (404), check permission, call the operation, render."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from ..extensions import db
from . import bp
from .models import Listing


def load_listing(listing_id: int, *, for_edit: bool = False) -> Listing:
    """The one load-and-check helper: a listing the user may not see is a 404, not a 403."""
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    if for_edit and not listing.can_edit(current_user):
        abort(403)
    return listing


@bp.get("/listings/<int:listing_id>")
def detail(listing_id: int):
    listing = load_listing(listing_id)
    return render_template("listings/detail.html", listing=listing)
