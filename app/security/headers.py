"""Response headers and request refusals that every request goes through.

The Content-Security-Policy forbids inline script and style: scripts and styles live in app/static/.
"""
from __future__ import annotations

import ipaddress

from flask import Response, abort, current_app, request
from flask_login import current_user

from app.security.audit import security_log
from config import HOW_TO_SET_SECRET_KEY

# Scripts, styles, images, fonts and fetches come from Postil itself only (default-src); no plugin,
# no <base> rewriting, no framing by other sites, forms post only to Postil. No 'unsafe-inline'.
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers that are the same for everyone (static files, the stylesheet generated from the kinds'
# table): browsers may cache them even for a signed-in user, and they need not load the user.
SHARED_ENDPOINTS = frozenset({"static", "main.kind_styles"})


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


# A request relayed by a proxy carries one of these: it comes from another computer.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
DEFAULT_KEY_REFUSAL = ("This Postil server still uses the public development secret key, so it only answers "
                       "requests from its own computer. Its administrator must set SECRET_KEY (and "
                       "POSTIL_ENV=production) before others can use it.")


def _is_loopback(host: str | None) -> bool:
    """Tell whether `host` (an address or a Host header's name, without the port) is this computer."""
    host = (host or "").strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _host_name(header: str) -> str:
    if header.startswith("["):  # [::1]:5000
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def refuse_remote_clients_with_the_default_key() -> None:
    """Serve only this computer while SECRET_KEY is the public development default (503 for anyone else).

    Anyone who knows the default key (it is in the source) can forge a session cookie. A request counts
    as local when it comes from a loopback address, names a loopback host, and was not relayed by a proxy.
    """
    if not is_local(request.remote_addr, request.host, {name.lower() for name in request.headers.keys()}):
        security_log.error("refused a request from another computer: the default SECRET_KEY is in use ip=%s; %s",
                           request.remote_addr or "-", HOW_TO_SET_SECRET_KEY)
        abort(503, description=DEFAULT_KEY_REFUSAL)


def security_headers(config) -> list[tuple[str, str]]:
    """Return the security headers every response carries under `config` (the app's configuration)."""
    headers = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
               ("Cross-Origin-Opener-Policy", "same-origin"),
               ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")]
    if config.get("HSTS"):
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


def is_local(remote_addr: str | None, host: str, header_names: set[str]) -> bool:
    """Tell whether a request comes from this computer: a loopback address and host, relayed by no proxy.

    `header_names` are the request's header names in lower case.
    """
    return (_is_loopback(remote_addr) and _is_loopback(_host_name(host))
            and not any(name.lower() in header_names for name in FORWARDING_HEADERS))


def set_security_headers(response: Response) -> Response:
    """Add the security headers every response carries, including errors and static files."""
    for name, value in security_headers(current_app.config):
        response.headers[name] = value
    if request.endpoint not in SHARED_ENDPOINTS and _is_authenticated():
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _is_authenticated() -> bool:
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # the session names a user who could not be loaded (the database is down)
        return True  # so: keep the answer out of caches


