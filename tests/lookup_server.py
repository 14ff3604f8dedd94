"""A local HTTP server replaying Crossref's and NCBI E-utilities' documented answers, for lookups in tests.

Served on 127.0.0.1 in a thread, it answers like the real services do:

- ``GET /works/{doi}``: the Crossref work of ``tests/data/lookup`` for known DOIs, ``404 Resource not
  found.`` (plain text, as Crossref sends it) otherwise; and for the special DOIs ``10.5555/busy``
  429 with ``Retry-After: 30``, ``10.5555/down`` 503, ``10.5555/garbled`` a 200 whose body is not
  JSON, and ``10.5555/slow`` an answer that comes only after ``SLOW_SECONDS``.
- ``GET /esummary.fcgi?db=pubmed|pmc&id=...&retmode=json`` and ``GET /efetch.fcgi?db=pubmed&id=...``:
  E-utilities answers; an unknown id gets the summary E-utilities gives, holding only ``error``.

Every request is recorded (path, query and headers) so tests can check the User-Agent, the contact
address and that the cache spared a second request.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "lookup"
SLOW_SECONDS = 3.0


@dataclass
class Seen:
    path: str
    query: dict
    headers: dict


@dataclass
class LookupServer:
    """The running server: its base URL and the requests it answered."""

    url: str
    requests: list[Seen] = field(default_factory=list)
    crossref: dict[str, bytes] = field(default_factory=dict)
    summaries: dict[tuple[str, str], bytes] = field(default_factory=dict)
    fetches: dict[str, bytes] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


def _answers() -> tuple[dict, dict, dict]:
    crossref = {"10.5555/fop.2019.0415": (DATA / "crossref-work.json").read_bytes(),
                "10.5555/fop.2023.ret1": (DATA / "crossref-notice.json").read_bytes()}
    summaries = {("pubmed", "39000123"): (DATA / "esummary-pubmed.json").read_bytes(),
                 ("pmc", "9900123"): (DATA / "esummary-pmc.json").read_bytes()}
    fetches = {"39000123": (DATA / "efetch-pubmed.xml").read_bytes()}
    return crossref, summaries, fetches


_EMPTY_FETCH = b'<?xml version="1.0" ?>\n<PubmedArticleSet></PubmedArticleSet>'
# DOIs that make Crossref misbehave: status, body, content type, extra headers.
_TROUBLE = {
    "10.5555/busy": (429, b"Too Many Requests", "text/plain", {"Retry-After": "30"}),
    "10.5555/down": (503, b"<html>Service Unavailable</html>", "text/html", {}),
    "10.5555/garbled": (200, b'{"status": "ok", "message": {"DOI": ', "application/json", {}),
}


class _Handler(BaseHTTPRequestHandler):
    state: LookupServer

    def log_message(self, format, *args):  # noqa: A002 - quiet tests
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout tests)

    def do_GET(self):  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.state.requests.append(Seen(parts.path, query, dict(self.headers)))
        if parts.path.startswith("/works/"):
            self._crossref(unquote(parts.path[len("/works/"):]).lower())
        elif parts.path == "/esummary.fcgi":
            self._summary(query.get("db", ""), query.get("id", ""))
        elif parts.path == "/efetch.fcgi":
            self._send(200, self.state.fetches.get(query.get("id", ""), _EMPTY_FETCH), "text/xml; charset=UTF-8")
        else:
            self._send(404, b"Not found", "text/plain")

    def _crossref(self, doi: str):
        if doi in _TROUBLE:
            self._send(*_TROUBLE[doi])
        elif doi == "10.5555/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, self.state.crossref["10.5555/fop.2019.0415"], "application/json")
        elif doi in self.state.crossref:
            self._send(200, self.state.crossref[doi], "application/json")
        else:
            self._send(404, b"Resource not found.", "text/plain")

    def _summary(self, db: str, uid: str):
        body = self.state.summaries.get((db, uid))
        if body is None:
            body = json.dumps({"header": {"type": "esummary", "version": "0.3"},
                               "result": {"uids": [uid], uid: {"uid": uid,
                                                               "error": "cannot get document summary"}}}).encode()
        self._send(200, body, "application/json; charset=UTF-8")


def start() -> tuple[LookupServer, ThreadingHTTPServer]:
    """Start the server on a free port; return it and the http.server to shut down."""
    state = LookupServer(url="")
    state.crossref, state.summaries, state.fetches = _answers()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"state": state}))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd
