"""Request bodies: the size limits, in force from the first byte anyone reads.

Hooks that run for every request (the NUL-character check, CSRF, form parsing) may read the body
before a view's own code runs, so a limit set in a view or a blueprint hook is too late; and a
chunked body has no Content-Length to check up front. The request class therefore knows both
limits (MAX_CONTENT_LENGTH, and the API's smaller API_MAX_CONTENT_LENGTH for paths under /api/),
and a body without a Content-Length is read through a stream that answers 413 as soon as it
goes past the limit. (Werkzeug's own stream stops at the limit and hands over the truncated
body when it is read in one go, which turned an oversized body into "not valid JSON" at best.)
"""
from __future__ import annotations

from typing import IO

from flask import Request, current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

API_PREFIX = "/api/"


class _BodyWithoutLength(LimitedStream):
    """A body the server terminates (chunked), read up to `limit` bytes: a byte more is a 413, never a cut."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._source.read(1):
            raise RequestEntityTooLarge()
        return data


class PostilRequest(Request):
    """Flask's request with the API's body limit and a chunked body held to its limit."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.path.startswith(API_PREFIX):
            return current_app.config.get("API_MAX_CONTENT_LENGTH") or current_app.config["MAX_CONTENT_LENGTH"]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, limited to max_content_length whether or not it declares its length."""
        limit = self.max_content_length
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ:
            return _BodyWithoutLength(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)
