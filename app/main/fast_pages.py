"""The anonymous article page straight from the page cache, before Flask handles the request.

An anonymous reader of a cached page should cost little more than the bytes: this WSGI middleware
answers `GET /articles/<slug>` (no query string, no session or remember-me cookie) when this
worker's page cache holds the page under the article's current key, with the very headers the
view sends (the security headers, the coding's strong ETag, `Vary`, `Cache-Control`) and 304 to a
matching `If-None-Match`. Anything else (a miss, a signed-in or flashed session, a query string,
an unknown or unpublished article, a request the default secret key refuses) goes to the app,
which renders, checks and caches.

The current key is read as the view reads it (app.services.articles.page_key): every change a
reader could see alters it, so a cached page is never served once anything on it was hidden,
removed or unpublished. On SQLite, `PRAGMA data_version` on the worker's own connection first says
whether anything at all was committed since the key was last read; when nothing was, the query is
skipped. That connection reads only, outside any transaction.
"""
from __future__ import annotations

import os
import re
import threading
from urllib.parse import unquote

from flask_login import COOKIE_NAME
from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import StaticPool
from werkzeug.http import parse_etags

from app.security.headers import is_local, security_headers
from app.services.articles import page_key
from app.services.shared_pages import page_cache
from app.text.compression import IDENTITY, choose
from config import DEFAULT_SECRET_KEY

_ARTICLE_PATH = re.compile(r"/articles/([^/]+)")


class CachedArticlePages:
    """WSGI middleware serving cached anonymous article pages; see the module's docstring."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.cookie_names = (app.config["SESSION_COOKIE_NAME"] + "=",
                             app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) + "=")
        self.default_key = app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
        self.headers = security_headers(app.config)
        self.local = threading.local()
        self.url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.sqlite = self.url.get_backend_name() == "sqlite" and self.url.database not in (None, "", ":memory:")
        self.engine = None

    def __call__(self, environ, start_response):
        try:
            answer = self._answer(environ)
        except Exception:  # the database is down, or anything unforeseen: the app answers, and says why
            answer = None
        if answer is None:
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
        cookies = environ.get("HTTP_COOKIE", "")
        if any(name in cookies for name in self.cookie_names):
            return None
        if self.default_key and not is_local(environ.get("REMOTE_ADDR"), environ.get("HTTP_HOST", ""),
                                             {k[5:].replace("_", "-").lower() for k in environ if
                                              k.startswith("HTTP_")}):
            return None
        key = self._current_key(unquote(match.group(1)) if "%" in match.group(1) else match.group(1))
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

    def _current_key(self, slug: str):
        """Return the article's page key, read again only when the database may have changed since."""
        if not self.sqlite:
            if self.engine is None:
                with self.app.app_context():
                    from app.extensions import db

                    self.engine = db.engine
            with self.engine.connect() as connection:
                return page_key(slug, connection)
        local = self.local
        inode = os.stat(self.url.database).st_ino
        if getattr(local, "inode", None) != inode:
            # A connection of its own, without the app's BEGIN IMMEDIATE: it only ever reads. Opened
            # again if the file was replaced, whose changes the old connection would never see.
            if getattr(local, "connection", None) is not None:
                local.connection.close()
            engine = create_engine(self.url, poolclass=StaticPool, connect_args={"check_same_thread": False})
            local.connection, local.known, local.inode = engine.connect(), {}, inode
        connection = local.connection
        version = connection.exec_driver_sql("PRAGMA data_version").scalar()
        known = local.known.get(slug)
        if known is not None and known[1] == version:
            return known[0]
        key = page_key(slug, connection)
        connection.rollback()
        local.known[slug] = (key, version)
        return key
