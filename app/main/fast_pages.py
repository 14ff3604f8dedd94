"""Article pages straight from the page cache, before Flask handles the request.

A reader of a cached page should cost little more than the bytes. This WSGI middleware answers
`GET /articles/<slug>` (no query string) in two cases:

- Anonymous (no session or remember-me cookie): when this worker's page cache holds the page under
  the article's current key, with the very headers the view sends (the security headers, the
  coding's strong ETag, `Vary`, `Cache-Control`) and 304 to a matching `If-None-Match`.
- Signed in, asking for gzip: when the page cache holds the finished page Flask last sent this very
  session (the same cookies, address and browser), and its fingerprint (the page key and the
  reader's own rows, one statement) still matches the database (app.services.reader_pages).
  Flask's response is kept for the session only when the view said it may be (the unfiltered
  public layer, nothing of the reader's own unseen by others) and it set no cookie.

Anything else (a miss, a flashed session, a query string, an unknown or unpublished article, a
request the default secret key refuses) goes to the app, which renders, checks and caches.

The current key is read as the view reads it (app.services.articles.page_key): every change a
reader could see alters it, so a cached page is never served once anything on it was hidden,
removed or unpublished. On SQLite, `PRAGMA data_version` on the worker's own connection first says
whether anything at all was committed since the key (or a reader's fingerprint) was last read; when
nothing was, the query is skipped. That connection reads only, outside any transaction. On
PostgreSQL each thread listens for the slugs of changed articles, which the database sends as their
transactions commit (migration 0015), and reads an article's key again only once it was named (or
this process committed anything); the current snapshot says whether a reader's fingerprint may have
changed. An anonymous reader may so be answered from the key of a moment before a change made on
another worker, for as long as the notice takes to arrive (well under a millisecond on one
machine): as if the request had come that moment earlier.
"""
from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from urllib.parse import unquote

from flask_login import COOKIE_NAME
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from werkzeug.http import parse_etags

from app.models.base import utcnow
from app.security.headers import is_local, security_headers
from app.services.articles import page_key
from app.services.reader_pages import ENVIRON_KEY, Fingerprint
from app.services.shared_pages import page_cache
from app.text.compression import GZIP, IDENTITY, choose
from config import DEFAULT_SECRET_KEY

_ARTICLE_PATH = re.compile(r"/articles/([^/]+)")
# PostgreSQL's channel for the slugs of changed articles (migration 0015), and how long a worker
# whose listening connection failed reads every key before it listens again.
ARTICLE_CHANNEL = "postil_articles"
LISTEN_RETRY_SECONDS = 5.0
# Commits made by this process (any engine): each makes its threads read the page keys again, so
# that a change made here is seen here at once, before the database's notice of it arrives.
_commits = [0]


def _count_commit(_connection) -> None:
    _commits[0] += 1


if not event.contains(Engine, "commit", _count_commit):
    event.listen(Engine, "commit", _count_commit)
# Where a signed-in request that missed leaves its cache key and database state, for keeping Flask's answer.
_TO_KEEP = "postil.reader_page.slot"
# What, besides the cookies, Flask reads of a request for a signed-in page (session protection
# compares the address and browser; the default key checks the host).
_SAME_SESSION = ("HTTP_COOKIE", "HTTP_USER_AGENT", "REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_HOST")


class CachedArticlePages:
    """WSGI middleware serving cached article pages; see the module's docstring."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.session_cookie = app.config["SESSION_COOKIE_NAME"] + "="
        self.cookie_names = (self.session_cookie, app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) + "=")
        self.default_key = app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
        self.headers = security_headers(app.config)
        self.local = threading.local()
        self.url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.sqlite = self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:")
        self.engine = None
        self.snapshots = True

    def __call__(self, environ, start_response):
        try:
            answer = self._answer(environ)
        except Exception:  # the database is down, or anything unforeseen: the app answers, and says why
            answer = None
        if answer is None:
            if _TO_KEEP in environ:
                return self._keeping(environ, start_response)
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _answer(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        match = _ARTICLE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or "\x00" in match.group(1):
            return None
        if self.default_key and not is_local(environ.get("REMOTE_ADDR"), environ.get("HTTP_HOST", ""),
                                             {k[5:].replace("_", "-").lower() for k in environ if
                                              k.startswith("HTTP_")}):
            return None
        slug = unquote(match.group(1)) if "%" in match.group(1) else match.group(1)
        cookies = environ.get("HTTP_COOKIE", "")
        if any(name in cookies for name in self.cookie_names):
            return self._reader_answer(environ, slug, cookies)
        key = self._current_key(slug)
        page = page_cache.get(("page", key, 1)) if key is not None else None
        if page is None:
            return None
        coding = choose(environ.get("HTTP_ACCEPT_ENCODING"))
        etag = page.etag(coding)
        # Cookie: a signed-in reader of the same URL gets another page (Flask says so when the view reads the session).
        headers = [*self.headers, ("Vary", "Accept-Encoding, Cookie"), ("ETag", f'"{etag}"'),
                   ("Cache-Control", "no-cache")]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(etag):
            return "304 NOT MODIFIED", headers, b""
        body = page.body(coding)
        headers += [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        if coding != IDENTITY:
            headers.append(("Content-Encoding", coding))
        return "200 OK", headers, body

    def _reader_answer(self, environ, slug: str, cookies: str):
        """Answer with the page kept for this session if it still holds; else note where Flask's answer goes."""
        if self.session_cookie not in cookies or choose(environ.get("HTTP_ACCEPT_ENCODING"), (GZIP,)) != GZIP:
            return None  # a remember-me cookie alone: Flask signs the reader in again, and sets the session's cookie
        cache_key = ("reader-page", slug, *(environ.get(name, "") for name in _SAME_SESSION))
        seen = self._database_seen()  # before anything is read: what is committed later is checked next time
        environ[_TO_KEEP] = (cache_key, seen)
        kept = page_cache.get(cache_key)
        if kept is None or not kept.holds(utcnow()):
            return None
        if seen is None or kept.checked != seen:
            with self._reading() as connection:
                fingerprint = Fingerprint.read(connection, kept.check)
            if fingerprint.rows != kept.fingerprint.rows:
                return None
            kept.checked = seen
        return kept.status, kept.headers, kept.body

    def _keeping(self, environ, start_response):
        """Let the app answer; keep its answer for the session when the view said it may be kept."""
        cache_key, seen = environ[_TO_KEEP]
        answer = {}

        def remember(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        kept = environ.get(ENVIRON_KEY)
        headers = answer.get("headers") or []
        names = {name.lower(): value for name, value in headers}
        if (kept is None or not answer.get("status", "").startswith("200 ") or "set-cookie" in names
                or names.get("content-encoding") != GZIP):
            page_cache.discard(cache_key)
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        kept.status, kept.headers, kept.body, kept.checked = answer["status"], list(headers), data, seen
        page_cache.put(cache_key, kept)
        return [data]

    def _keys_still_current(self) -> dict | None:
        """On PostgreSQL, return the page keys this thread read that no commit has changed since; None if unknown.

        This thread listens on `postil_articles`, where the database sends an article's slug as each
        transaction changing its row commits (migration 0015), and forgets the keys of the articles
        named since. Commits of this very process are known at once: any of them forgets every key.
        Without the listening connection (it failed, or the database is down) every view reads the
        key, and listening is tried again after LISTEN_RETRY_SECONDS.
        """
        from psycopg.pq import ConnStatus  # PostgreSQL only: SQLite's workers never load the driver (25 MB)

        local = self.local
        listener = getattr(local, "listener", None)
        if listener is None:
            if time.monotonic() < getattr(local, "listen_again_at", 0.0):
                return None
            local.keys, local.commits = {}, _commits[0]
            try:
                # Listening first: a change committed from here on is heard of, after the key is read or before.
                listener = local.listener = self._listen()
            except Exception:
                local.listen_again_at = time.monotonic() + LISTEN_RETRY_SECONDS
                raise
        try:
            pgconn = listener.pgconn
            pgconn.consume_input()
            while (notice := pgconn.notifies()) is not None:
                local.keys.pop(notice.extra.decode(), None)
            if pgconn.status != ConnStatus.OK:
                raise ConnectionError("the connection listening for article changes was lost")
        except Exception:
            local.listener = None
            local.listen_again_at = time.monotonic() + LISTEN_RETRY_SECONDS
            listener.close()
            raise
        if local.commits != _commits[0]:
            local.keys.clear()
            local.commits = _commits[0]
        return local.keys

    def _listen(self):
        import psycopg

        options = self.app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        connection = psycopg.connect(self.url.set(drivername="postgresql").render_as_string(hide_password=False),
                                     autocommit=True, **options.get("connect_args", {}))
        connection.execute(f"LISTEN {ARTICLE_CHANNEL}")
        return connection

    def _database_seen(self):
        """Return what changes whenever anything is committed: a marker to compare with a later one, or None.

        On SQLite, this thread's connection and its `PRAGMA data_version`. On PostgreSQL, the
        current snapshot (`xmin:xmax:in-progress ids`): any transaction that writes takes an id,
        and once it ends, commits or not, a later snapshot differs, whichever connection takes it.
        """
        if self.sqlite:
            connection = self._sqlite_connection()
            return self.local.token, connection.exec_driver_sql("PRAGMA data_version").scalar()
        if not self.snapshots:
            return None
        with self._reading() as connection:
            try:
                return "snapshot", connection.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar()
            except DBAPIError:
                self.snapshots = False  # a server before PostgreSQL 13: every request checks
                raise

    @contextmanager
    def _reading(self):
        """Lend a connection for reading: this thread's own on SQLite, an autocommit one from a pool elsewhere.

        Not the app's pool: without a transaction, or a ping before each use, a query is one round trip.
        """
        if self.sqlite:
            connection = self._sqlite_connection()
            try:
                yield connection
            finally:
                connection.rollback()
            return
        if self.engine is None:
            options = self.app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
            self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT",
                                        connect_args=options.get("connect_args", {}))
        with self.engine.connect() as connection:
            yield connection

    def _sqlite_connection(self):
        local = self.local
        inode = os.stat(self.url.database).st_ino
        if getattr(local, "inode", None) != inode:
            # A connection of its own, without the app's BEGIN IMMEDIATE: it only ever reads. Opened
            # again if the file was replaced, whose changes the old connection would never see.
            if getattr(local, "connection", None) is not None:
                local.connection.close()
            engine = create_engine(self.url, poolclass=StaticPool, connect_args={"check_same_thread": False})
            local.connection, local.known, local.inode, local.token = engine.connect(), {}, inode, object()
        return local.connection

    def _current_key(self, slug: str):
        """Return the article's page key, read again only when the database may have changed since."""
        if not self.sqlite:
            known = self._keys_still_current()
            if known is not None and slug in known:
                return known[slug]
            with self._reading() as connection:
                key = page_key(slug, connection)
            if known is not None:
                known[slug] = key
            return key
        connection = self._sqlite_connection()
        local = self.local
        version = connection.exec_driver_sql("PRAGMA data_version").scalar()
        known = local.known.get(slug)
        if known is not None and known[1] == version:
            return known[0]
        key = page_key(slug, connection)
        connection.rollback()
        local.known[slug] = (key, version)
        return key
