"""The search page and saved searches. Thin: parse, search, render."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..extensions import db
from . import bp, operations
from .facets import FACETS_BY_NAME
from .models import SavedSearch
from .params import SORTS, parse
from .queries import search

SORT_LABELS = {"relevance": "相关度", "newest": "最新发布", "price_asc": "价格从低到高", "price_desc": "价格从高到低"}


@bp.get("/search")
def page():
    params = parse(request.args, strict=False)
    result = search(params, current_user)
    if result.total and params.page > result.pages:  # past the end: show the last page
        return redirect(url_for("search.page", **params.to_args(page=result.pages)))
    # The page's listings themselves (one query), so terms read the same as on the listing page.
    from ..listings.models import Listing

    ids = [hit.id for hit in result.hits]
    listings = {listing.id: listing for listing in
                db.session.scalars(db.select(Listing).where(Listing.id.in_(ids)))} if ids else {}
    return render_template("search/page.html", params=params, result=result, listings=listings,
                           sorts=[(s, _(SORT_LABELS[s])) for s in SORTS], facets_by_name=FACETS_BY_NAME)


@bp.post("/search/saved")
@login_required
def save():
    params = parse(MultiDict(request.form), strict=False)
    operations.save_search(current_user, params, request.form.get("name", ""))
    flash(_("已保存搜索。有新的匹配挂牌时，每天最多通知您一次。"), "success")
    return redirect(url_for("search.page", **params.to_args()))


@bp.get("/search/saved")
@login_required
def saved_list():
    saved = db.session.scalars(db.select(SavedSearch).where(SavedSearch.user_id == current_user.id)
                               .order_by(SavedSearch.created_at.desc())).all()
    return render_template("search/saved.html", saved=saved)


@bp.post("/search/saved/<int:saved_id>/delete")
@login_required
def delete_saved(saved_id: int):
    saved = db.get_or_404(SavedSearch, saved_id)
    if not saved.is_owned_by(current_user):
        abort(404)
    operations.delete_saved_search(saved, current_user)
    flash(_("已删除保存的搜索。"), "success")
    return redirect(url_for("search.saved_list"))
