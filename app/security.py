"""Response headers, cross-site request refusal, session hygiene and the security log, for every request.

Security events (failed sign-ins, refused permissions, CSRF failures, rate limits, moderation
decisions) go to the `postil.security` logger with the account id and the client address, never
with a password, a token or a form's contents.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, abort, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

# Scripts, styles, images, fonts and fetches come from Postil itself only (default-src); no plugin,
# no <base> rewriting, no framing by other sites, forms post only to Postil. No 'unsafe-inline'.
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

security_log = logging.getLogger("postil.security")


def client_ip() -> str:
    """Return the client's address for the log ("-" outside a request)."""
    return (request.remote_addr or "-") if has_request_context() else "-"


def current_user_id() -> int | str:
    """Return the signed-in (or token-authenticated) account's id for the log, or "-"."""
    if not has_request_context():
        return "-"
    try:
        return current_user.id if current_user and current_user.is_authenticated else "-"
    except Exception:  # the user could not be loaded (the database is down): log the event anyway
        return "-"


def refuse_cross_site_writes() -> None:
    """Refuse unsafe requests a browser marks as cross-site (defence in depth beside CSRF tokens)."""
    if request.method in UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403, description="Cross-site requests that change data are refused.")


NUL_MESSAGE = "The request contains a NUL character (\\0), which Postil does not accept: remove it and try again."


def refuse_nul_characters() -> None:
    """Refuse text input holding a NUL character: nobody types one, and PostgreSQL cannot store it.

    Query strings, form fields and JSON bodies are checked; uploaded files are not (they are parsed
    and cleaned by the importers).
    """
    texts = [value for _, values in request.args.lists() for value in values]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [value for _, values in request.form.lists() for value in values]
    if any("\x00" in value for value in texts):
        abort(400, description=NUL_MESSAGE)
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        abort(400, description=NUL_MESSAGE)


def set_security_headers(response: Response) -> Response:
    """Add the security headers every response carries, including errors and static files."""
    from flask import current_app

    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Static files are the same for everyone: let browsers cache them (and skip loading the user).
    if request.endpoint != "static" and _is_authenticated():
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _is_authenticated() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # the session names a user who could not be loaded (the database is down)
        return True  # so: keep the answer out of caches


# --- Moderation decisions in the security log ------------------------------------------------------

_PENDING = "postil_security_moderation"


def _remember_moderation(_mapper, _connection, entry) -> None:
    from sqlalchemy.orm import object_session

    session = object_session(entry)
    if session is not None:
        session.info.setdefault(_PENDING, []).append(
            (entry, (entry.action, entry.moderator_id, entry.annotation_id, entry.target_user_id)))


def _log_committed_moderation(session: Session) -> None:
    # Logged after the commit, so a decision that was rolled back (the whole transaction, or the
    # savepoint of one item of a bulk decision, which leaves its entry transient) never appears as taken.
    from sqlalchemy import inspect

    for entry, (action, moderator_id, annotation_id, target_user_id) in session.info.pop(_PENDING, []):
        if inspect(entry).persistent:
            security_log.info("moderation action=%s user=%s annotation=%s target_user=%s ip=%s", action,
                              moderator_id if moderator_id is not None else "system", annotation_id or "-",
                              target_user_id or "-", client_ip())


def _forget_moderation(session: Session, *_args) -> None:
    session.info.pop(_PENDING, None)


def _listen_to_moderation_log() -> None:
    from app.models import ModerationLog

    if not event.contains(ModerationLog, "after_insert", _remember_moderation):
        event.listen(ModerationLog, "after_insert", _remember_moderation)
        event.listen(Session, "after_commit", _log_committed_moderation)
        event.listen(Session, "after_rollback", _forget_moderation)


def init_app(app: Flask) -> None:
    """Register the request hooks of this module."""
    app.before_request(refuse_cross_site_writes)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    _listen_to_moderation_log()
