"""Fingerprinted static files: `url_for('static', ...)` names the file's content, so browsers keep it a year.

Every static URL carries `v=`, a digest of the file's bytes; an answer to a URL whose `v` is the
file's current digest may be cached for a year without revalidation (`immutable`), since a changed
file gets a new URL. A URL with a stale or missing `v` is served as before (revalidated each time),
so a page cached with an older URL still gets a correct file.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Response, current_app, request

from app.main import bp

ONE_YEAR = 365 * 24 * 3600


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def fingerprint(folder: str, filename: str) -> str | None:
    """Return the digest of `filename` under `folder` (recomputed when the file changes), or None if absent."""
    path = os.path.join(folder, filename)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@bp.app_url_defaults
def add_fingerprint(endpoint: str, values: dict) -> None:
    """Add the file's digest to every static URL built with url_for."""
    if endpoint == "static" and "filename" in values and "v" not in values and current_app.static_folder:
        digest = fingerprint(current_app.static_folder, values["filename"])
        if digest:
            values["v"] = digest


@bp.after_app_request
def cache_fingerprinted_files(response: Response) -> Response:
    """Let browsers keep a static file a year when its URL names its current content."""
    if request.endpoint == "static" and response.status_code == 200 and request.args.get("v"):
        filename = (request.view_args or {}).get("filename", "")
        if request.args["v"] == fingerprint(current_app.static_folder, filename):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
    return response
