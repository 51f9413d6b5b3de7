"""Deal pages. Another organisation's deal is a 404, never a 403 that confirms it exists."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..ledger.models import LedgerEntry
from . import bp
from .models import Deal


def load_deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id)
    if deal is None or not deal.can_view(current_user):
        abort(404)
    return deal


@bp.get("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    deal = load_deal(deal_id)
    entries = db.session.scalars(
        db.select(LedgerEntry).where(LedgerEntry.subject_type == deal.ledger_subject_type,
                                     LedgerEntry.subject_id == deal.id).order_by(LedgerEntry.seq)
    ).all()
    return render_template("deals/detail.html", deal=deal, entries=entries,
                           steps=deal.available_steps(current_user))
