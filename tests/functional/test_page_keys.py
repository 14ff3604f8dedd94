"""A cached anonymous page follows its article's key: not read again while nothing changed, read again
as soon as anything did, whoever committed it (this process, another worker, another app server)."""
from __future__ import annotations

import sqlite3
import time

import psycopg
from sqlalchemy import Engine, event

from app.extensions import db
from app.main import fast_pages
from tests.functional.test_page_delivery import BROWSER, _get, cast

REPLY = "Mostly, for breast cancer."


def _elsewhere(app, *statements: tuple[str, tuple]) -> None:
    """Commit `statements` as another worker or app server would: on a connection of their own, outside the app."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        for sql, params in statements:
            connection.execute(sql, params)
        connection.execute("COMMIT")
    else:
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as connection:
            for sql, params in statements:
                connection.execute(sql.replace("?", "%s"), params)
    connection.close()


def _until(check, what: str, timeout: float = 30) -> None:
    """Wait for `check()` to hold (a change made elsewhere arrives as the database's notice); fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never {what} in {timeout} s")
        time.sleep(0.01)


def _hide_elsewhere(app, annotation_id: int) -> None:
    _elsewhere(app, ("UPDATE annotations SET status = 'hidden' WHERE id = ?", (annotation_id,)),
               ("UPDATE articles SET display_rev = display_rev + 1 WHERE id = "
                "(SELECT article_id FROM annotations WHERE id = ?)", (annotation_id,)))


def _keys_read(client, path: str) -> int:
    """Return how many times one anonymous view of `path` read an article's page key (on any engine)."""
    read: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        read.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert REPLY in _get(client, path, BROWSER)[1]
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return sum("FROM articles" in statement for statement in read)


def test_a_repeat_anonymous_view_reads_no_page_key_while_nothing_changed(app, make):
    people = cast(make)
    make.reply(people["reader"], people["question"], body=REPLY)
    client, path = app.test_client(), f"/articles/{people['slug']}"
    assert REPLY in _get(client, path, BROWSER)[1]
    # The notices of the set-up's own commits may still be on their way (each makes one more read).
    _until(lambda: _keys_read(client, path) == 0, "was a view answered without reading the key")
    assert [_keys_read(client, path) for _ in range(3)] == [0, 0, 0]


def test_a_change_committed_elsewhere_leaves_the_cached_anonymous_page(app, make):
    people = cast(make)
    reply = make.reply(people["reader"], people["question"], body=REPLY)
    client, path = app.test_client(), f"/articles/{people['slug']}"
    assert REPLY in _get(client, path, BROWSER)[1] and REPLY in _get(client, path, BROWSER)[1]
    _hide_elsewhere(app, reply)
    _until(lambda: REPLY not in _get(client, path, BROWSER)[1], "did the hidden reply leave the page")


def test_without_its_notices_a_worker_reads_the_key_every_time_until_it_listens_again(app, make, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite's data_version needs no connection of its own to be lost
    monkeypatch.setattr(fast_pages, "LISTEN_RETRY_SECONDS", 3600)
    # The app (and its listening thread) outlives this test: the next ones find it listening again.
    monkeypatch.setattr(app.wsgi_app.local, "listen_again_at", 0.0, raising=False)
    people = cast(make)
    reply = make.reply(people["reader"], people["question"], body=REPLY)
    client, path = app.test_client(), f"/articles/{people['slug']}"
    assert REPLY in _get(client, path, BROWSER)[1] and REPLY in _get(client, path, BROWSER)[1]
    _elsewhere(app, ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE query = %s AND datname = current_database()", (f"LISTEN {fast_pages.ARTICLE_CHANNEL}",)))
    _until(lambda: _get(client, path, BROWSER)[0].status_code == 200 and _listener_gone(app), "was the loss noticed")
    _hide_elsewhere(app, reply)
    assert REPLY not in _get(client, path, BROWSER)[1]  # at once: the key was read


def _listener_gone(app) -> bool:
    middleware = app.wsgi_app
    return getattr(middleware.local, "listener", None) is None
