"""Fifty API clients writing at once, round after round: never a 500, never "database is locked".

The failure this guards against was intermittent (3 of about 930 creations, none in an identical
run): the first use of a token in a minute commits its last-use bookkeeping on its own, and the
annotation's write then began deferred and failed without waiting when another worker committed
first. Every round here makes every token's use a first use, so each of the 900 requests is a
chance for it (300 of them with the bookkeeping): enough to catch a one-in-300 failure. A body over
the API's size limit gets its 413, chunked or not, even when the client sends it all before reading.
"""
from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from collections import Counter

import pytest

from tests.reliability.live import QUOTES, SLUG, Client

CLIENTS = 50
ROUNDS = 6
PER_CLIENT = 3


def _tokens(server, count: int) -> list[str]:
    """Give `count` accounts (the server's readers, then new ones) an API token each; return the secrets."""
    from app.extensions import db
    from app.services import accounts, tokens

    secrets = []
    with server.helper_app().app_context():
        for n in range(count):
            email = server.readers[n] if n < len(server.readers) else f"api{n}@load.example.org"
            user = accounts.find_by_email(email) or accounts.register(
                email=email, password="correct battery horse staple lamp", display_name=f"Dr API {n}")
            secrets.append(tokens.create(user, "load test")[1])
        db.session.commit()
    return secrets


def _forget_token_uses(server) -> None:
    """Make the next use of every token a first use, which records it on its own (the risky path)."""
    from app.extensions import db
    from app.models import ApiToken

    with server.helper_app().app_context():
        db.session.query(ApiToken).update({ApiToken.last_used_at: None})
        db.session.commit()


def _annotation(server, body: str, quote: str) -> dict:
    return {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting",
            "bodyValue": body,
            "target": {"source": f"{server.base_url}/articles/{SLUG}",
                       "selector": {"type": "TextQuoteSelector", "exact": quote}}}


@pytest.mark.slow
def test_fifty_api_writers_round_after_round_never_get_a_server_error(live_server):
    secrets = _tokens(live_server, CLIENTS)
    results: list[tuple[int, str, float, str]] = []
    lock = threading.Lock()

    def write(index: int, round_number: int, start: threading.Barrier) -> None:
        client = Client(live_server.base_url)
        start.wait()
        for n in range(PER_CLIENT):
            body = f"api-load r{round_number} c{index} n{n}"
            response = client.request("POST", f"/api/articles/{SLUG}/annotations",
                                      headers={"Authorization": f"Bearer {secrets[index]}"},
                                      json_body=_annotation(live_server, body, QUOTES[(index + n) % len(QUOTES)]))
            with lock:
                results.append((response.status, body, 0.0, response.body[:300] if response.status != 201 else ""))

    for round_number in range(ROUNDS):
        _forget_token_uses(live_server)
        start = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=write, args=(i, round_number, start), daemon=True)
                   for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert not any(thread.is_alive() for thread in threads), "a client is still waiting for an answer"

    statuses = Counter(status for status, *_ in results)
    print(f"\n{len(results)} API creations in {ROUNDS} rounds of {CLIENTS} clients: {dict(statuses)}")
    failures = [(status, excerpt) for status, _, _, excerpt in results if status != 201]
    assert len(results) == CLIENTS * ROUNDS * PER_CLIENT
    assert failures == [], failures[:5]
    log = live_server.log_text()
    assert "database is locked" not in log and "unhandled error" not in log
    saved = {row.body for row in live_server.rows("SELECT body FROM annotations WHERE body LIKE 'api-load %'")}
    assert saved == {body for _, body, _, _ in results}
    recorded = live_server.rows("SELECT count(*) AS n FROM api_tokens WHERE last_used_at IS NOT NULL")[0].n
    assert recorded == CLIENTS


def _post_padded(server, secret: str, chunked: bool) -> tuple[int, dict]:
    """POST a valid annotation padded with JSON whitespace to 1 MiB (over the API's 256 KiB), chunked or not."""
    payload = json.dumps(_annotation(server, "padded", QUOTES[0])).encode()
    payload = payload[:-1] + b" " * (1024 * 1024) + b"}"
    host, port = server.base_url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    try:
        if chunked:
            chunks = (payload[i:i + 65536] for i in range(0, len(payload), 65536))
            conn.request("POST", f"/api/articles/{SLUG}/annotations", body=chunks,
                         headers={**headers, "Transfer-Encoding": "chunked"}, encode_chunked=True)
        else:
            conn.request("POST", f"/api/articles/{SLUG}/annotations", body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    except (ConnectionResetError, BrokenPipeError):
        pytest.fail("the server dropped the connection instead of answering 413")
    finally:
        conn.close()


def _post_the_rest_after_the_answer(server, secret: str) -> tuple[bytes, str]:
    """Send 1 MiB's headers and first bytes, wait for the answer, send the rest, then read; return (status line, error).

    A server that closed the connection with the rest unread would have it reset, and the rest would
    not go through. (gunicorn itself reads on for 2 s and 64 KiB before it closes: the wait is longer.)
    """
    length = 1024 * 1024
    head = (f"POST /api/articles/{SLUG}/annotations HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    host, port = server.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + b" " * 4096)
        readable, _, _ = select.select([sock], [], [], 30)
        assert readable, "no answer came while the body was still being sent"
        time.sleep(2.5)  # time for a server that would close the connection to have closed it
        try:
            sock.sendall(b" " * (length - 4096))
        except (ConnectionResetError, BrokenPipeError) as exc:
            return b"", f"the rest of the body was refused: {exc!r}"
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0], ""


@pytest.mark.slow
def test_gunicorn_refuses_an_oversized_api_body_with_413_chunked_or_not(live_server):
    secret = _tokens(live_server, 1)[0]
    for chunked in (False, True):
        status, body = _post_padded(live_server, secret, chunked)
        assert (status, body["error"]["code"]) == (413, "payload_too_large"), ("chunked" if chunked else "plain")
    # A client that reads nothing before it has sent everything still gets the answer, whenever it reads.
    assert _post_the_rest_after_the_answer(live_server, secret) == (b"HTTP/1.1 413 REQUEST ENTITY TOO LARGE", "")
    assert live_server.rows("SELECT count(*) AS n FROM annotations WHERE body = 'padded'")[0].n == 0
