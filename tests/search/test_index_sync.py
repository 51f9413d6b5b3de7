"""The index follows the database: every listing change goes through the outbox; reindex equals
incremental; two drainers never lose or duplicate a document; a crashed drain loses nothing."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.listings.models import ListingKind
from marketplace.listings.operations import (
    ListingInput,
    expire_listings,
    update_listing,
    withdraw_listing,
)
from marketplace.patents.models import LegalStatus
from marketplace.search import indexer
from marketplace.search.index import get_index
from marketplace.search.models import SearchOutbox
from marketplace.search.params import SearchParams
from marketplace.search.queries import search


def indexed_ids() -> set[int]:
    index = get_index()
    with index.reading() as (searcher, _cache):
        return {int(fields["id"]) for fields in searcher.all_stored_fields()}


def find(q: str, user=None) -> list[int]:
    return [hit.id for hit in search(SearchParams(q=q), user).hits]


def outbox_ids() -> list[int]:
    return list(db.session.scalars(select(SearchOutbox.listing_id)))


def test_publish_edit_withdraw_are_searchable_at_once(make, holder):
    patent = make.patent(holder.organization, title="一种光伏组件清洗机器人", ipc_codes=["H02S40/10"])
    db.session.info["draining"] = True  # the instant worker waits: see what the commit wrote
    draft = make.listing(holder, [patent], kind=ListingKind.transfer, publish=False, title="光伏清洗机器人转让")
    assert set(outbox_ids()) == {draft.id}  # written in the same transaction as the listing
    del db.session.info["draining"]
    assert find("光伏") == []  # drafts are not searchable
    from marketplace.listings.operations import publish_listing

    publish_listing(draft, holder)
    db.session.commit()
    assert find("光伏") == [draft.id]

    update_listing(draft, holder, ListingInput(kind=ListingKind.transfer, title="智能除尘机器人转让",
                                               patent_ids=[patent.id], asking_price="500000"))
    db.session.commit()
    assert find("除尘") == [draft.id]
    assert find("光伏清洗机器人转让") == [draft.id]  # the patent title is still indexed

    withdraw_listing(draft, holder)
    db.session.commit()
    assert find("除尘") == [] and draft.id not in indexed_ids()
    assert outbox_ids() == []


def test_patent_changes_reach_the_listing_document(make, holder):
    patent = make.patent(holder.organization, title="一种数据压缩方法")
    listing = make.listing(holder, [patent])
    assert find("量子") == []
    patent.abstract = "利用量子随机数生成密钥。"
    db.session.commit()
    assert find("量子") == [listing.id]


def test_expired_listings_leave_the_index(make, holder):
    patent = make.patent(holder.organization, title="一种水稻育秧盘")
    listing = make.listing(holder, [patent])
    assert find("育秧") == [listing.id]
    patent.legal_status = LegalStatus.lapsed
    expire_listings(date.today())
    db.session.commit()
    assert find("育秧") == []


@pytest.mark.parametrize("parallel", [False, True], ids=["one-process", "two-processes"])
def test_reindex_equals_incremental(make, holder, monkeypatch, parallel):
    monkeypatch.setattr(indexer, "PARALLEL_FROM", 1 if parallel else 10**9)
    listings = [make.listing(holder, [make.patent(holder.organization, title=f"一种储能电池管理方法{n}")])
                for n in range(4)]
    withdraw_listing(listings[0], holder)
    db.session.commit()
    indexer.drain_all()
    incremental = indexed_ids()
    hits_before = [(h.id, h.title, h.kind, h.ipc) for h in search(SearchParams(q="储能电池"), None).hits]
    old_generation = get_index().current()
    assert indexer.reindex() == 3
    assert get_index().current() != old_generation and not old_generation.exists()
    assert indexed_ids() == incremental == {listing.id for listing in listings[1:]}
    hits_after = [(h.id, h.title, h.kind, h.ipc) for h in search(SearchParams(q="储能电池"), None).hits]
    assert sorted(hits_after) == sorted(hits_before)


def test_a_busy_writer_makes_the_web_drain_leave_its_rows(make, holder, paused_worker):
    listing = make.listing(holder, publish=True)
    index = get_index()
    with index.write_lock() as held:
        assert held
        result = indexer.drain(blocking=False)
        assert result.locked and result.rows == 0
    assert set(outbox_ids()) == {listing.id}
    assert indexer.drain(blocking=False).indexed == [listing.id]
    assert outbox_ids() == []


def test_a_drain_that_dies_before_the_index_commit_loses_nothing(make, holder, paused_worker, monkeypatch):
    listing = make.listing(holder)
    index = get_index()

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(type(index), "apply", crash)
    with pytest.raises(RuntimeError):
        indexer.drain()
    db.session.rollback()
    monkeypatch.undo()
    assert set(outbox_ids()) == {listing.id}
    indexer.drain()
    assert indexed_ids() == {listing.id}


def test_a_drain_that_dies_after_the_index_commit_indexes_again_without_duplicates(make, holder, paused_worker, monkeypatch):
    listing = make.listing(holder)
    original_commit = db.session.commit

    def crash_on_commit():
        raise RuntimeError("killed between the index commit and the database commit")

    monkeypatch.setattr(db.session, "commit", crash_on_commit)
    with pytest.raises(RuntimeError):
        indexer.drain()
    monkeypatch.setattr(db.session, "commit", original_commit)
    db.session.rollback()
    assert set(outbox_ids()) == {listing.id}  # the delete was not committed
    indexer.drain()
    with get_index().reading() as (searcher, _cache):
        assert searcher.doc_count() == 1


def test_two_drainers_at_once_lose_and_duplicate_nothing(app, tmp_path, monkeypatch):
    """Real threads on a real (committed) database: both drain in small batches at the same time."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.models import OrgKind

    from ..conftest import Factory

    config = dict(app.config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'two.db'}",
                  SEARCH_INDEX_DIR=str(tmp_path / "two_index"))
    other = create_app(config)
    # Real sessions on the other database (the test's transaction session would share one connection).
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    with other.app_context():
        upgrade()
    with other.test_request_context():
        make = Factory(rng_seed=3)
        user = make.user(kind=OrgKind.university)
        ids = {make.listing(user, [make.patent(user.organization, title=f"一种并发测试方法{n}")]).id
               for n in range(24)}
        db.session.remove()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(blocking: bool):
        try:
            with other.app_context():
                barrier.wait()
                for _ in range(30):
                    indexer.drain(batch=3, blocking=blocking)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(flag,)) for flag in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with other.app_context():
        assert indexer.pending() == 0
        with get_index().reading() as (searcher, _cache):
            stored = [int(fields["id"]) for fields in searcher.all_stored_fields()]
        db.session.remove()
        db.engine.dispose()
    assert sorted(stored) == sorted(ids)  # each exactly once


def test_a_request_that_changed_a_listing_queues_the_indexer(app, make, holder, as_user, paused_worker):
    """The web queues `search.index` when a request committed outbox rows (huey runs it at once here)."""
    from marketplace.listings.models import ListingStatus

    listing = make.listing(holder)
    assert indexed_ids() == set() and set(outbox_ids()) == {listing.id}  # created, then published
    response = as_user(holder).get("/search?q=x")  # a request that wrote nothing queues nothing
    assert response.status_code == 200 and set(outbox_ids()) == {listing.id}
    response = as_user(holder).post(f"/listings/{listing.id}/withdraw")
    assert response.status_code in (302, 303)
    assert db.session.get(type(listing), listing.id).status == ListingStatus.withdrawn
    assert outbox_ids() == []  # the queued task drained everything, the first change included
    assert indexed_ids() == set()  # withdrawn: out of the index


def test_the_indexer_task_drains_the_whole_outbox(app, make, holder, paused_worker):
    from marketplace.search.tasks import index_outbox

    ids = {make.listing(holder).id for _ in range(3)}
    index_outbox.delay()
    assert indexed_ids() == ids and outbox_ids() == []


def test_index_and_reindex_commands(runner, make, holder):
    listing = make.listing(holder)
    result = runner.invoke(args=["search", "index"])
    assert result.exit_code == 0 and "0 pending" in result.output
    assert indexed_ids() == {listing.id}
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "1 listing(s) indexed" in result.output


def test_the_demo_step_adds_demands_and_builds_the_index(app, ctx):
    from marketplace.demands.models import Demand
    from marketplace.demo import run_demo

    run_demo(seed=5)
    assert db.session.scalar(select(func.count()).select_from(Demand)) >= 6
    assert get_index().current().exists()
