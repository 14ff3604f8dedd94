"""Configuration classes: the only module that reads environment variables."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
HOW_TO_SET_SECRET_KEY = (
    "set SECRET_KEY to a random value of at least 32 characters, for example "
    "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\", "
    "and POSTIL_ENV=production (see Deploying in README.md)")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'postil.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    # Per connection: pages kept in memory (KiB) and how much of the file is read through a memory map
    # (bytes) instead of a system call per page. A search reads thousands of rows scattered across
    # the file; SQLite's defaults (2 MiB of cache, no map) make it read most of them from the kernel.
    SQLITE_CACHE_KIB = _env_int("SQLITE_CACHE_KIB", 32 * 1024)
    SQLITE_MMAP_BYTES = _env_int("SQLITE_MMAP_BYTES", 256 * 1024 * 1024)

    # Each worker's cache of rendered article pages and fragments, bounded in bytes (not entries).
    PAGE_CACHE_BYTES = _env_int("PAGE_CACHE_BYTES", 64 * 1024 * 1024)
    # Threads on one page of an article's discussion; the rest are further pages (`?threads=2`), which
    # the page's script loads as the reader scrolls.
    DISCUSSION_PAGE_THREADS = _env_int("DISCUSSION_PAGE_THREADS", 50)

    # Request bodies above this size are refused with 413 (uploads of reference files included).
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)

    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 15)
    PASSWORD_MAX_LENGTH = 256
    # scrypt at n=2**17, r=8, p=1 is OWASP's recommended minimum for scrypt.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    WTF_CSRF_TIME_LIMIT = 3600 * 8
    WTF_CSRF_SSL_STRICT = True

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Per account (per address when anonymous): creating annotations through the API, and API tokens.
    RATELIMIT_ANNOTATIONS = os.environ.get("RATELIMIT_ANNOTATIONS", "20 per minute")
    RATELIMIT_TOKENS = os.environ.get("RATELIMIT_TOKENS", "10 per hour")
    # JSON bodies sent to /api above this size are refused with 413 (an annotation is at most 10,000 characters).
    API_MAX_CONTENT_LENGTH = 256 * 1024

    # Where Postil is reached: every absolute URL (API IRIs, links in emails) is built from it, never
    # from a request's Host header. Required in production.
    BASE_URL = os.environ.get("POSTIL_BASE_URL", DEFAULT_BASE_URL).rstrip("/")

    # Looking studies up by DOI, PMID or PMCID. The contact address goes in the User-Agent (Crossref's
    # "polite pool") and in NCBI's `email` parameter; set it to an address that reads its mail.
    CROSSREF_API_URL = os.environ.get("CROSSREF_API_URL", "https://api.crossref.org")
    EUTILS_API_URL = os.environ.get("EUTILS_API_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils")
    CROSSREF_MAILTO = os.environ.get("CROSSREF_MAILTO", "admin@postil.example")
    LOOKUP_TIMEOUT = float(os.environ.get("LOOKUP_TIMEOUT", "5"))
    LOOKUP_CACHE_SECONDS = _env_int("LOOKUP_CACHE_SECONDS", 24 * 3600)

    HSTS = False
    DEMO_CONTENT_DIR = BASE_DIR / "app" / "demo"
    # Number of a new account's public annotations that wait for a moderator.
    PREMODERATION_COUNT = os.environ.get("PREMODERATION_COUNT", "3")
    FLAGS_TO_HIDE = _env_int("FLAGS_TO_HIDE", 3)
    # A patient-data flag hides at once only from a moderator or an account with standing: this old
    # (days) and with this many approved public annotations. Others' go to the top of the queue.
    FLAG_HIDE_MIN_ACCOUNT_DAYS = _env_int("FLAG_HIDE_MIN_ACCOUNT_DAYS", 7)
    FLAG_HIDE_MIN_APPROVED = _env_int("FLAG_HIDE_MIN_APPROVED", 1)
    # Automatic hides one reader's flags may cause in 24 hours (moderators are not limited).
    FLAG_AUTO_HIDES_PER_DAY = _env_int("FLAG_AUTO_HIDES_PER_DAY", 3)
    ANNOTATION_MAX_LENGTH = 10_000
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Email, sent only by `flask notifications send` from the outbox, never from a web request.
    # With no MAIL_SERVER, messages are written to the log (postil.mail) instead.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "Postil <no-reply@postil.example>")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 20)
    # Attempts before an email is given up (kept as "failed"); waits double from the base, capped at 6 hours.
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 10)
    MAIL_RETRY_BASE_SECONDS = _env_int("MAIL_RETRY_BASE_SECONDS", 60)
    # An email claimed by a sender that has not reported back after this long is never sent again.
    MAIL_CLAIM_TIMEOUT_SECONDS = _env_int("MAIL_CLAIM_TIMEOUT_SECONDS", 600)
    # How long the unsubscribe link in an email works.
    UNSUBSCRIBE_MAX_AGE_DAYS = _env_int("UNSUBSCRIBE_MAX_AGE_DAYS", 90)


class DevelopmentConfig(Config):
    """Local development: `make run`."""

    DEBUG = False


class TestingConfig(Config):
    """The test suite: a database per test session, fast password hashing, no rate limits unless a test asks."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    BASE_URL = "http://localhost"  # the test client's host
    # Tests create many accounts; a cheaper scrypt keeps the suite fast. Production uses Config's cost.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True
    PREMODERATION_COUNT = "3"
    # Never the real services: the discard port refuses connections; tests that look studies up
    # point these at a local server replaying the services' documented answers.
    CROSSREF_API_URL = "http://127.0.0.1:9"
    EUTILS_API_URL = "http://127.0.0.1:9"
    CROSSREF_MAILTO = "tests@postil.example"
    # Tests point MAIL_SERVER at their own SMTP server when they need one.
    MAIL_SERVER = None
    MAIL_USE_TLS = False
    MAIL_FROM = "Postil <no-reply@postil.test>"
    MAIL_TIMEOUT_SECONDS = 5


class ProductionConfig(Config):
    """Production behind a TLS-terminating reverse proxy."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    PROXY_FIX_HOPS = _env_int("PROXY_FIX_HOPS", 1)

    @classmethod
    def check(cls) -> None:
        """Refuse to run with a missing or default secret key, or without the HTTPS address readers use."""
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEFAULT_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        base = urlsplit(cls.BASE_URL or "")
        if cls.BASE_URL == DEFAULT_BASE_URL or base.scheme != "https" or not base.hostname:
            raise RuntimeError(
                "POSTIL_BASE_URL must be set in production to the https:// address readers use, e.g. "
                "POSTIL_BASE_URL=https://postil.example.org: every absolute link (API IRIs, emails) is "
                f"built from it, never from a request's Host header (it is {cls.BASE_URL!r})."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by POSTIL_ENV (development by default)."""
    name = os.environ.get("POSTIL_ENV", "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"POSTIL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.") from None
