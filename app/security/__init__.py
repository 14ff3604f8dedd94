"""Security: response headers, permissions by name, object loaders, passwords and the security log.

- `headers`: the headers every response carries and the requests refused before any view runs;
- `bodies`: the request class that holds every body to its size limit, chunked or not;
- `permissions`: the `Permission` names, who holds them, and the view decorator that checks them;
- `loaders`: one `get_<thing>_or_404` per object type, loading it for the person asking;
- `passwords`: the password policy and hashing;
- `audit`: the `postil.security` logger.
"""
from __future__ import annotations

from flask import Flask

from app.security import audit, bodies, headers
from app.security.audit import client_ip, current_user_id, security_log
from config import DEFAULT_SECRET_KEY, HOW_TO_SET_SECRET_KEY

__all__ = ["client_ip", "current_user_id", "init_app", "security_log"]


def init_app(app: Flask) -> None:
    """Register the request hooks that every request goes through, and the moderation audit log."""
    if app.config.get("SECRET_KEY") == DEFAULT_SECRET_KEY:
        security_log.warning("SECRET_KEY is the public development default: Postil answers requests from this "
                             "computer only. To serve others, %s.", HOW_TO_SET_SECRET_KEY)
        # First of the hooks: nothing else runs for a request that must not be served.
        app.before_request_funcs.setdefault(None, []).insert(0, headers.refuse_remote_clients_with_the_default_key)
    app.before_request(headers.refuse_cross_site_writes)
    app.before_request(headers.refuse_nul_characters)
    app.after_request(headers.set_security_headers)
    app.after_request(bodies.read_refused_body_after_answering)
    audit.listen_to_moderation_log()
