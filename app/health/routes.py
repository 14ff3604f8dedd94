"""GET /healthz: 200 when the database answers, 503 otherwise; no authentication, never cached."""
from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.health import bp

log = logging.getLogger("postil.health")


@bp.route("/healthz")
def healthz():
    """Answer {"status": "ok"} when `SELECT 1` succeeds, 503 {"status": "unavailable"} when it fails."""
    try:
        db.session.execute(text("SELECT 1"))
        body, status = {"status": "ok"}, 200
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The reason goes to the log only (a public probe must not describe the infrastructure), on one
        # line without a traceback: probes repeat every few seconds for as long as an outage lasts.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        log.error("health check failed: the database does not answer (%s: %s)", exc.__class__.__name__, reason)
        body, status = {"status": "unavailable", "reason": "The database does not answer."}, 503
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
