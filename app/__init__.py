"""Postil: annotated literature commentary for clinicians."""
from __future__ import annotations

import gc
import logging
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map, MapAdapter
from werkzeug.wrappers import Request

from app.models.base import INTEGER_MAX
from app.security.bodies import PostilRequest
from config import Config, ProductionConfig, config_from_env


def digits_up_to(limit: int) -> str:
    """Return a regular expression matching the decimal numerals from 0 to `limit` (leading zeros allowed)."""
    text = str(limit)
    shorter = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    smaller_at = [f"{text[:i]}[0-{int(d) - 1}][0-9]{{{len(text) - i - 1}}}" for i, d in enumerate(text) if d != "0"]
    return "0*(?:" + "|".join([*shorter, *smaller_at, text]) + ")"


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number from 0 to INTEGER_MAX, so a larger one is a plain 404.

    Without the bound, an id beyond the database's integer range reached the query and PostgreSQL
    (and SQLite's driver, past 2**63) failed with a 500. The bound is in the rule's regular
    expression as well as in the conversion, so an oversized id matches no route at all: a 404
    for every method, not a 405 from a neighbouring rule that matched the path first.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 0, max: int | None = INTEGER_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if max is not None and not signed and not fixed_digits:
            self.regex = digits_up_to(max)


class PostilMap(Map):
    """The URL map, with ids bounded by what the database holds."""

    default_converters = Map.default_converters.copy()
    default_converters["int"] = DatabaseIntegerConverter


class Postil(Flask):
    """Flask, building absolute URLs from `BASE_URL` and holding request bodies to their limits.

    `url_for(..., _external=True)` (API IRIs, links in emails, cached JSON-LD) names the host and
    scheme of `BASE_URL` whatever `Host` or `X-Forwarded-Host` a request carries, and works outside
    requests (command-line jobs that send email) too. Routing still matches any host. Bodies are
    read under MAX_CONTENT_LENGTH, or the API's smaller limit under /api/, chunked or not
    (`app.security.bodies`).
    """

    url_map_class = PostilMap
    request_class = PostilRequest

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        base = urlsplit(self.config["BASE_URL"])
        if request is None:
            return self.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
        adapter = super().create_url_adapter(request)
        if adapter is not None:
            adapter.server_name, adapter.url_scheme = base.netloc, base.scheme
            if base.path.strip("/"):
                adapter.script_name = base.path.rstrip("/") + "/"
        return adapter


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: bind extensions, register blueprints, CLI and hooks."""
    config_class = config_class or config_from_env()
    if issubclass(config_class, ProductionConfig):
        config_class.check()

    app = Postil(__name__, instance_relative_config=False)
    app.config.from_object(config_class)
    # Templates are indented for people; the pages need not carry that whitespace.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # Imported here rather than at the top: importing any module of the package (the pure text
    # layer too) runs this file first, which should not load every blueprint and model with it.
    from app import errors, security
    from app.database import engine as database
    from app.extensions import csrf, db, limiter, login_manager, migrate

    database.prepare_sqlite_dir(app)
    database.prepare_engine_options(app)
    db.init_app(app)
    from app.models.search import include_object

    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True,
                     include_object=include_object)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        database.configure_engine(app, db.engine)

    security.init_app(app)
    errors.init_app(app)
    from app.main.fast_pages import CachedArticlePages
    from app.services.shared_pages import page_cache

    page_cache.max_bytes = app.config["PAGE_CACHE_BYTES"]
    app.wsgi_app = CachedArticlePages(app, app.wsgi_app)

    from app.services.search import index as search_index

    search_index.init_app(app)

    from app import (
        annotating,
        api,
        auth,
        authoring,
        exports,
        following,
        groups,
        health,
        main,
        moderation,
        notifications,
        people,
        search,
        studies,
    )

    for package in (main, auth, annotating, api, studies, authoring, moderation, notifications, following, people,
                    health, exports, search, groups):
        app.register_blueprint(package.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself, only for cookie-authenticated calls

    from app import cli

    cli.init_app(app)
    return app


def settle_process() -> None:
    """Keep what start-up loaded out of the garbage collector's full passes (`gc.freeze`), once the app is built.

    A worker holds some 150,000 long-lived objects after start-up (models, the URL map, templates,
    SQLAlchemy's metadata); each full collection walked them all again, and one fell due every few
    requests: about half of the time a search spent building its statements. Frozen, they are never
    walked again, and never freed, which they would not be anyway: they live as long as the worker.
    """
    gc.collect()
    gc.freeze()
