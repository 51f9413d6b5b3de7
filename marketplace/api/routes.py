"""GET /api/v1/search: the SPEC §9 shape, the same filters and rules as the search page."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from ..extensions import csrf
from ..search.params import parse
from ..search.queries import search
from . import bp


@bp.get("/search")
@csrf.exempt
def search_api():
    """?q=…&kind=…&industry=…&ipc_section=…&ipc_subclass=…&patent_type=…&holder_kind=…&price_band=…
    &sort=relevance|newest|price_asc|price_desc&page=1&per_page=20 (≤ 50).

    Unknown facet values and sorts, and bad page numbers, are a 400 with a message; a page past the
    end is an empty list with the true total."""
    params = parse(request.args, strict=True)
    result = search(params, current_user)
    return jsonify(result.as_json())
