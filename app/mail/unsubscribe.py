"""One-click unsubscribe links: signed with the app's secret key (itsdangerous), expiring, per event type.

A link names an account and a scope (an event type, or "daily"/"weekly" for a digest); following it
and confirming, or a mail client's RFC 8058 one-click POST, stops that email and nothing else. The
link is the proof: it needs no session, and anyone without the secret key can neither forge one
nor change what an old one names.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "postil.unsubscribe"


class InvalidLink(Exception):
    """The link was altered, signed with another key, or has expired; `expired` tells which."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid link names."""

    user_id: int
    scope: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user_id: int, scope: str) -> str:
    """Return the signed token for stopping `scope` email to `user_id`."""
    return _serializer().dumps({"u": user_id, "s": scope})


def link(user_id: int, scope: str) -> str:
    """Return the absolute unsubscribe URL (built from POSTIL_BASE_URL)."""
    return url_for("notifications.unsubscribe", token=make_token(user_id, scope), _external=True)


def read_token(token: str) -> Unsubscribe:
    """Return what a token names; raise InvalidLink when it is forged, altered or expired."""
    max_age = int(current_app.config["UNSUBSCRIBE_MAX_AGE_DAYS"]) * 86400
    try:
        data = _serializer().loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise InvalidLink("This unsubscribe link has expired. Change what Postil emails you on your notification "
                          "settings page, or use the link in a more recent email.", expired=True) from None
    except BadSignature:
        raise InvalidLink("This unsubscribe link is not valid: it may have been cut or changed. Use the whole "
                          "link from the email, or change your settings after signing in.") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        raise InvalidLink("This unsubscribe link is not valid.")
    return Unsubscribe(user_id=data["u"], scope=data["s"])
