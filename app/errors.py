"""Error pages for browsers and JSON errors for the API; never a stack trace to a client."""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.database.engine import writes_are_over
from app.database.writers import is_locked
from app.extensions import db
from app.security import client_ip, current_user_id, security_log

log = logging.getLogger("postil.errors")

ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "unprocessable_entity",
    429: "rate_limited", 500: "server_error", 503: "unavailable",
}
TITLES = {
    400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Page not found",
    405: "Method not allowed", 409: "Conflict", 413: "Too large", 415: "Unsupported content type",
    422: "Invalid input", 429: "Too many requests", 500: "Something went wrong", 503: "Unavailable",
}

# For when the usual error page cannot be rendered (its navigation reads the database).
PLAIN_ERROR_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{title} · Postil</title>'
    '<link rel="stylesheet" href="{css}"></head>\n<body><main class="narrow error-page">'
    '<h1>{title}</h1><p>{message}</p><p class="muted">Error {status}</p><p><a href="{home}">Back to the '
    "articles</a></p></main></body>\n</html>\n")
# Refusals recorded in the security log, by error code first, then by status.
SECURITY_EVENTS_BY_CODE = {"csrf_failed": "csrf refused", "invalid_token": "invalid API token"}
SECURITY_EVENTS_BY_STATUS = {403: "permission refused", 429: "rate limit exceeded"}
# PostgreSQL's answers when a lock could not be had in time, or a transaction lost to another one.
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
BUSY_RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = ("Postil is busy saving other people's changes and could not save yours in time. Nothing was "
                "saved: please try again in a few seconds.")


def wants_json() -> bool:
    """Tell whether the client should get a JSON error (the API) rather than a page."""
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(status: int, message: str, code: str | None = None, headers: dict | None = None):
    """Build the error response for the current request, JSON for the API and HTML otherwise."""
    _log_security_event(status, code)
    if wants_json():
        response = jsonify({"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message}})
    else:
        response = _html(_error_page(status, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _log_security_event(status: int, code: str | None) -> None:
    """Record refusals worth watching (CSRF, permissions, rate limits, bad tokens) in the security log."""
    event = SECURITY_EVENTS_BY_CODE.get(code) or SECURITY_EVENTS_BY_STATUS.get(status)
    if event:
        # The path only: a query string could carry something secret.
        security_log.warning("%s user=%s ip=%s method=%s path=%s", event, current_user_id(), client_ip(),
                             request.method, request.path)


def _error_page(status: int, message: str) -> str:
    title = TITLES.get(status, "Error")
    try:
        return render_template("errors/error.html", status=status, title=title, message=message)
    except Exception:  # the page's navigation needs the database, which may be what failed
        log.exception("the error page could not be rendered; answering with a plain one")
        _rollback_quietly()
        return PLAIN_ERROR_PAGE.format(title=escape(title), message=escape(message), status=status,
                                       css=url_for("static", filename="css/postil.css"), home=url_for("main.index"))


def _rollback_quietly() -> None:
    # Whatever answers the error only reads (the page's navigation): it must not wait for the write lock.
    writes_are_over()
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the request is failing anyway
        log.warning("rollback failed while answering an error", exc_info=True)


def _html(body: str):
    return make_response(body)


def _handle_http(exc: HTTPException):
    _rollback_quietly()
    status = exc.code or 500
    headers = {}
    if status == 429:
        retry = getattr(exc, "retry_after", None)
        headers["Retry-After"] = str(retry or 60)
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    message = exc.description if exc.description and status != 500 else TITLES.get(status, "Error")
    return error_response(status, message, headers=headers)


def _handle_csrf(exc: CSRFError):
    _rollback_quietly()
    reason = (exc.description or "").rstrip(".")
    return error_response(400, f"The form's security token is missing or expired ({reason}). "
                               "Reload the page and try again; nothing was changed.", code="csrf_failed")


def is_busy(exc: OperationalError) -> bool:
    """Tell whether `exc` says the database's write lock could not be had in time (not a broken database)."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.OperationalError):
        return is_locked(orig)  # "database is locked", "database table is locked"
    return getattr(orig, "sqlstate", None) in BUSY_SQLSTATES


def _handle_operational(exc: OperationalError):
    if not is_busy(exc):
        return _handle_unexpected(exc)
    _rollback_quietly()
    log.warning("write refused, the database stayed busy on %s %s: %s", request.method, request.path,
                getattr(exc, "orig", exc))
    return error_response(503, BUSY_MESSAGE, code="busy", headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


def _handle_unexpected(exc: Exception):
    _rollback_quietly()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong on our side. Nothing you wrote was saved by this request; "
                               "please try again.")


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_http)
    app.register_error_handler(OperationalError, _handle_operational)
    app.register_error_handler(Exception, _handle_unexpected)
