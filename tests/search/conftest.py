"""Search tests: each test gets its own empty index directory (the database is rolled back, the
index would not be)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_index(app, tmp_path):
    from marketplace.search.index import get_index

    previous = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "search_index")
    yield tmp_path / "search_index"
    with app.app_context():
        get_index(app.config["SEARCH_INDEX_DIR"]).close()
    app.config["SEARCH_INDEX_DIR"] = previous


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def holder(make, ctx):
    return make.user(kind="university")


@pytest.fixture
def paused_worker():
    """The test session's instant indexer (tests/conftest.py WorkerSession) held back: the outbox
    keeps its rows until the test drains them itself."""
    from marketplace.extensions import db

    db.session.info["draining"] = True
    yield
    db.session.info.pop("draining", None)
