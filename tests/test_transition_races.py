"""Simultaneous requests, for real: any number of identical steps make one transition, one ledger
entry and one notification, and the others a clean 409; agree against cancel ends in one state and
tells only what happened; wrong passwords tried at the same moment are all counted.

Each case runs real threads, each with its own test client (and so its own database connection),
released together by a barrier, against a database outside the rolled-back test transaction: a
SQLite file of its own (WAL, BEGIN IMMEDIATE), and PostgreSQL when TEST_DATABASE_URL names one
(that database's name + "2")."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from marketplace import create_app
from marketplace.accounts.models import LoginThrottle, User
from marketplace.deals import operations as ops
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.operations import verify_chain
from marketplace.listings.models import ListingKind
from marketplace.notify.models import Notification

from . import conftest
from .conftest import PASSWORD, Factory, login, reset_database

CLICKS = 10


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_app(request, tmp_path_factory):
    """An app on a database of its own that the threads commit to (the name `own_app` keeps the
    rolled-back test transaction away). No throttling in the way of ten wrong passwords."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('races') / 'races.db'}"
    else:
        url = conftest.side_postgres_url()
        if url is None:
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    app = create_app(conftest.test_config(tmp_path_factory, url, LOGIN_SLOW_AFTER=1000, LOGIN_LOCK_AFTER=1000))
    reset_database(app)
    yield app
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


def race(app, posts: list[tuple[int | None, str, dict]]) -> list[tuple[int, str]]:
    """Send every (user id or None, url, form) at the same moment; the answers in the same order."""
    clients = []
    with app.app_context():
        for user_id, _url, _data in posts:
            client = app.test_client()
            if user_id is not None:
                login(client, db.session.get(User, user_id))
            clients.append(client)
        db.session.remove()
    barrier = threading.Barrier(len(posts))
    answers: dict[int, tuple[int, str]] = {}
    errors: list[BaseException] = []

    def post(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = clients[n].post(posts[n][1], data=posts[n][2])
            answers[n] = (response.status_code, response.get_data(as_text=True))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(answers) == len(posts), errors
    return [answers[n] for n in range(len(posts))]


def _negotiated_transfer(app, seed: int, *, agreed: bool = False):
    """A transfer offered by the buyer and countered by the holder: the buyer may agree or cancel."""
    with app.app_context(), app.test_request_context():
        make = Factory(rng_seed=seed)
        holder = make.user(kind="university")
        buyer = make.user(kind="enterprise", is_sme=True)
        listing = make.listing(holder, kind=ListingKind.transfer)
        deal = ops.propose_deal(listing, buyer, amount="500000")
        ops.counter_offer(deal, holder, amount="600000")
        if agreed:
            ops.agree(deal, buyer)
        db.session.commit()
        ids = deal.id, holder.id, buyer.id, f"deal:{deal.id}:{deal.version}"
        db.session.remove()
    return ids


def _counts(app, deal_id: int) -> tuple[int, int, str]:
    """Ledger entries and notifications written for the deal, and its status."""
    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.subject_type == "deal", LedgerEntry.subject_id == deal_id))
        notes = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.text.contains(f"交易 #{deal_id}（")))
        status = db.session.get(Deal, deal_id).status.value
        assert verify_chain().ok
        db.session.remove()
    return entries, notes, status


def test_simultaneous_identical_steps_make_one_transition(own_app, caplog):
    deal_id, holder_id, _buyer_id, _seen = _negotiated_transfer(own_app, 11, agreed=True)
    entries, notes, _ = _counts(own_app, deal_id)

    answers = race(own_app, [(holder_id, f"/deals/{deal_id}/steps/completed", {})] * CLICKS)

    codes = sorted(code for code, _ in answers)
    assert codes == [302] + [409] * (CLICKS - 1), codes
    refused = [body for code, body in answers if code == 409]
    assert all("本次操作未执行" in body or "当前状态下不能执行" in body for body in refused)
    after_entries, after_notes, status = _counts(own_app, deal_id)
    assert status == "completed"
    assert after_entries - entries == 1  # one ledger entry
    assert after_notes - notes == 1  # the buyer (one user) told once
    assert "database is locked" not in caplog.text


def test_agree_against_cancel_ends_in_one_state_and_tells_only_what_happened(own_app, caplog):
    deal_id, holder_id, buyer_id, seen = _negotiated_transfer(own_app, 12)
    entries, notes, _ = _counts(own_app, deal_id)
    half = CLICKS // 2

    # Each form carries the version its page showed, as the deal page's forms do.
    answers = race(own_app, [(buyer_id, f"/deals/{deal_id}/steps/agreed", {"seen": seen})] * half
                   + [(holder_id, f"/deals/{deal_id}/steps/cancelled",
                       {"seen": seen, "cancelled-reason": "改变计划"})] * half)

    assert sorted(code for code, _ in answers) == [302] + [409] * (CLICKS - 1), [c for c, _ in answers]
    after_entries, after_notes, status = _counts(own_app, deal_id)
    assert status in ("agreed", "cancelled")
    assert after_entries - entries == 1
    assert after_notes - notes == 1
    with own_app.app_context():
        told = db.session.scalars(select(Notification).where(Notification.text.contains(f"交易 #{deal_id}（"))
                                  .order_by(Notification.id.desc())).first()
        recipient = db.session.get(User, told.user_id)
        # The one notification names the step that happened, and goes to the other side of it.
        if status == "agreed":
            assert "已达成一致" in told.text and recipient.id == holder_id
        else:
            assert "已取消" in told.text and recipient.id == buyer_id
        db.session.remove()
    assert "database is locked" not in caplog.text


def test_wrong_passwords_tried_at_once_are_all_counted(own_app):
    with own_app.app_context():
        user = Factory(rng_seed=13).user()
        email = user.email
        db.session.remove()

    answers = race(own_app, [(None, "/login", {"email": email, "password": "wrong-Horse-42"})] * CLICKS)

    assert all(code < 500 for code, _ in answers)
    assert all("邮箱或密码不正确" in body for _, body in answers)  # each one tried, none throttled
    with own_app.app_context():
        failures = db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == f"email:{email}"))
        assert failures == CLICKS
        by_address = db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key.like("ip:%")))
        assert by_address is not None and by_address >= CLICKS
        db.session.remove()
    # The right password still signs in, and clears the account's count.
    client = own_app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    with own_app.app_context():
        assert db.session.get(LoginThrottle, f"email:{email}") is None
        db.session.remove()


def test_sqlite_runs_in_wal_with_a_busy_timeout(own_app):
    with own_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_writers_that_read_first_wait_their_turn(own_app, caplog):
    """The classic "database is locked": a transaction that reads, then writes, after another
    writer committed in between. A request that may write begins with the write lock (BEGIN
    IMMEDIATE) and waits for it; a page (GET) reads without blocking anyone."""
    with own_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        user_id = Factory(rng_seed=14).user().id
        db.session.remove()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def read_then_write(n: int) -> None:
        try:
            with own_app.test_request_context("/notifications/read", method="POST"):
                barrier.wait(timeout=30)
                seen = db.session.scalar(select(func.count()).select_from(Notification))
                time.sleep(0.02)  # others commit meanwhile
                db.session.add(Notification(user_id=user_id, text=f"写入 {n}（此前 {seen} 条）", link=""))
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    with own_app.test_request_context("/notifications/", method="GET"):
        reader_started = time.monotonic()
        db.session.scalar(select(func.count()).select_from(Notification))
        reading_took = time.monotonic() - reader_started
        db.session.remove()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with own_app.app_context():
        counts = db.session.scalars(select(Notification.text).where(Notification.user_id == user_id)).all()
        db.session.remove()
    assert len(counts) == 8
    # Each writer saw every write committed before it: the counts it read are all different.
    assert len({text.split("此前 ")[1] for text in counts}) == 8
    assert reading_took < 1.0
    assert "database is locked" not in caplog.text.lower()



def test_sqlite_writers_queue_in_arrival_order_and_every_ending_lets_go(own_app):
    """The writer queue: a turn ends with the transaction, however it ends (commit, rollback,
    the session handed back without either), and waiting writers are served first come first."""
    from marketplace.sqlite import _TurnLock, writer_queue

    with own_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        queue = writer_queue(db.engine.url.database)
        user_id = Factory(rng_seed=15).user().id
        db.session.remove()
    for ending in ("commit", "rollback", "remove"):
        with own_app.test_request_context("/notifications/read", method="POST"):
            db.session.add(Notification(user_id=user_id, text=ending, link=""))
            db.session.flush()
            assert queue.turn._held  # noqa: SLF001 - the turn is taken from BEGIN on
            getattr(db.session, ending)()
            assert not queue.turn._held, ending  # noqa: SLF001
            db.session.remove()

    turn, served = _TurnLock(), []
    assert turn.acquire(timeout=1)
    waiters = []
    for n in range(5):
        waiter = threading.Thread(target=lambda n=n: (turn.acquire(timeout=30), served.append(n), turn.release()))
        waiter.start()
        waiters.append(waiter)
        time.sleep(0.05)  # arrive in order
    turn.release()
    for waiter in waiters:
        waiter.join(timeout=30)
    assert served == [0, 1, 2, 3, 4]
    assert turn.acquire(timeout=0)  # free again
