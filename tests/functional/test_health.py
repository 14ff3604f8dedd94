"""GET /healthz: what a load balancer sees when the database answers and when it does not."""
from __future__ import annotations

import socket

import pytest


def test_health_check_answers_ok_without_signing_in_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_without_database():
    """An app whose database URL points at a port where nothing listens."""
    from app import create_app
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://postil@127.0.0.1:{_closed_port()}/postil"

    return create_app(Config)


def test_health_check_answers_503_when_the_database_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    assert response.headers["Cache-Control"] == "no-store"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no infrastructure detail for the public


def test_health_check_recovers_once_the_database_answers_again(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.extensions import db

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        engine = db.engine
    monkeypatch.setattr(engine, "connect", refuse)
    monkeypatch.setattr(engine.pool, "connect", refuse)
    assert client.get("/healthz").status_code == 503
    monkeypatch.undo()
    assert client.get("/healthz").status_code == 200
