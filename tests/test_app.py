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


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


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
