"""Response headers, cross-site request refusal and session hygiene applied to every request."""
from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_cross_site_writes() -> None:
    """Refuse unsafe requests a browser marks as cross-site (defence in depth beside CSRF tokens)."""
    if request.method in UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403, description="Cross-site requests that change data are refused.")


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
    if _is_authenticated():
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _is_authenticated() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # outside a request with a user loader (static files before login set-up)
        return False


def init_app(app: Flask) -> None:
    """Register the request hooks of this module."""
    app.before_request(refuse_cross_site_writes)
    app.after_request(set_security_headers)
