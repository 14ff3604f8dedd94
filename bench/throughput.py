"""Requests per second of the article page against a bare "hello" route, under gunicorn and wrk.

Builds a SQLite database with the demo article and N annotations (default 500, a third of them
replies, by twenty authors; the signed-in reader wrote two), starts gunicorn with 2 sync workers,
and runs wrk for each of: the hello route, the article page for an anonymous reader, and the
article page for a signed-in reader. Prints requests per second and the two ratios the product
targets: anonymous >= 1/2 of hello, signed-in >= 1/4 of hello.

Needs wrk (Debian: apt-get install wrk). Run: .venv/bin/python bench/throughput.py [annotations]
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DURATION = os.environ.get("BENCH_DURATION", "10s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: str, count: int) -> tuple[str, str, str]:
    """Build the database; return the slug and a signed-in reader's email and password."""
    from app import create_app
    from bench.article_page import build
    from config import DevelopmentConfig

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite3"
        PASSWORD_HASH_METHOD = "scrypt:16384:8:1"

    app = create_app(Config)
    slug, reader = build(app, count)
    return slug, reader.email, reader.password


def session_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the form and return the session cookie header value."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    opener.open(f"{base}/sign-in", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, cookie: str | None = None) -> float:
    command = ["wrk", "-t2", "-c8", f"-d{DURATION}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    import urllib.parse  # noqa: F401 - used by session_cookie

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as folder:
        slug, email, password = prepare(folder, count)
        port = free_port()
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3", POSTIL_ENV="development",
                   RATELIMIT_ENABLED="false", LOG_LEVEL="WARNING")
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                   "--chdir", str(ROOT), "bench.wsgi_bench:app"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/_bench/hello")
                    break
                except OSError:
                    time.sleep(0.1)
            cookie = session_cookie(base, email, password)
            page = f"{base}/articles/{slug}"
            urllib.request.urlopen(page).read()  # warm the caches of both workers
            hello = wrk(f"{base}/_bench/hello")
            anonymous = wrk(page)
            reader = wrk(page, cookie)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"annotations: {count}; gunicorn 2 sync workers; wrk -t2 -c8 -d{DURATION}")
    print(f"hello route            {hello:8.0f} req/s")
    print(f"article, anonymous     {anonymous:8.0f} req/s   ratio {anonymous / hello:.2f} (target >= 0.50)")
    print(f"article, signed-in     {reader:8.0f} req/s   ratio {reader / hello:.2f} (target >= 0.25)")


if __name__ == "__main__":
    main()
