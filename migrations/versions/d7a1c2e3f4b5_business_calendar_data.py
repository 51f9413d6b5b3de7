"""business calendar: pledges end on release, one 29 February rule for expiry, licence 备案 deadlines

Data only. Pledge encumbrances no longer carry the loan's maturity as their end date (a pledge
stands until it is released). Patents filed on 29 February get their expiry by the one rule
(the anniversary is 28 February in a common year; the term ends the day before). Licence
contracts already completed get their 3-month 备案 deadline from the day the ledger says they
took effect (细则 §15).

Revision ID: d7a1c2e3f4b5
Revises: d7c1e2f3a4b5
Create Date: 2026-12-02 06:00:00

"""
import calendar
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a1c2e3f4b5'
down_revision = 'd7c1e2f3a4b5'
branch_labels = None
depends_on = None

DESIGN_RULE_CHANGE = date(2021, 6, 1)


def _add_months(day, months):
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _term_years(patent_type, filed):
    if patent_type == "invention":
        return 20
    if patent_type == "utility":
        return 10
    return 15 if filed >= DESIGN_RULE_CHANGE else 10


def _as_date(value):
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def upgrade():
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE encumbrance SET ends_on = NULL WHERE kind = 'pledge'"))

    rows = bind.execute(sa.text("SELECT id, patent_type, app_date, expires_on FROM patent WHERE app_date IS NOT NULL"))
    for patent_id, patent_type, app_date, expires_on in rows.fetchall():
        filed = _as_date(app_date)
        if (filed.month, filed.day) != (2, 29):
            continue
        expiry = _add_months(filed, 12 * _term_years(patent_type, filed)) - timedelta(days=1)
        if _as_date(expires_on) != expiry:
            bind.execute(sa.text("UPDATE patent SET expires_on = :expiry WHERE id = :id"),
                         {"expiry": expiry, "id": patent_id})

    completed = bind.execute(sa.text(
        "SELECT d.id, MIN(e.occurred_on) FROM deal d JOIN ledger_entry e ON e.subject_type = 'deal' "
        "AND e.subject_id = d.id AND e.to_status = 'completed' "
        "WHERE d.kind = 'licence' AND d.status = 'completed' AND d.recordation_due IS NULL GROUP BY d.id"))
    for deal_id, effective_on in completed.fetchall():
        bind.execute(sa.text("UPDATE deal SET recordation_due = :due WHERE id = :id"),
                     {"due": _add_months(_as_date(effective_on), 3), "id": deal_id})


def downgrade():
    # The data this revision corrected cannot be told apart from data written since; nothing to undo.
    pass
