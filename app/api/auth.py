"""Who is calling the API: a personal token (`Authorization: Bearer`) or the browser session.

A request that sends an Authorization header is judged by that header alone: a bad or revoked
token is refused with 401 even when a session cookie comes along, so a client never acts as
someone it did not mean to be. A session-authenticated request that changes data must prove it
comes from a Postil page with the CSRF token in an `X-CSRFToken` header; a token call needs no
CSRF token because browsers never attach it by themselves.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.api.errors import ApiError, api_abort
from app.database.engine import side_write
from app.extensions import login_manager
from app.models import User

# The permissions module's own list of what suspension withdraws, rather than a second copy of it.
from app.security.permissions import WRITE_PERMISSIONS, Permission, can, suspension_message
from app.services import tokens

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_MIMETYPES = frozenset({"application/json", "application/ld+json"})
DEFAULT_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
WWW_AUTHENTICATE = 'Bearer realm="Postil API"'


def _bearer_secret(header: str) -> str | None:
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def _identify() -> None:
    header = request.headers.get("Authorization")
    g.api_by_token = header is not None
    g.api_token = None
    if header is None:
        g.api_user = current_user._get_current_object() if current_user.is_authenticated else None
        return
    secret = _bearer_secret(header)
    token = tokens.authenticate(secret) if secret else None
    g.api_token = token
    g.api_user = token.user if token is not None else None
    # Flask-Login's current_user must name the same person (or nobody) for the rest of the request;
    # setting it here, rather than with login_user, leaves the session cookie untouched.
    g._login_user = g.api_user if g.api_user is not None else login_manager.anonymous_user()


def current_api_user() -> User | None:
    """Return the user authenticated by the Bearer token or, without an Authorization header, the session."""
    if "api_user" not in g:
        _identify()
    return g.api_user


def authenticated_by_token() -> bool:
    """Tell whether this request carries an Authorization header (and is judged by it alone)."""
    if "api_user" not in g:
        _identify()
    return g.api_by_token


def rate_limit_key() -> str:
    """Key rate limits by account when the caller is known, else by address."""
    user = current_api_user()
    return f"user:{user.id}" if user is not None else get_remote_address()


def _require_valid_csrf_header() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    names = current_app.config.get("WTF_CSRF_HEADERS") or DEFAULT_CSRF_HEADERS
    sent = next((request.headers[name] for name in names if request.headers.get(name)), None)
    try:
        validate_csrf(sent)
    except ValidationError as exc:
        reason = str(exc).rstrip(".")
        api_abort(400, f"The request's CSRF token is missing or invalid ({reason}). Send the token of the page in "
                       "an X-CSRFToken header, or use an API token; nothing was changed.", "csrf_failed")


def _limit_body_size() -> None:
    limit = current_app.config.get("API_MAX_CONTENT_LENGTH")
    if not limit:
        return
    # The request class already holds every body under /api/ to this limit (chunked ones too);
    # a declared length is refused here with the figures.
    if request.content_length and request.content_length > limit:
        api_abort(413, f"The request body is too large: {request.content_length:,} bytes, {limit:,} at most.")


def require_json_content_type() -> None:
    """Answer 415 unless the request declares a JSON body (application/json or application/ld+json)."""
    if request.mimetype not in JSON_MIMETYPES:
        api_abort(415, "Send the request body as JSON with a Content-Type of application/json or "
                       "application/ld+json.")


def _bodies_are_json() -> None:
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")
    if request.method in ("POST", "PUT", "PATCH") and has_body:
        require_json_content_type()


def check_request() -> None:
    """Authenticate the caller and apply the API's CSRF and content-type rules (a before_request hook)."""
    user = current_api_user()
    if authenticated_by_token():
        if user is None:
            raise ApiError(401, "The API token is unknown, revoked or malformed. Send `Authorization: Bearer "
                                "<token>` with a token from your profile page.", "invalid_token",
                           headers={"WWW-Authenticate": WWW_AUTHENTICATE + ', error="invalid_token"'})
        if tokens.use_is_unrecorded(g.api_token):
            token_id = g.api_token.id
            # Bookkeeping, committed on its own so it is kept even if the request fails; a side write
            # leaves the request's own transaction to take SQLite's write lock up front as usual.
            with side_write():
                tokens.record_use(token_id)
    elif user is not None and request.method in UNSAFE_METHODS:
        _require_valid_csrf_header()
    _limit_body_size()
    _bodies_are_json()


def _refuse_anonymous() -> None:
    raise ApiError(401, "Sign in, or send an API token (Authorization: Bearer <token>), to do this.",
                   headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def api_signed_in(view: Callable) -> Callable:
    """Decorate an API view that any signed-in caller may use (suspended ones too): 401 JSON when anonymous."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_api_user() is None:
            _refuse_anonymous()
        return view(*args, **kwargs)

    return wrapped


def api_permission(permission: Permission) -> Callable:
    """Decorate an API view: 401 JSON when anonymous, 403 JSON without `permission` (suspension explained)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_api_user()
            if user is None:
                _refuse_anonymous()
            if not can(user, permission):
                if permission in WRITE_PERMISSIONS and user.is_suspended:
                    api_abort(403, suspension_message(user))
                api_abort(403, "You do not have permission to do this.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
