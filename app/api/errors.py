"""API errors: one JSON shape, `{"error": {"code", "message"}}`, for aborts and service refusals.

`api_abort` raises an HTTPException carrying its own machine-readable code; the handlers
registered here on the api blueprint render it, and a ServiceError raised by a service, through
app.errors.error_response, so every API failure looks the same whatever raised it.
"""
from __future__ import annotations

from typing import NoReturn

from flask import Blueprint
from werkzeug.exceptions import HTTPException

from app.errors import ERROR_CODES, error_response
from app.extensions import db
from app.services.errors import ServiceError


class ApiError(HTTPException):
    """An HTTP error with a stable `error_code` for API clients."""

    def __init__(self, status: int, message: str, error_code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(description=message)
        self.code = status
        self.error_code = error_code or ERROR_CODES.get(status, "error")
        self.headers = headers or {}


def api_abort(status: int, message: str, code: str | None = None) -> NoReturn:
    """Stop the request with `status` and a JSON error; `code` defaults to the status's usual code."""
    raise ApiError(status, message, code)


def _render_api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.code, exc.description, exc.error_code, headers=exc.headers)


def _render_service_error(exc: ServiceError):
    # Services flush and never commit, so rolling back undoes everything the request wrote.
    db.session.rollback()
    return error_response(exc.status, exc.message, exc.code)


def init_blueprint(bp: Blueprint) -> None:
    """Register the API error handlers on `bp` (they apply to its routes and request hooks)."""
    bp.register_error_handler(ApiError, _render_api_error)
    bp.register_error_handler(ServiceError, _render_service_error)
