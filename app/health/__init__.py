"""Liveness and readiness probe for load balancers and monitoring: GET /healthz."""
from flask import Blueprint

from app.extensions import limiter

bp = Blueprint("health", __name__)
# Probes arrive every few seconds from the same addresses; a rate limit must never mark the site down.
limiter.exempt(bp)

from app.health import routes  # noqa: E402,F401
