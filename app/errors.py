"""Error pages for browsers and JSON errors for the API; never a stack trace to a client."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

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


def wants_json() -> bool:
    """Tell whether the client should get a JSON error (the API) rather than a page."""
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(status: int, message: str, code: str | None = None, headers: dict | None = None):
    """Build the error response for the current request, JSON for the API and HTML otherwise."""
    if wants_json():
        response = jsonify({"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message}})
    else:
        response = render_template("errors/error.html", status=status,
                                   title=TITLES.get(status, "Error"), message=message)
    response = response if not isinstance(response, str) else _html(response)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _html(body: str):
    from flask import make_response

    return make_response(body)


def _handle_http(exc: HTTPException):
    db.session.rollback()
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
    db.session.rollback()
    log.warning("csrf refused path=%s ip=%s reason=%s", request.path, request.remote_addr, exc.description)
    return error_response(400, f"The form's security token is missing or expired ({exc.description}). "
                               "Reload the page and try again; nothing was changed.", code="csrf_failed")


def _handle_unexpected(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Something went wrong on our side. Nothing you wrote was saved by this request; "
                               "please try again.")


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
