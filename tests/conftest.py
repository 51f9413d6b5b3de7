"""Test fixtures: one app per run, each test inside a transaction rolled back afterwards.

The database is SQLite unless TEST_DATABASE_URL names another (CI sets PostgreSQL).
The schema is built by the migrations, as in production."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from marketplace import create_app
from marketplace.accounts.models import Organization, OrgKind, OrgRole, OrgStatus, SiteRole, User
from marketplace.demo.names import make_uscc
from marketplace.extensions import db

PASSWORD = "Corr3ct-Horse-42"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def reset_database(app) -> None:
    """Start from nothing, then build the schema through the migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()


def side_postgres_url() -> str | None:
    """For tests that commit for real from several threads: a PostgreSQL database of their own
    (TEST_DATABASE_URL's name + "2", created if missing), or None when the suite runs on SQLite."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from marketplace.config import normalise_database_url

    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        return None
    url = make_url(normalise_database_url(base))
    side = url.set(database=f"{url.database}2")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": side.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{side.database}"'))
    admin.dispose()
    return side.render_as_string(hide_password=False)


def run_tasks_at_once(app) -> None:
    """huey's immediate mode: a queued task runs at once, in the caller's context and session."""
    from marketplace.tasks import queue

    queue(app).huey.immediate = True


class WorkerSession(Session):
    """The test session, with a worker that is never late: after a commit that changed listings,
    the search outbox is applied at once (production's worker does it within a second)."""

    def commit(self):
        super().commit()
        if self.info.pop("search_outbox_committed", False) and not self.info.get("draining"):
            from marketplace.search.embeddings import embed_pending
            from marketplace.search.indexer import drain_all

            self.info["draining"] = True
            try:
                changed: list[int] = []
                drain_all(blocking=True, changed=changed)
                if changed:
                    embed_pending(changed)
            finally:
                self.info.pop("draining", None)


def test_config(tmp_path_factory, url: str, **overrides) -> dict:
    base = tmp_path_factory.mktemp("instance")
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "ENV_NAME": "testing",
        "INSTANCE_DIR": str(base),
        "SEARCH_INDEX_DIR": str(base / "search_index"),
        "UPLOAD_DIR": str(base / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SITE_URL": "http://localhost",
        "SEARCH_ENCODER": "tests.support:HashingEncoder",  # the real model is tested in test_embeddings.py
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from marketplace.config import normalise_database_url

    url = normalise_database_url(database_url(tmp_path_factory))
    app = create_app(test_config(tmp_path_factory, url))
    run_tasks_at_once(app)

    def fresh_request_globals():
        # Tests keep one app context open across requests; production gets a fresh `g`.
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_request_globals)

    @app.teardown_request
    def expire_between_requests(exc):
        # Production gets a fresh session per request: reload everything after each one.
        db.session.expire_all()

    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Each test runs in a transaction that is rolled back; commits become savepoints.
    Tests with their own server or database (live_server, own_app) commit for real."""
    if {"live_server", "own_app"} & set(request.fixturenames):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, class_=WorkerSession, join_transaction_mode="create_savepoint")
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def fresh_index(app, tmp_path):
    """An empty search index of the test's own: the database is rolled back, the index would not
    be (and on PostgreSQL ids are not reused, so another test's documents would linger)."""
    from marketplace.search.index import get_index

    previous = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "search_index")
    yield tmp_path / "search_index"
    with app.app_context():
        get_index(app.config["SEARCH_INDEX_DIR"]).close()
    app.config["SEARCH_INDEX_DIR"] = previous


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories ----------------------------------------------------------------------

_counter = itertools.count(1)


class Factory:
    """Makes organisations and users; each call commits (a savepoint inside the test)."""

    def __init__(self, rng_seed: int = 7):
        import random

        self.rng = random.Random(rng_seed)

    def org(self, kind: OrgKind | str = OrgKind.enterprise, *, status=OrgStatus.verified, is_sme=False,
            name: str | None = None) -> Organization:
        kind = OrgKind(kind)
        n = next(_counter)
        org = Organization(name=name or f"测试{kind.label}{n}", kind=kind, is_sme=is_sme,
                           uscc=make_uscc(self.rng), region="福建省福州市鼓楼区", status=OrgStatus(status))
        db.session.add(org)
        db.session.commit()
        return org

    def user(self, org: Organization | None = None, *, role=OrgRole.member, operator=False,
             email: str | None = None, password: str = PASSWORD, **org_kwargs) -> User:
        if org is None:
            org = self.org(OrgKind.regulator if operator else org_kwargs.pop("kind", OrgKind.enterprise), **org_kwargs)
        n = next(_counter)
        user = User(email=email or f"user{n}@example.cn", name=f"用户{n}", organization=org,
                    org_role=OrgRole(role), site_role=SiteRole.operator if operator else SiteRole.user)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user


    def patent(self, owner: Organization, **values):
        """A granted invention (unless told otherwise) with a valid application number."""
        from datetime import date

        from marketplace.patents.models import LegalStatus, Patent, PatentType
        from marketplace.patents.numbers import check_digit

        n = next(_counter)
        body = f"2023{1 if values.get('patent_type', PatentType.invention) == PatentType.invention else 2}{n:07d}"
        defaults = {
            "app_no": f"{body}.{check_digit(body)}", "title": f"一种测试用数据处理方法{n}",
            "abstract": "本发明公开了一种数据处理方法。", "patent_type": PatentType.invention,
            "ipc_codes": ["G06F16/35"], "app_date": date(2023, 3, 1), "grant_date": date(2024, 5, 1),
            "legal_status": LegalStatus.granted, "applicants": owner.name,
        }
        defaults.update(values)
        patent = Patent(owner_id=owner.id, **defaults)
        db.session.add(patent)
        db.session.commit()
        return patent

    def listing(self, user: User, patents=None, *, publish: bool = True, **values):
        """A listing through the real operations (so every rule applies); published by default."""
        from datetime import date
        from decimal import Decimal

        from marketplace.listings.models import ListingKind, PaymentMethod
        from marketplace.listings.operations import ListingInput, create_listing, publish_listing

        patents = patents or [self.patent(user.organization)]
        kind = ListingKind(values.pop("kind", ListingKind.transfer))
        defaults = {"title": f"{kind.label}：{patents[0].title}", "patent_ids": [p.id for p in patents]}
        if kind == ListingKind.open_licence:
            defaults.update(payment_method=PaymentMethod.lump_sum, fee_amount=Decimal("50000"),
                            term_end=date(2030, 12, 31))
        elif kind == ListingKind.licence:
            defaults.update(licence_type="ordinary", asking_price=Decimal("200000"))
        elif kind == ListingKind.transfer:
            defaults.update(asking_price=Decimal("800000"))
        elif kind == ListingKind.equity:
            defaults.update(valuation=Decimal("3000000"), equity_share=Decimal("10"))
        elif kind == ListingKind.pledge:
            defaults.update(amount_wanted=Decimal("5000000"), term_months=12, purpose="研发投入")
        defaults.update(values)
        if "licence_type" in defaults and isinstance(defaults["licence_type"], str):
            from marketplace.listings.models import LicenceType

            defaults["licence_type"] = LicenceType(defaults["licence_type"])
        listing = create_listing(user, ListingInput(kind=kind, **defaults))
        if publish:
            publish_listing(listing, user)
        db.session.commit()
        return listing


@pytest.fixture
def make():
    return Factory()


def login(client, user: User) -> None:
    """Sign in without the form (the form itself is tested in test_auth)."""
    session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


@pytest.fixture
def as_user(client):
    def sign_in(user: User):
        login(client, user)
        return client

    return sign_in


@pytest.fixture
def operator(make) -> User:
    return make.user(operator=True, role=OrgRole.admin)


@pytest.fixture
def shared_patents() -> Path:
    path = SHARED_DATA / "patents.jsonl"
    if not path.exists():
        pytest.skip("../shared/data/patents.jsonl is not present")
    return path


# --- a real SMTP server ---------------------------------------------------------------------

class SMTPInbox:
    """What an aiosmtpd server received; recipients at refused.example are refused (550)."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port, stopped after the test."""
    from aiosmtpd.controller import Controller

    inbox = SMTPInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.host, inbox.port = controller.hostname, controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_to_smtp(app, smtp_server, monkeypatch):
    """The test app sends its mail to `smtp_server`."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", smtp_server.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    return smtp_server


@pytest.fixture
def production_cli(app, smtp_server, tmp_path, monkeypatch):
    """A CLI runner for an app configured as production is (from the environment: no test config,
    no server name, no request), on the test database, mailing to `smtp_server`."""
    env = {"MARKETPLACE_ENV": "production", "SECRET_KEY": "production-secret-for-tests",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_DIR": str(tmp_path / "instance"),
           "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "SITE_URL": "https://ip.example.cn",
           "MAIL_SERVER": smtp_server.host, "MAIL_PORT": str(smtp_server.port)}
    for name in ("REDIS_URL", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_DEFAULT_SENDER", "UPLOAD_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    production = create_app()
    assert production.config["ENV_NAME"] == "production"
    runner = production.test_cli_runner()
    runner.inbox = smtp_server
    # Commands run in the app context that is active (with_appcontext): make it production's.
    with production.app_context():
        yield runner
