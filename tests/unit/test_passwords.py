"""The password policy (NIST SP 800-63B-4) and hashing."""
import pytest

from app.security.passwords import PasswordRejected, check_policy, hash_password, verify_password


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.app_context():
        yield


@pytest.mark.parametrize("password", [
    "correct battery horse staple lamp",
    "fifteen chars!!",  # exactly 15, no composition rules
    "tout le monde aime les crêpes",
    "x" * 3 + "ordinary words in a row here",
    "a" + "b" * 0 + "long passphrase with no digits",
])
def test_accepts_long_passwords_without_composition_rules(password):
    check_policy(password)


@pytest.mark.parametrize("password, reason", [
    ("short pass", "at least 15"),
    ("fourteen chars", "at least 15"),
    ("passwordpassword", "commonly used"),
    ("Password123456789", "commonly used"),
    ("iloveyouiloveyou", "commonly used"),
    ("aaaaaaaaaaaaaaaaaaaa", "repeated"),
    ("abababababababababab", "repeated"),
    ("abcdefghijklmnopq", "sequence"),
    ("123456789012345678", "sequence"),
    ("qwertyuiopasdfghj", "sequence"),
    ("x" * 300, "at most"),
])
def test_rejects_with_a_reason(password, reason):
    with pytest.raises(PasswordRejected, match=reason):
        check_policy(password)


def test_rejects_password_built_on_the_email():
    with pytest.raises(PasswordRejected, match="email"):
        check_policy("jane.smith1234567", email="jane.smith@example.org")


def test_minimum_length_is_configurable(app):
    app.config["PASSWORD_MIN_LENGTH"] = 20
    try:
        with pytest.raises(PasswordRejected, match="at least 20"):
            check_policy("nineteen characters")
    finally:
        app.config["PASSWORD_MIN_LENGTH"] = 15


def test_sixty_four_characters_are_allowed():
    check_policy("a long passphrase about oncology journals and evening tea xyz 64!"[:64])


def test_hash_is_scrypt_and_verifies_normalised_unicode():
    hashed = hash_password("ﬁve dollar ﬁsh tacos please")  # "ﬁ" ligature, NFKC → "fi"
    assert hashed.startswith("scrypt:")
    assert verify_password(hashed, "five dollar fish tacos please")
    assert not verify_password(hashed, "five dollar fish tacos pleas")
    assert not verify_password(None, "anything at all here")


def test_production_cost_meets_owasp_minimum():
    from config import Config

    method, n, r, p = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt" and int(n) >= 2 ** 17 and int(r) >= 8 and int(p) >= 1
