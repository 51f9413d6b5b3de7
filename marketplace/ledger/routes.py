"""The operators' ledger page: filter by date, kind and organisation; export CSV; verify the chain."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import Organization
from ..dates import business_today
from ..exports import spreadsheet_row
from ..extensions import db
from . import bp
from .models import LedgerEntry
from .operations import verify_chain

KINDS = ("open_licence", "licence", "transfer", "equity", "pledge", "insurance")


def _require_operator() -> None:
    if not current_user.is_operator:
        abort(403)


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filtered_entries():
    """The filter from the query string: (SQL, the filter values as understood)."""
    args = request.args
    start, end = _parse_day(args.get("start")), _parse_day(args.get("end"))
    kind = args.get("kind", "")
    org_id = args.get("org", type=int)
    query = db.select(LedgerEntry)
    if start:
        query = query.where(LedgerEntry.occurred_on >= start)
    if end:
        query = query.where(LedgerEntry.occurred_on <= end)
    if kind in KINDS:
        query = query.where(LedgerEntry.deal_kind == kind)
    if org_id:
        query = query.where((LedgerEntry.actor_org_id == org_id) | (LedgerEntry.holder_org_id == org_id)
                            | (LedgerEntry.counterparty_org_id == org_id)
                            | (LedgerEntry.beneficiary_org_id == org_id))
    filters = {"start": start.isoformat() if start else "", "end": end.isoformat() if end else "",
               "kind": kind if kind in KINDS else "", "org": org_id or ""}
    return query, filters


@bp.get("/operator/ledger")
@login_required
def index():
    _require_operator()
    query, filters = filtered_entries()
    page = db.paginate(query.order_by(LedgerEntry.seq.desc()), per_page=50)
    verification = verify_chain()
    organisations = db.session.scalars(db.select(Organization).order_by(Organization.name)).all()
    names = {org.id: org.name for org in organisations}
    return render_template("ledger/index.html", page=page, filters=filters, verification=verification,
                           organisations=organisations, names=names, kinds=KINDS)


CSV_COLUMNS = ("seq", "occurred_on", "recorded_at", "event", "subject_type", "subject_id", "deal_kind",
               "from_status", "to_status", "amount", "actor_org", "holder_org", "counterparty_org",
               "beneficiary_org", "beneficiary_is_sme", "patent_ids", "details", "prev_hash", "entry_hash")


@bp.get("/operator/ledger.csv")
@login_required
def export_csv():
    _require_operator()
    query, _filters = filtered_entries()
    names = dict(db.session.execute(db.select(Organization.id, Organization.name)).all())
    out = io.StringIO()
    out.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese text correctly
    writer = csv.writer(out)
    warning = verify_chain().warning
    if warning:  # the file itself says it was made from an unverified ledger
        writer.writerow([warning])
    writer.writerow(CSV_COLUMNS)
    for entry in db.session.scalars(query.order_by(LedgerEntry.seq)):
        writer.writerow(spreadsheet_row([
            entry.seq, entry.occurred_on.isoformat(), entry.recorded_at.isoformat(), entry.event,
            entry.subject_type, entry.subject_id, entry.deal_kind, entry.from_status or "", entry.to_status,
            f"{entry.amount:.2f}" if entry.amount is not None else "",
            names.get(entry.actor_org_id, ""), names.get(entry.holder_org_id, ""),
            names.get(entry.counterparty_org_id, ""), names.get(entry.beneficiary_org_id, ""),
            "1" if entry.beneficiary_is_sme else "0", " ".join(str(p) for p in entry.patent_ids or []),
            _details(entry.details), entry.prev_hash, entry.entry_hash,
        ]))
    filename = f"ledger-{business_today().isoformat()}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _details(details: dict | None) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted((details or {}).items()))


def kind_label(kind: str) -> str:
    return {"open_licence": _("开放许可"), "licence": _("许可"), "transfer": _("转让"), "equity": _("作价入股"),
            "pledge": _("质押融资"), "insurance": _("专利保险")}.get(kind, kind)
