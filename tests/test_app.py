"""The factory, configuration, pages everyone sees, error pages and security headers."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.config import ConfigurationError, load_secret_key, normalise_database_url
from marketplace.extensions import db


def test_home_page_is_chinese_and_explains_the_pool(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "知识产权转化池" in html
    assert "开放许可" in html and "质押" in html
    assert "机构注册" in html


def test_pages_load_no_asset_from_another_host(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html


def test_security_headers_are_set_once_for_every_response(client):
    for path in ("/", "/login", "/no-such-page"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_404_is_html_for_pages_and_json_for_the_api(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404
    assert api.is_json and api.get_json()["error"]["status"] == 404


def test_500_rolls_back_and_shows_a_page(app):
    fresh = create_app(dict(app.config))

    @fresh.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    @fresh.get("/api/v1/__boom")
    def api_boom():
        raise RuntimeError("boom")

    fresh.logger.disabled = True
    client = fresh.test_client()
    response = client.get("/__boom")
    assert response.status_code == 500
    assert "服务器错误" in response.get_data(as_text=True)
    api = client.get("/api/v1/__boom")
    assert api.status_code == 500 and api.get_json()["error"]["status"] == 500
    with fresh.app_context():
        db.engine.dispose()


@pytest.fixture
def healthy(app, tmp_path, monkeypatch):
    """An index present and a worker that has just beaten."""
    from marketplace.search.index import get_index
    from marketplace.tasks.housekeeping import heartbeat

    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "index"))
    get_index().current()
    heartbeat()
    yield tmp_path / "index"
    get_index().close()


def test_healthz_reports_every_part(client, healthy):
    response = client.get("/healthz")
    answer = response.get_json()
    assert response.status_code == 200 and answer["status"] == "ok", answer
    checks = answer["checks"]
    assert checks["database"]["ok"] and checks["queue"]["ok"] and checks["queue"]["pending"] == 0
    assert checks["search"] | {"documents": 0} == {"ok": True, "present": True, "readable": True, "documents": 0,
                                                   "outbox": 0, "lag_seconds": 0.0}
    assert checks["worker"]["ok"] and checks["worker"]["last_heartbeat_seconds_ago"] < 5


def test_healthz_is_503_when_the_index_is_deleted(client, healthy):
    import shutil

    shutil.rmtree(healthy)
    response = client.get("/healthz")
    assert response.status_code == 503
    search = response.get_json()["checks"]["search"]
    assert search["ok"] is False and search["present"] is False
    assert not healthy.exists()  # the probe reports; it does not quietly create an empty index


def test_healthz_is_503_when_the_index_is_unreadable(client, healthy):
    import shutil

    from marketplace.search.index import get_index

    shutil.rmtree(get_index().current().resolve())  # the link stays, pointing at nothing
    search = client.get("/healthz").get_json()["checks"]["search"]
    assert search["ok"] is False


def test_healthz_is_503_when_the_outbox_lags(client, healthy):
    from datetime import timedelta

    from marketplace.search.models import SearchOutbox
    from marketplace.types import utcnow

    db.session.info["draining"] = True  # hold the tests' instant indexer back
    db.session.add(SearchOutbox(listing_id=1, created_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    response = client.get("/healthz")
    search = response.get_json()["checks"]["search"]
    assert response.status_code == 503 and search["outbox"] == 1 and search["lag_seconds"] >= 600
    del db.session.info["draining"]


def test_healthz_is_503_when_the_worker_heartbeat_is_stale(client, healthy, app):
    import time

    from marketplace.tasks import queue
    from marketplace.tasks.housekeeping import HEARTBEAT_KEY

    queue(app).huey.put(HEARTBEAT_KEY, time.time() - 600)
    response = client.get("/healthz")
    worker = response.get_json()["checks"]["worker"]
    assert response.status_code == 503 and worker["ok"] is False and worker["last_heartbeat_seconds_ago"] >= 600
    queue(app).huey.delete(HEARTBEAT_KEY)
    assert client.get("/healthz").get_json()["checks"]["worker"]["ok"] is False  # none at all


def test_healthz_is_503_when_the_database_is_down(app, tmp_path, monkeypatch):
    from marketplace import create_app
    from marketplace.search.index import get_index
    from marketplace.tasks.housekeeping import heartbeat

    monkeypatch.setattr(db, "session", db._make_scoped_session({}))  # the app's own session
    down = create_app(dict(app.config, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                           SEARCH_INDEX_DIR=str(tmp_path / "index")))
    with down.app_context():
        get_index().current()
        heartbeat()
        response = down.test_client().get("/healthz")
        get_index().close()
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is False and "OperationalError" in checks["database"]["error"]
    assert checks["worker"]["ok"] and checks["queue"]["ok"]


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_secret_key("production", tmp_path)
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError):
        create_app()


def test_development_secret_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key("development", tmp_path)
    second = load_secret_key("development", tmp_path)
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_configures_database_and_index(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h:5432/d")
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "idx")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_default_database_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"


def test_normalise_database_url():
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_money_and_dates_are_formatted_the_chinese_way(app):
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from marketplace.formatting import date_cn, datetime_cn, money, wan

    with app.test_request_context():
        assert money(Decimal("1234567")) == "¥1,234,567.00"
        assert money(Decimal("-5.5")) == "-¥5.50"
        assert wan(Decimal("123456789")) == "12,345.68 万元"
        assert date_cn(date(2025, 3, 25)) == "2025年3月25日"
        # Stored in UTC, shown in Asia/Shanghai (UTC+8).
        assert datetime_cn(datetime(2025, 3, 25, 20, 30, tzinfo=UTC)) == "2025-03-26 04:30"


def test_schema_matches_the_migrations(app):
    """Every model change ships with its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from marketplace.extensions import db

    with app.app_context():
        # The test's own connection: a second one would queue behind its write lock (SQLite).
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_home_page_offers_a_search_box_that_goes_to_search(client):
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-search"' in html and 'action="/search"' in html and 'name="q"' in html
