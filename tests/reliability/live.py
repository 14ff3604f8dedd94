"""A real Postil under gunicorn for load, crash and backup tests, and a small HTTP client to drive it.

`LiveServer` prepares a database the way an operator does (`flask db upgrade`, `seed-demo`,
`users create`), starts `gunicorn wsgi:app` as a subprocess on a free 127.0.0.1 port, and stops it
(SIGTERM, then SIGKILL to its whole process group) however the test ends. `Client` is a
stdlib-only HTTP client with a cookie store, so many threads can sign in and post forms without
extra dependencies. bench/annotation_writes.py uses both.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLUG = "chemotherapy-metastases"
PASSWORD = "correct battery horse staple lamp"
# Quotes present in the demo article, for anchoring annotations.
QUOTES = (
    "are the models used really representative of the spectrum of human tumors?",
    "What were the levels of resistance to taxanes and other chemotherapies?",
    "rebastinib, a TIE2 inhibitor",
    "neoadjuvant chemotherapy",
)
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')
# Cheaper than production's scrypt cost, so that signing in twenty readers takes a second, not ten.
FAST_PASSWORD_HASH = "scrypt:1024:8:1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_postgres(database_url: str) -> bool:
    """Tell whether `database_url` names a PostgreSQL database."""
    return make_url(database_url).get_backend_name() == "postgresql"


def clear_postgres(database_url: str) -> None:
    """Give the shared test database an empty schema: rows deleted if migrated, the schema rebuilt otherwise."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            migrated = conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar() is not None
            if not migrated:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    if migrated:
        empty_postgres(database_url)


def empty_postgres(database_url: str) -> None:
    """Delete every row of every Postil table, leaving the schema as the migrations built it."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            # Connections a killed gunicorn worker left behind may still hold row locks.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            tables = [row[0] for row in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
            if tables:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def copy_database(source_url: str, target_url: str) -> None:
    """Make the database at `target_url` a copy of the one at `source_url`, replacing whatever was there.

    SQLite copies through its online backup API (a consistent copy, write-ahead log included);
    PostgreSQL builds the target database afresh with the source as its template (nobody may be
    connected to either).
    """
    if not is_postgres(source_url):
        source, target = sqlite3.connect(make_url(source_url).database), sqlite3.connect(make_url(target_url).database)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    create_postgres_database(target_url, template=make_url(source_url).database)


def create_postgres_database(database_url: str, template: str | None = None) -> None:
    """Create the PostgreSQL database `database_url` names, empty or a copy of `template`, dropping any of that name."""
    name = make_url(database_url).database
    engine = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class PreparedDatabase:
    """A database `LiveServer.prepare` built, kept unused so that servers start from copies of it."""

    url: str
    readers: tuple[str, ...]


@dataclass
class LiveServer:
    """A Postil under gunicorn with its own database; `prepare()`, `start()`, then `stop()`."""

    database_url: str
    workdir: Path
    workers: int = 4
    # Settings a test needs on top of the defaults below (a shorter busy timeout, a costlier hash).
    extra_env: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    readers: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "gunicorn.log"

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "POSTIL_", "TEST_DATABASE"))}
        env.update(POSTIL_ENV="development", SECRET_KEY=self._secret, DATABASE_URL=self.database_url,
                   PREMODERATION_COUNT="0", RATELIMIT_ENABLED="false", PASSWORD_HASH_METHOD=FAST_PASSWORD_HASH,
                   PYTHONUNBUFFERED="1",
                   # Flags never hide anything here: a reply to a hidden annotation is refused, and these
                   # runs check that every write lands (hiding is the moderation tests' business).
                   FLAGS_TO_HIDE="0")
        env.update(self.extra_env)
        return env

    def __post_init__(self) -> None:
        self._secret = secrets.token_hex(32)
        self._app = None

    def flask(self, *commands: list[str], input: str | None = None, timeout: float = 120) -> None:
        """Run `flask --app wsgi COMMAND`, all COMMANDS at once, on this server's database; raise on failure."""
        runs = [(command, subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=self.env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True)) for command in commands]
        failures = []
        for command, process in runs:
            try:
                out, err = process.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            if process.returncode != 0:
                failures.append(f"flask {' '.join(command)} failed ({process.returncode}):\n{out}\n{err}")
        if failures:
            raise RuntimeError("\n".join(failures))

    def prepare(self, readers: int = 1) -> None:
        """Build the schema, load the demo and create `readers` reader accounts (password PASSWORD)."""
        if is_postgres(self.database_url):
            clear_postgres(self.database_url)
        self.flask(["db", "upgrade"])
        self.readers = [f"reader{n}@load.example.org" for n in range(readers)]
        # Two writers at once is also a small test of the CLI's own locking.
        self.flask(["seed-demo"], ["users", "create", "--email", self.readers[0], "--name", "Dr Reader 0",
                                   "--role", "reader", "--password-stdin"], input=PASSWORD + "\n")
        if readers > 1:
            self._register_readers(self.readers[1:])

    def prepare_from(self, prepared: PreparedDatabase) -> None:
        """Start from a copy of a database `prepare()` built earlier: the same schema, demo and readers."""
        copy_database(prepared.url, self.database_url)
        self.readers = list(prepared.readers)

    def helper_app(self):
        """Return an in-process Flask app bound to this server's database (for set-up and URL lookups)."""
        if self._app is None:
            from app import create_app
            from config import TestingConfig

            class Config(TestingConfig):
                SQLALCHEMY_DATABASE_URI = self.database_url
                PASSWORD_HASH_METHOD = FAST_PASSWORD_HASH
                PREMODERATION_COUNT = "0"  # as the server runs

            self._app = create_app(Config)
        return self._app

    def has_route(self, rule: str) -> bool:
        """Tell whether the application defines the URL rule `rule` (features land while others work)."""
        return any(r.rule == rule for r in self.helper_app().url_map.iter_rules())

    def _register_readers(self, emails: list[str]) -> None:
        """Create reader accounts through the accounts service in one transaction (faster than one CLI run each)."""
        from app.extensions import db
        from app.services import accounts

        with self.helper_app().app_context():
            for n, email in enumerate(emails, start=1):
                accounts.register(email=email, password=PASSWORD, display_name=f"Dr Reader {n}",
                                  profession="Medical oncologist")
            db.session.commit()

    def rows(self, sql: str, **params) -> list:
        """Run a read-only SQL query on this server's database, through a connection of its own."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def start(self, timeout: float = 180) -> None:
        """Start gunicorn and wait until /healthz answers 200 (a generous bound: the machine may be busy)."""
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "wsgi:app", "--workers", str(self.workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--timeout", "60",
             "--graceful-timeout", "5", "--backlog", "512"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if Client(self.base_url, timeout=2).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_text()}")

    def stop(self) -> None:
        """Stop gunicorn and every worker; SIGKILL the process group if a graceful stop takes too long."""
        if self._app is not None:
            from app.extensions import db

            with self._app.app_context():
                db.engine.dispose()
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers: workers left behind by the master
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None

    def worker_pids(self) -> list[int]:
        """Return the pids of the running gunicorn workers (children of the master)."""
        return sorted(pid for pid, fields in _processes() if int(fields[1]) == self.process.pid)

    def worker_serving(self, client_port: int) -> int | None:
        """Return the pid of the worker that has accepted the connection from 127.0.0.1:`client_port`, if any.

        The kernel lists the server's end of each connection in /proc/net/tcp; a connection still
        waiting in the listen backlog has no socket inode yet, so no worker owns it.
        """
        wanted = f"{self.port:04X}", f"{client_port:04X}"
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port, remote_port = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            if (local_port, remote_port) == wanted and fields[3] == "01" and fields[9] != "0":  # 01: ESTABLISHED
                inodes.add(f"socket:[{fields[9]}]")
        for pid in self.worker_pids():
            try:
                if inodes & {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}:
                    return pid
            except OSError:  # the worker exited meanwhile
                continue
        return None

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) used so far by the master and its live workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        server = {self.process.pid, *self.worker_pids()}
        # Fields after the parenthesised command name: state, ppid, ..., utime (12th), stime (13th).
        return sum(int(fields[11]) + int(fields[12]) for pid, fields in _processes() if pid in server) / ticks

    def log_text(self) -> str:
        """Return everything gunicorn and the application have logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signed_in_client(self, email: str, password: str = PASSWORD) -> Client:
        """Return a client signed in as `email`, holding a CSRF token for its session."""
        client = Client(self.base_url)
        client.sign_in(email, password)
        return client


def _processes():
    """Yield (pid, fields of /proc/PID/stat after the command name) for every process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue


@dataclass
class Response:
    """A finished HTTP exchange."""

    status: int
    body: str
    headers: dict

    def json(self):
        return json.loads(self.body)


class Client:
    """An HTTP/1.1 client with a cookie store; one connection per request (gunicorn's sync workers close it)."""

    def __init__(self, base_url: str, timeout: float = 60):
        host_port = base_url.split("://", 1)[1]
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None
        # Called with the local port of each new connection, before the request is sent.
        self.on_connect: Callable[[int], None] | None = None

    def copy(self) -> Client:
        """Return a client sharing this one's session (same cookies and CSRF token)."""
        other = Client(f"http://{self.host}:{self.port}", self.timeout)
        other.cookies = dict(self.cookies)
        other.csrf_token = self.csrf_token
        return other

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                json_body=None) -> Response:
        """Send one request; raise OSError (or http.client errors) when the connection fails."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            if self.on_connect is not None:
                conn.connect()
                self.on_connect(conn.sock.getsockname()[1])
            all_headers = dict(headers or {})
            body = None
            if form is not None:
                body = urlencode(form)
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            elif json_body is not None:
                body = json.dumps(json_body)
                all_headers["Content-Type"] = "application/json"
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            text_body = raw.read().decode("utf-8", errors="replace")
            for value in raw.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, text_body, dict(raw.headers.items()))
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        """GET `path` with this session's cookies."""
        return self.request("GET", path)

    def post(self, path: str, form: dict, fetch: bool = True) -> Response:
        """POST a form with this session's CSRF token; with `fetch`, as the page's script does."""
        headers = {"X-Requested-With": "fetch"} if fetch else {}
        return self.request("POST", path, {"csrf_token": self.csrf_token, **form}, headers)

    def post_json(self, path: str, data: dict) -> Response:
        """POST JSON to the API with the session cookie and its CSRF token in X-CSRFToken."""
        return self.request("POST", path, headers={"X-CSRFToken": self.csrf_token}, json_body=data)

    def refresh_csrf(self, path: str = "/") -> str:
        """Read the session's CSRF token from a page (its <meta name="csrf-token"> or a form's hidden field)."""
        response = self.get(path)
        match = CSRF_RE.search(response.body)
        if response.status != 200 or not match:
            raise AssertionError(f"GET {path} answered {response.status} without a CSRF token: {response.body[:500]}")
        self.csrf_token = match.group(1) or match.group(2)
        return self.csrf_token

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in through the form; raise AssertionError when the server does not accept it."""
        self.refresh_csrf("/sign-in")
        response = self.post("/sign-in", {"email": email, "password": password}, fetch=False)
        if response.status != 302:
            raise AssertionError(f"sign-in as {email} answered {response.status}: {response.body[:300]}")
        self.refresh_csrf("/")

    def annotate(self, body: str, quote: str = QUOTES[2], slug: str = SLUG, fetch: bool = True, **fields) -> Response:
        """Create an annotation on `quote`; with `fetch` the answer is 201 JSON whose "id" is the new annotation."""
        form = {"exact": quote, "body": body, "kind": "comment", "visibility": "public", "tags": "load test"}
        form.update(fields)
        return self.post(f"/articles/{slug}/annotate", form, fetch=fetch)

    def reply(self, parent_id: int, body: str, fetch: bool = True) -> Response:
        """Reply to annotation `parent_id` (with `fetch`, 201 JSON with the new id as "id")."""
        return self.post(f"/annotations/{parent_id}/replies", {"body": body}, fetch=fetch)

    def annotate_by_api(self, body: str, quote: str = QUOTES[2], slug: str = SLUG) -> Response:
        """Create an annotation on `quote` through the W3C API (201 JSON-LD whose "id" is the new annotation's IRI)."""
        return self.post_json(f"/api/articles/{slug}/annotations", {
            "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting",
            "body": {"type": "TextualBody", "value": body, "format": "text/markdown"},
            "target": {"source": f"http://{self.host}:{self.port}/articles/{slug}",
                       "selector": {"type": "TextQuoteSelector", "exact": quote}}})


PERMALINK_RE = re.compile(r"/annotations/(\d+)$")


def _created_id(response: Response) -> int | None:
    """Return the id of the annotation a write created: "id" of a 201 (a number, or the API's IRI), or the
    permalink a 302 points to."""
    if response.status == 201:
        created = response.json()["id"]
        return int(created) if not isinstance(created, str) else int(PERMALINK_RE.search(created).group(1))
    if response.status == 302:
        match = PERMALINK_RE.search(response.headers.get("Location", ""))
        return int(match.group(1)) if match else None
    return None


@dataclass
class Outcome:
    """One request of a load run; `status` is None when the connection broke, 0 when the answer made no sense."""

    action: str
    status: int | None
    body: str | None = None  # the text written, for writes
    created_id: int | None = None
    error: str | None = None
    seconds: float = 0.0
    started_at: float = 0.0  # time.monotonic() when the request was about to be sent
    done_at: float = 0.0  # time.monotonic() when the answer arrived
    excerpt: str = ""  # the start of the answer, kept for 5xx and lock errors


class Load:
    """Threads driving a LiveServer with a mix of reads and writes until stopped, recording every outcome.

    Every write carries a unique body ("<tag> w<thread>-<n>"), so the database can be compared with
    what the clients were told. Actions: page, health, annotate, api-annotate (the W3C API), reply,
    flag. Tests synchronise on what the load has achieved (`wait_for`), never on how long it ran: a
    busy machine only makes the wait longer.
    """

    def __init__(self, sessions: list[tuple[str, Client]], threads: int, mix: dict[str, float], seed: int = 1,
                 fetch: bool = True):
        self.tag = f"load-{secrets.token_hex(4)}"
        self.sessions, self.threads, self.mix, self.seed = sessions, threads, mix, seed
        # fetch: write as the page's script does (201 JSON with the new id); otherwise as the no-script
        # form does (302 to the new annotation's permalink).
        self.fetch = fetch
        self.outcomes: list[Outcome] = []
        self._created: list[tuple[int, str]] = []  # (id, author email) of confirmed top-level annotations
        # Reentrant, so that a condition given to wait_for (which runs holding it) may call pending_since.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # notified whenever an outcome is recorded
        self._stop = threading.Event()
        self._sending = threading.Event()  # cleared by pause(): threads hold their next request
        self._sending.set()
        self._workers: list[threading.Thread] = []
        self.connections = 0  # connections opened so far, a clock that counts events rather than seconds
        self._in_flight: dict[int, tuple[int, int, str | None]] = {}  # thread -> (connection number, port, body)

    def start(self) -> Load:
        """Start the threads; thread i uses session i modulo the number of sessions."""
        for index in range(self.threads):
            email, client = self.sessions[index % len(self.sessions)]
            worker = threading.Thread(target=self._run, args=(index, email, client.copy()), daemon=True)
            self._workers.append(worker)
            worker.start()
        return self

    def stop(self, timeout: float = 300) -> list[Outcome]:
        """Ask the threads to finish their current request, wait for them, and return every outcome."""
        self._stop.set()
        self._sending.set()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.1, deadline - time.monotonic()))
        stuck = sum(worker.is_alive() for worker in self._workers)
        if stuck:
            raise AssertionError(f"{stuck} client threads still waiting for an answer after {timeout} s")
        return self.outcomes

    def run(self, seconds: float) -> list[Outcome]:
        """Drive the server for `seconds`, then stop (for benchmarks; tests use run_until)."""
        self.start()
        time.sleep(seconds)
        return self.stop()

    def wait_for(self, condition: Callable[[Load], bool], what: str, timeout: float = 300) -> None:
        """Block until `condition(self)` holds, checked after each outcome; fail naming `what` after `timeout` s.

        The bound is generous on purpose: it only turns a hang into a failure, it is not a speed target.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the load never reached {what} in {timeout} s: {self._summary()}")
                # Also wake now and then: a condition may depend on something besides outcomes.
                self._changed.wait(min(remaining, 0.5))

    def run_until(self, condition: Callable[[Load], bool], what: str, timeout: float = 300) -> list[Outcome]:
        """Drive the server until `condition(self)` holds, then stop and return every outcome."""
        self.start()
        try:
            self.wait_for(condition, what, timeout)
        finally:
            outcomes = self.stop()
        return outcomes

    def pause(self, timeout: float = 300) -> None:
        """Hold every thread's next request and wait until no request is waiting for an answer."""
        self._sending.clear()
        self.wait_for(lambda current: not current._in_flight, "every request answered", timeout)

    def resume(self) -> None:
        """Let the threads send again."""
        self._sending.set()

    def confirmed(self, *actions: str, started_after: float | None = None) -> int:
        """Count the answered writes of `actions` (201, or the no-script form's 302 to the new annotation).

        With `started_after` (a time.monotonic() value), count only requests sent after it.
        """
        return sum(1 for o in list(self.outcomes) if o.action in actions and o.created_id is not None
                   and (started_after is None or o.started_at > started_after))

    def count(self, action: str, status: int) -> int:
        """Count the outcomes of `action` answered with `status`."""
        return sum(1 for o in list(self.outcomes) if o.action == action and o.status == status)

    def created(self) -> dict[str, int]:
        """Return {body: id} of every write the server confirmed (201, or 302 to the new annotation)."""
        return {o.body: o.created_id for o in list(self.outcomes) if o.created_id is not None}

    def unanswered_writes(self) -> set[str]:
        """Return the bodies of writes whose connection broke: the server may or may not have saved them."""
        return {o.body for o in list(self.outcomes) if o.status is None and o.body is not None}

    def pending_since(self, connection: int) -> dict[int, str | None]:
        """Return {local port: body} of the requests still waiting for an answer on connections opened after
        connection number `connection`."""
        with self._lock:
            return {port: body for number, port, body in self._in_flight.values() if number > connection}

    def _summary(self) -> str:
        statuses = {}
        for o in list(self.outcomes):
            statuses[(o.action, o.status)] = statuses.get((o.action, o.status), 0) + 1
        return f"{len(self.outcomes)} requests answered, by action and status {statuses}"

    def _run(self, index: int, email: str, client: Client) -> None:
        rng = random.Random(self.seed * 1000 + index)
        actions, weights = list(self.mix), list(self.mix.values())
        signed_in = dict(client.cookies)
        n = 0
        current: list[str | None] = [None]

        def connected(port: int) -> None:
            with self._lock:
                self.connections += 1
                self._in_flight[index] = (self.connections, port, current[0])

        client.on_connect = connected
        while not self._stop.is_set():
            self._sending.wait()
            if not self.fetch:
                # The no-script form flashes a message that the page after the redirect would consume; a client
                # that never follows the redirect would otherwise carry a session cookie growing with every write.
                client.cookies = dict(signed_in)
            n += 1
            action = rng.choices(actions, weights)[0]
            body = f"{self.tag} w{index}-{n}" if action in ("annotate", "api-annotate", "reply") else None
            current[0] = body
            started = time.monotonic()
            response = None
            try:
                response = self._send(action, client, email, body, rng)
                if response is None:
                    continue
                created_id = _created_id(response) if action in ("annotate", "api-annotate", "reply") else None
            except (OSError, http.client.HTTPException) as exc:
                self._record(index, Outcome(action, None, body, error=repr(exc), seconds=time.monotonic() - started,
                                            started_at=started, done_at=time.monotonic()))
                continue
            except Exception as exc:  # noqa: BLE001 - an answer the client cannot read (status 0) fails the run
                self._record(index, Outcome(action, 0, body, error=repr(exc), started_at=started,
                                            done_at=time.monotonic(), excerpt=response.body[:500] if response else ""))
                continue
            if created_id is not None and action in ("annotate", "api-annotate"):
                with self._lock:
                    self._created.append((created_id, email))
            suspicious = response.status >= 500 or "database is locked" in response.body
            self._record(index, Outcome(action, response.status, body, created_id,
                                        seconds=time.monotonic() - started, started_at=started,
                                        done_at=time.monotonic(), excerpt=response.body[:500] if suspicious else ""))

    def _pick(self, rng: random.Random, not_by: str | None = None) -> int | None:
        with self._lock:
            candidates = [i for i, author in self._created if author != not_by]
        return rng.choice(candidates) if candidates else None

    def _send(self, action: str, client: Client, email: str, body: str | None, rng: random.Random) -> Response | None:
        if action == "page":
            return client.get(f"/articles/{SLUG}")
        if action == "health":
            return client.get("/healthz")
        if action == "annotate":
            return self._as_a_browser(client, lambda: client.annotate(body, quote=rng.choice(QUOTES), fetch=self.fetch))
        if action == "api-annotate":
            return client.annotate_by_api(body, quote=rng.choice(QUOTES))
        target = self._pick(rng, not_by=email if action == "flag" else None)
        if target is None:
            return None
        if action == "reply":
            return self._as_a_browser(client, lambda: client.reply(target, body, fetch=self.fetch))
        if action == "flag":
            return client.post_json(f"/api/annotations/{target}/flags", {"reason": "off_topic", "note": "load test"})
        raise ValueError(f"unknown action {action!r}")

    @staticmethod
    def _as_a_browser(client: Client, save: Callable[[], Response]) -> Response:
        """Send a save and keep the session a browser would have once it has followed the answer's redirect.

        A no-script save answers 302 with its message flashed into the session cookie; the browser
        shows the message on the page it is sent to, which takes it out again. These clients do not
        follow redirects (one request a save), so they keep the cookie they sent: otherwise every save
        would add a message to a cookie that grows without end, which no browser sends.
        """
        cookies = dict(client.cookies)
        response = save()
        if response.status == 302:
            client.cookies = cookies
        return response

    def _record(self, index: int, outcome: Outcome) -> None:
        with self._changed:
            self._in_flight.pop(index, None)
            self.outcomes.append(outcome)
            self._changed.notify_all()
