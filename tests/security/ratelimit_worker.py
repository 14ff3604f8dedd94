"""One "gunicorn worker" for the shared rate limit test: its own process, its own app and limiter.

Run as `python -m tests.security.ratelimit_worker DATABASE_URL STORAGE_URI KEY_PREFIX ATTEMPTS`: it
builds the app with rate limits on and the given limiter storage, tries to sign in ATTEMPTS times
with a wrong password, and prints the statuses as a JSON list on standard output.
"""
from __future__ import annotations

import json
import logging
import sys


def main(database_url: str, storage_uri: str, key_prefix: str, attempts: int) -> list[int]:
    """Sign in `attempts` times with a wrong password; return the statuses."""
    from app import create_app
    from config import TestingConfig
    from tests.conftest import csrf_from

    config = type("WorkerConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage_uri,
        "RATELIMIT_KEY_PREFIX": key_prefix})
    client = create_app(config).test_client()
    logging.disable(logging.CRITICAL)  # stdout carries the answer; refusals are expected here
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    return [client.post("/sign-in", data={"email": "nobody@example.org", "password": "not the right one at all",
                                          "csrf_token": token}).status_code for _ in range(attempts)]


if __name__ == "__main__":
    url, storage, prefix, count = sys.argv[1:5]
    print(json.dumps(main(url, storage, prefix, int(count))))
