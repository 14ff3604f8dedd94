"""The security log: who did what from where, for sign-ins, refusals and moderation decisions.

Security events (failed sign-ins, refused permissions, CSRF failures, rate limits, moderation
decisions) go to the `postil.security` logger with the account id and the client address, never
with a password, a token or a form's contents.
"""
from __future__ import annotations

import logging

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from app.models import ModerationLog

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


# --- Moderation decisions in the security log ------------------------------------------------------

_PENDING = "postil_security_moderation"


def _remember_moderation(_mapper, _connection, entry) -> None:
    session = object_session(entry)
    if session is not None:
        session.info.setdefault(_PENDING, []).append(
            (entry, (entry.action, entry.moderator_id, entry.annotation_id, entry.target_user_id)))


def _log_committed_moderation(session: Session) -> None:
    # Logged after the commit, so a decision that was rolled back (the whole transaction, or the
    # savepoint of one item of a bulk decision, which leaves its entry transient) never appears as taken.
    for entry, (action, moderator_id, annotation_id, target_user_id) in session.info.pop(_PENDING, []):
        if inspect(entry).persistent:
            security_log.info("moderation action=%s user=%s annotation=%s target_user=%s ip=%s", action,
                              moderator_id if moderator_id is not None else "system", annotation_id or "-",
                              target_user_id or "-", client_ip())


def _forget_moderation(session: Session, *_args) -> None:
    session.info.pop(_PENDING, None)


def listen_to_moderation_log() -> None:
    """Log every committed moderation decision (once per process, whatever the number of apps)."""
    if not event.contains(ModerationLog, "after_insert", _remember_moderation):
        event.listen(ModerationLog, "after_insert", _remember_moderation)
        event.listen(Session, "after_commit", _log_committed_moderation)
        event.listen(Session, "after_rollback", _forget_moderation)
