"""Accounts through the browser forms: sign-up, sign-in, profile, password, sessions."""
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import AuthActions, account_emails, confirmation_link, csrf_from
from tests.factories import PASSWORD


def sign_up(client, **overrides):
    token = csrf_from(client.get("/sign-up").get_data(as_text=True))
    data = {"email": "new.doctor@example.org", "password": PASSWORD, "display_name": "Dr New Doctor",
            "profession": "Medical oncologist", "affiliation": "St Elsewhere", "interests_choice": "none",
            "competing_interests": "", "csrf_token": token}
    data.update(overrides)
    return client.post("/sign-up", data=data)


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_sign_up_confirms_the_address_by_a_one_time_link_and_returns_to_the_page(client, app, auth, clean_db):
    page = client.get("/sign-up?next=/articles/chemotherapy-metastases").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/articles/chemotherapy-metastases"' in page
    response = sign_up(client, next="/articles/chemotherapy-metastases")
    # The same answer as for a registered address, so sign-up tells nobody which exist.
    assert response.status_code == 302 and response.headers["Location"] == "/sign-up/check-email"
    assert "Check your email" in client.get("/sign-up/check-email").get_data(as_text=True)
    # Not signed in, and cannot sign in before confirming.
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    refused = auth.sign_in("new.doctor@example.org", PASSWORD)
    assert refused.status_code == 422 and "Confirm your email address first" in refused.get_data(as_text=True)

    [email] = account_emails(app, "new.doctor@example.org")
    assert "Confirm your email address to finish signing up" in email
    assert f"{app.config['BASE_URL']}/confirm-email/" in email  # an absolute link built from BASE_URL
    link = confirmation_link(app, "new.doctor@example.org")
    ask = client.get(link)  # opening the link (or a mail scanner doing so) confirms nothing yet
    assert ask.status_code == 200 and "Confirm my address" in ask.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.email_confirmed)) is False

    confirmed = client.post(link, data={"csrf_token": csrf_from(ask.get_data(as_text=True))})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/articles/chemotherapy-metastases"
    page = client.get("/").get_data(as_text=True)
    assert "Dr New Doctor" in page and "Sign out" in page
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email_confirmed is True
        assert user.competing_interests == "None declared"
        assert user.role.value == "reader"
        assert user.password_hash.startswith("scrypt:")

    # The link works once.
    other = app.test_client()
    used = other.get(link)
    assert used.status_code == 400 and "already used" in used.get_data(as_text=True)
    assert auth.sign_out() and AuthActions(other).sign_in("new.doctor@example.org", PASSWORD).status_code == 302


def test_a_newer_sign_up_replaces_an_unconfirmed_one_and_its_link(client, app, clean_db):
    sign_up(client, display_name="Dr Someone Else")
    first = confirmation_link(app, "new.doctor@example.org")
    sign_up(app.test_client(), display_name="Dr New Doctor")
    latest = confirmation_link(app, "new.doctor@example.org")
    assert latest != first and count_users(app) == 1
    stale = client.get(first)
    assert stale.status_code == 400 and "newer sign-up" in stale.get_data(as_text=True)
    assert client.get(latest).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.display_name)) == "Dr New Doctor"


def test_a_forged_or_cut_confirmation_link_is_refused(client, clean_db):
    response = client.get("/confirm-email/eyJ1IjoxfQ.forged")
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)


def test_sign_up_with_declared_interests(client, app, clean_db):
    sign_up(client, interests_choice="declare", competing_interests="Speaker fees from Acme Oncology")
    with app.app_context():
        assert db.session.scalar(select(User.competing_interests)) == "Speaker fees from Acme Oncology"


@pytest.mark.parametrize("overrides, status, message", [
    ({"password": "too short"}, 422, "at least 15 characters"),
    ({"password": "passwordpassword"}, 422, "commonly used passwords"),
    ({"email": "not-an-email"}, 422, "Email address is not valid"),
    ({"display_name": ""}, 422, "Enter your name"),
    ({"display_name": "x" * 101}, 422, "100 characters"),
    ({"affiliation": "x" * 201}, 422, "200 characters"),
    ({"interests_choice": "declare", "competing_interests": ""}, 422, "Describe your competing interests"),
    ({"csrf_token": ""}, 400, "security token is missing or expired (The CSRF token is missing). Reload"),
])
def test_sign_up_refuses_bad_input_with_a_named_problem_and_creates_nothing(client, app, clean_db, overrides,
                                                                             status, message):
    response = sign_up(client, **overrides)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_duplicate_email_whatever_its_case_creates_nothing_and_reveals_nothing(client, app, make):
    existing = make.user(email="dup@example.org", name="Dr Already Here")
    response = sign_up(client, email="DUP@Example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-up/check-email"
    assert "already exists" not in client.get("/sign-up/check-email").get_data(as_text=True)
    assert count_users(app) == 1
    with app.app_context():
        assert db.session.get(User, existing.id).display_name == "Dr Already Here"
    # The address's owner is told by email, with a way to sign in, and no link that changes the account.
    [email] = account_emails(app, "dup@example.org")
    assert "already has an account" in email and "/sign-in" in email and "/confirm-email/" not in email


def test_sign_in_and_out(client, auth, make):
    user = make.user(name="Dr Signed In")
    response = auth.sign_in(user.email)
    assert response.status_code == 302
    assert "Dr Signed In" in client.get("/").get_data(as_text=True)
    auth.sign_out()
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_sign_in_email_is_case_insensitive(client, auth, make):
    user = make.user(email="case@example.org")
    assert auth.sign_in("CASE@EXAMPLE.ORG", user.password).status_code == 302


@pytest.mark.parametrize("which", ["email", "password"])
def test_wrong_credentials_give_the_same_message(client, auth, make, which):
    user = make.user()
    email = "nobody@example.org" if which == "email" else user.email
    password = "wrong password entirely" if which == "password" else user.password
    response = auth.sign_in(email, password)
    assert response.status_code == 422
    assert "Email or password is wrong." in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/articles/x", "/profile?tab=1", "/studies?q=a%2Fb", "/articles/x#a-1"])
def test_next_redirects_to_a_same_site_path(client, auth, make, target):
    user = make.user()
    response = auth.sign_in(user.email, next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "https://evil.example", "https:evil.example", "javascript:alert(1)",
    "http://evil.example/", "\t//evil.example", "/\t/evil.example", "%2F%2Fevil.example", "evil.example",
    "///evil.example", "data:text/html,<script>alert(1)</script>", "\\\\evil.example",
    # Encoded forms a proxy or browser might decode once, case tricks, and split schemes.
    "/%5Cevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "%09//evil.example", "/%09/evil.example",
    "HTTPS://evil.example", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
    "/\n/evil.example", "\n//evil.example", " //evil.example", "/%5C%5Cevil.example", "//%65vil.example",
])
def test_next_never_redirects_off_site(client, auth, make, target):
    user = make.user()
    response = auth.sign_in(user.email, next=target)
    location = response.headers["Location"]
    assert location == "/", location


def _set_cookie(response, name: str) -> dict[str, str]:
    """Return the attributes (lower-cased names) of the Set-Cookie header for cookie `name`."""
    [header] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    return {key.strip().lower(): value for key, _, value in (part.partition("=") for part in header.split(";")[1:])}


def test_remember_me_sets_a_cookie_valid_at_most_14_days(client, auth, make):
    user = make.user()
    before = datetime.now(UTC).replace(microsecond=0)
    response = auth.sign_in(user.email, remember=True)
    after = datetime.now(UTC)
    remember = _set_cookie(response, "remember_token")
    assert "httponly" in remember and remember["samesite"] == "Lax"
    # Fourteen days from the sign-in, to the second: not a session cookie, and not a day longer.
    expires = parsedate_to_datetime(remember["expires"])
    assert before + timedelta(days=14) <= expires <= after + timedelta(days=14), expires
    if "max-age" in remember:
        assert int(remember["max-age"]) <= 14 * 24 * 3600
    # The session cookie itself ends with the browser; only the remember-me cookie outlives it.
    session = _set_cookie(response, "session")
    assert "expires" not in session and "max-age" not in session
    # A browser that kept only the remember-me cookie is still signed in.
    fresh = client.application.test_client()
    fresh.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert "Sign out" in fresh.get("/").get_data(as_text=True)


def test_profile_edit(client, auth, make, app):
    user = make.user()
    auth.sign_in(user.email)
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    response = client.post("/profile", data={
        "csrf_token": token, "display_name": "Dr Renamed", "profession": "Clinical pharmacist",
        "affiliation": "Royal Infirmary", "interests_choice": "declare",
        "competing_interests": "Advisory board, Pharma Ltd (2025)"})
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert "Dr Renamed" in page and "Clinical pharmacist" in page and "Advisory board, Pharma Ltd (2025)" in page


def test_profile_refuses_oversized_field_and_keeps_old_value(client, auth, make, app):
    user = make.user(name="Dr Original")
    auth.sign_in(user.email)
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    response = client.post("/profile", data={"csrf_token": token, "display_name": "x" * 500,
                                             "interests_choice": "none"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "Dr Original"


def _change_password(client, current, new):
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    return client.post("/profile/password", data={"csrf_token": token, "pw-current_password": current,
                                                  "pw-new_password": new})


def test_password_change_keeps_this_session_and_ends_the_others(app, make):
    from tests.conftest import AuthActions

    user = make.user()
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).sign_in(user.email)
    AuthActions(laptop).sign_in(user.email, remember=True)
    response = _change_password(laptop, user.password, "a brand new passphrase for me")
    assert response.status_code == 302
    assert "Sign out" in laptop.get("/").get_data(as_text=True)
    assert "Sign out" not in phone.get("/").get_data(as_text=True)
    assert AuthActions(app.test_client()).sign_in(user.email, "a brand new passphrase for me").status_code == 302


def test_password_change_needs_the_current_password(client, auth, make):
    user = make.user()
    auth.sign_in(user.email)
    response = _change_password(client, "not my current password", "a brand new passphrase for me")
    assert response.status_code == 422
    assert "Current password is wrong" in response.get_data(as_text=True)


@pytest.mark.parametrize("new_password, message", [
    ("short", "at least 15 characters"),
    ("passwordpassword", "commonly used passwords"),
])
def test_password_change_applies_the_policy(app, client, auth, make, new_password, message):
    from tests.conftest import AuthActions

    user = make.user()
    auth.sign_in(user.email)
    response = _change_password(client, user.password, new_password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    # Nothing changed: the old password still signs in, the refused one does not, this session goes on.
    assert AuthActions(app.test_client()).sign_in(user.email, user.password).status_code == 302
    assert AuthActions(app.test_client()).sign_in(user.email, new_password).status_code == 422
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_sign_out_everywhere_ends_all_sessions(app, make):
    from tests.conftest import AuthActions

    user = make.user()
    one, two = app.test_client(), app.test_client()
    AuthActions(one).sign_in(user.email)
    AuthActions(two).sign_in(user.email)
    token = csrf_from(one.get("/profile").get_data(as_text=True))
    one.post("/sign-out-everywhere", data={"csrf_token": token})
    assert "Sign out" not in two.get("/").get_data(as_text=True)
    assert "Sign out" not in one.get("/").get_data(as_text=True)


def test_profile_requires_sign_in(client, clean_db):
    response = client.get("/profile")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_password_change_revokes_api_tokens(app, make, client, auth):
    from app.models import User
    from app.services import tokens

    user = make.user()
    with app.app_context():
        _, raw = tokens.create(db.session.get(User, user.id), "laptop script")
        db.session.commit()
    assert client.get("/api/articles", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    auth.sign_in(user.email)
    _change_password(client, user.password, "a brand new passphrase for me")
    other = app.test_client()
    assert other.get("/api/articles", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
