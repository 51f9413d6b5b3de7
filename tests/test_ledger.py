"""The ledger: appended in the change's transaction, chained, and verifiable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry, LedgerIsAppendOnly
from marketplace.ledger.operations import append, compute_hash, verify_chain


@pytest.fixture
def entries(app):
    with app.test_request_context():
        made = [append(event="created", subject_type="deal", subject_id=i, deal_kind="transfer",
                       to_status="proposed", amount=Decimal("1000.50") * i) for i in range(1, 6)]
        db.session.commit()
        yield made


def test_entries_chain_and_verify(entries):
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == "0" * 64
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.entry_hash
        assert compute_hash(entry) == entry.entry_hash
    result = verify_chain()
    assert result.ok and result.checked == 5


def test_editing_a_row_in_the_database_breaks_the_chain_at_that_entry(entries):
    db.session.execute(text("UPDATE ledger_entry SET amount = 999999 WHERE seq = 3"))
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3 and result.checked == 2


def test_deleting_a_row_breaks_the_chain(entries):
    db.session.execute(text("DELETE FROM ledger_entry WHERE seq = 2"))
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2


def test_deleting_the_last_row_is_noticed_through_the_head(entries):
    db.session.execute(text("DELETE FROM ledger_entry WHERE seq = 5"))
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and "head" in result.problem


def test_rewriting_a_row_and_its_hash_breaks_the_next_link(entries):
    entry = entries[2]
    db.session.execute(text("UPDATE ledger_entry SET to_status = 'completed' WHERE seq = 3"))
    db.session.expire_all()
    forged = db.session.get(LedgerEntry, entry.id)
    new_hash = compute_hash(forged)
    db.session.execute(text("UPDATE ledger_entry SET entry_hash = :h WHERE seq = 3"), {"h": new_hash})
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and result.broken_seq == 4


def test_the_application_cannot_update_or_delete_entries(entries):
    entry = db.session.get(LedgerEntry, entries[0].id)
    entry.amount = Decimal("1")
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = db.session.get(LedgerEntry, entries[0].id)
    db.session.delete(entry)
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_ledger_verify_command(app, entries):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and "5 entries checked" in ok.output
    db.session.execute(text("UPDATE ledger_entry SET deal_kind = 'licence' WHERE seq = 4"))
    db.session.expire_all()
    broken = runner.invoke(args=["ledger", "verify"])
    assert broken.exit_code == 1 and "#4" in broken.output


def test_empty_ledger_verifies(app):
    assert verify_chain().ok and verify_chain().checked == 0
