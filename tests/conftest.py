"""Shared fixtures: one app per test session on a real database, cleaned after every test.

The database is a real SQLite file (or the PostgreSQL named by TEST_DATABASE_URL), built by the
Alembic migrations exactly as `flask db upgrade` builds it. Tests that touch the database use the
`clean_db` fixture (autouse in the functional, service and browser folders), which empties every
table afterwards, so each test starts from an empty schema whatever the code under test committed.
"""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests import factories

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return per_worker_postgres(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'postil-test.sqlite3'}"


def per_worker_postgres(url: str) -> str:
    """Give each pytest-xdist worker its own PostgreSQL database next to the one named in `url`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres_schema() -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application under test, with its schema built by the migrations."""
    from flask_migrate import upgrade

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(tmp_path_factory)

    application = create_app(Config)
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            _reset_postgres_schema()
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def empty_all_tables() -> None:
    """Delete every row of every table (children first)."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                # Rows pointing at rows of the same table (replies) are unlinked first.
                self_refs = [fk.parent.name for fk in table.foreign_keys
                             if fk.column.table is table and fk.parent.nullable]
                if self_refs:
                    conn.execute(text(f'UPDATE "{table.name}" SET ' + ", ".join(f'"{c}" = NULL' for c in self_refs)))
                conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def clean_db(app):
    """Give the test an empty database and empty it again afterwards."""
    yield
    with app.app_context():
        empty_all_tables()


@pytest.fixture
def another_app(app):
    """Build extra apps on the session's database (`another_app(**settings)`, or a base config first).

    The extensions (the rate limiter above all) are single objects that every app binds at creation,
    so each extra app reconfigures them; afterwards the limiter is emptied and put back as the
    session's app expects (disabled), whatever the test did.
    """
    from app.extensions import limiter

    saved = (limiter.enabled, limiter.initialized)
    built = []

    def build(base: type = TestingConfig, **settings):
        config = type("AnotherConfig", (base,), {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                                 **settings})
        built.append(create_app(config))
        return built[-1]

    yield build
    if any(other.config.get("RATELIMIT_ENABLED") for other in built):
        limiter.reset()
    limiter.enabled, limiter.initialized = saved
    for other in built:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client (real HTTP semantics through Werkzeug, cookies kept)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make(app, clean_db):
    """Factories that create rows in their own app context and return plain values."""
    return factories.Factory(app)


def csrf_from(html: str) -> str:
    """Extract the CSRF token from a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/sign-in") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def sign_in(self, email: str, password: str = factories.PASSWORD, remember: bool = False, next: str = ""):
        data = {"email": email, "password": password, "csrf_token": self.csrf(), "next": next}
        if remember:
            data["remember"] = "y"
        return self.client.post("/sign-in", data=data)

    def sign_out(self):
        return self.client.post("/sign-out", data={"csrf_token": self.csrf("/")})

    def confirm_email(self, app, email: str):
        """Follow the latest confirmation link emailed to `email` (read from the outbox) and confirm it."""
        link = confirmation_link(app, email)
        page = self.client.get(link).get_data(as_text=True)
        return self.client.post(link, data={"csrf_token": csrf_from(page)})


def account_emails(app, email: str) -> list[str]:
    """Return the texts of the account emails queued for `email`, oldest first."""
    from sqlalchemy import func, select

    from app.models import OutboxMessage, User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.category == "account", OutboxMessage.user_id == user_id).order_by(OutboxMessage.id))
        return [row.payload["text"] for row in rows]


def confirmation_link(app, email: str) -> str:
    """Return the path of the latest confirmation link queued for `email`."""
    texts = [t for t in account_emails(app, email) if "/confirm-email/" in t]
    assert texts, f"no confirmation email for {email}"
    return "/confirm-email/" + texts[-1].split("/confirm-email/", 1)[1].split()[0]


@pytest.fixture
def auth(client):
    """Sign-in helper bound to `client`."""
    return AuthActions(client)


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 for this test, with the app's MAIL_SERVER pointing at it."""
    from tests.mail import SmtpServer

    server = SmtpServer()
    server.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield server
    server.stop()


def send_outbox(app, **kwargs):
    """Run one pass of the sender (what `flask notifications send --once` does); return its report."""
    from app.mail import worker

    with app.app_context():
        return worker.run_once(**kwargs)
