"""Errors raised by services, carrying a message meant for the user."""
from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the change; nothing was written. `field` names the input at fault, if any."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(ServiceError):
    """The object changed since the caller last saw it, or already exists."""

    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    """The user may not do this to this object."""

    status = 403
    code = "forbidden"


class BadRequest(ServiceError):
    """The request names something that does not exist or cannot be used here; nothing was written."""

    status = 400
    code = "bad_request"
