"""Browser tests: Playwright drives Debian's Chromium, headless, against a live server.

The live server has its own SQLite database with CSRF protection on, as in production.
Screenshots of failing tests are kept under test-artifacts/."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db

from ..conftest import Factory, reset_database, run_tasks_at_once, test_config

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=zh-CN",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
        pytest.skip("Chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    config = test_config(tmp_path_factory, url, WTF_CSRF_ENABLED=True)
    app = create_app(config)
    run_tasks_at_once(app)  # the web's queued tasks run in the request that queued them

    @app.before_request
    def worker_is_never_late():
        # Factories commit outside requests; production's worker indexes that within a second.
        from marketplace.search.indexer import drain_all, pending

        if pending():
            drain_all(blocking=True)

    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    server = LiveServer(live_app)
    server.start()
    yield server
    server.stop()


_live_seeds = itertools.count(101)


@pytest.fixture
def live_make(live_app):
    """Factories writing (and committing) into the live server's database."""
    # A fresh seed per test: the live database lives for the whole session, and a repeated seed
    # would repeat USCCs (unique) across journeys.
    # Inside a GET request context: the test thread's transactions begin deferred, as a page's do,
    # so one left open by a lazy load while the browser clicks never holds the writers' turn
    # (marketplace/sqlite.py) that the live server's POST is waiting for.
    with live_app.test_request_context("/", method="GET"):
        yield Factory(rng_seed=next(_live_seeds))


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def screenshot(page, name: str) -> Path:
    """Keep a screenshot of a step as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def sign_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
