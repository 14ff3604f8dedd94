"""Request bodies: the size limits, in force from the first byte anyone reads.

Hooks that run for every request (the NUL-character check, CSRF, form parsing) may read the body
before a view's own code runs, so a limit set in a view or a blueprint hook is too late; and a
chunked body has no Content-Length to check up front. The request class therefore knows both
limits (MAX_CONTENT_LENGTH, and the API's smaller API_MAX_CONTENT_LENGTH for paths under /api/),
and a body without a Content-Length is read through a stream that answers 413 as soon as it
goes past the limit. (Werkzeug's own stream stops at the limit and hands over the truncated
body when it is read in one go, which turned an oversized body into "not valid JSON" at best.)

A refused body is still read to its end, after the 413 is sent and up to MAX_CONTENT_LENGTH:
a server that closes a connection with unread bytes in it makes the kernel reset it, and a
client still sending then sees a broken connection instead of the answer naming the limit.
"""
from __future__ import annotations

from typing import IO

from flask import Request, Response, current_app, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

API_PREFIX = "/api/"
# How long a refused body's sender may pause before the connection is dropped.
DISCARD_SECONDS = 10


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


def read_refused_body_after_answering(response: Response) -> Response:
    """After a 413, discard the rest of the body once the answer is sent (bodies up to MAX_CONTENT_LENGTH).

    Only what is left is read: from the request's own stream when something read part of it, or
    up to the declared length; a chunked body up to its end, which the server marks. A body
    without either has nothing to read (and reading would wait on a kept-alive connection).
    """
    if response.status_code != 413:
        return response
    most, declared = current_app.config["MAX_CONTENT_LENGTH"], request.content_length
    source = request.environ.get("wsgi.input")
    if source is None or (declared or 0) > most:
        return response  # far too large to be worth reading: the connection is dropped
    if declared is not None:
        rest = request.__dict__.get("stream") or LimitedStream(source, declared)
    elif "wsgi.input_terminated" in request.environ:
        rest = LimitedStream(source, most)
    else:
        return response

    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        sock.settimeout(DISCARD_SECONDS)  # a client that stops sending holds the worker no longer

    def discard() -> None:
        try:
            while rest.read(64 * 1024):
                pass
        except (OSError, ValueError, ClientDisconnected):
            return  # the client went away: nobody is left to answer

    response.call_on_close(discard)
    return response
