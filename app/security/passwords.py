"""Password policy (NIST SP 800-63B-4) and hashing (scrypt through Werkzeug).

Length is the only composition rule: at least PASSWORD_MIN_LENGTH characters (15 by default),
up to PASSWORD_MAX_LENGTH, any characters including spaces. Passwords found on the blocklist of
common passwords, made of one repeated character or a keyboard/alphabet run, or containing the
user's own email name or the product name are refused.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

BLOCKLIST_PATH = Path(__file__).parents[1] / "data" / "common-passwords.txt"
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb")
# A valid scrypt hash that matches no password: checked when an email is unknown, so that the
# response time does not reveal which accounts exist.
_DUMMY_PASSWORD = "postil-dummy-password-for-timing"


class PasswordRejected(ValueError):
    """The password breaks the policy; the message says why."""


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    words = BLOCKLIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in words if w.strip() and not w.startswith("#"))


def normalise(password: str) -> str:
    """Normalise a password to NFKC, as SP 800-63B recommends before hashing."""
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, email: str = "", display_name: str = "") -> None:
    """Raise PasswordRejected with a readable reason when `password` breaks the policy."""
    password = normalise(password)
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    maximum = current_app.config["PASSWORD_MAX_LENGTH"]
    if len(password) < minimum:
        raise PasswordRejected(f"Password must be at least {minimum} characters long (it has {len(password)}).")
    if len(password) > maximum:
        raise PasswordRejected(f"Password must be at most {maximum} characters long.")
    folded = password.casefold()
    squashed = "".join(ch for ch in folded if not ch.isspace())
    if folded in _blocklist() or squashed in _blocklist():
        raise PasswordRejected("This password is on a list of commonly used passwords; choose another.")
    if len(set(squashed)) <= 2:
        raise PasswordRejected("Password must not be one or two characters repeated.")
    if any(squashed in run * 4 or squashed in (run * 4)[::-1] for run in _RUNS) or _is_repeated_chunk(squashed):
        raise PasswordRejected("Password must not be a simple sequence or repetition.")
    local = email.split("@", 1)[0].casefold()
    if len(local) >= 4 and local in folded and len(folded) - len(local) < 8:
        raise PasswordRejected("Password must not be based on your email address.")
    if "postil" in folded and len(folded) - len("postil") < 8:
        raise PasswordRejected("Password must not be based on the site's name.")


def _is_repeated_chunk(value: str) -> bool:
    for size in range(1, 9):
        if len(value) % size == 0 and value[:size] * (len(value) // size) == value:
            return True
        chunk = value[:size]
        if len(value) > size and (chunk * (len(value) // size + 1)).startswith(value) and len(set(chunk)) <= 4:
            return True
    return False


def hash_password(password: str) -> str:
    """Hash a password with scrypt at the configured cost."""
    return generate_password_hash(normalise(password), method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time on a dummy hash and answer False."""
    if not password_hash:
        check_password_hash(_dummy_hash(), normalise(password))
        return False
    return check_password_hash(password_hash, normalise(password))


def _dummy_hash() -> str:
    key = current_app.config["PASSWORD_HASH_METHOD"]
    cache = current_app.extensions.setdefault("postil_dummy_hash", {})
    if key not in cache:
        cache[key] = hash_password(_DUMMY_PASSWORD)
    return cache[key]
