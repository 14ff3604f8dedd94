"""Sessions live on the server: signing out ends this browser's session everywhere its cookies were copied.

Each sign-in starts a session of its own (the digest of a secret only the cookies hold), so a
copied session or remember-me cookie stops working at sign-out, other devices stay signed in,
and the cookie session is cleared at sign-in, so nothing planted before (a CSRF secret) carries over.
"""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import UserSession
from tests.conftest import AuthActions, csrf_from


def _copy_cookies(source, target, names=("session", "remember_token")) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_signing_out_ends_a_copied_session_cookie_and_a_copied_remember_me_cookie(app, world):
    reader = world.user("reader_a")
    browser = app.test_client()
    AuthActions(browser).sign_in(reader.email, reader.password, remember=True)
    stolen_session, stolen_remember = app.test_client(), app.test_client()
    _copy_cookies(browser, stolen_session, names=("session",))
    _copy_cookies(browser, stolen_remember, names=("remember_token",))
    assert _signed_in(stolen_session) and _signed_in(stolen_remember)

    assert AuthActions(browser).sign_out().status_code == 302

    assert not _signed_in(browser)
    assert not _signed_in(stolen_session), "a copied session cookie outlived the sign-out"
    assert not _signed_in(stolen_remember), "a copied remember-me cookie outlived the sign-out"


def test_signing_out_on_one_device_leaves_the_others_signed_in(app, world):
    reader = world.user("reader_a")
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).sign_in(reader.email, reader.password)
    AuthActions(phone).sign_in(reader.email, reader.password, remember=True)
    AuthActions(laptop).sign_out()
    assert not _signed_in(laptop) and _signed_in(phone)


def test_each_sign_in_is_a_session_of_its_own_and_only_digests_are_stored(app, world):
    reader = world.user("reader_a")
    browser = app.test_client()
    AuthActions(browser).sign_in(reader.email, reader.password, remember=True)
    remember = browser.get_cookie("remember_token").value
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == reader.id)).all()
        assert len(rows) == 1 and rows[0].revoked_at is None
        secret = remember.split("|", 1)[0]
        assert rows[0].digest != secret and len(rows[0].digest) == 64
        assert rows[0].expires_at - rows[0].created_at == app.config["REMEMBER_COOKIE_DURATION"]
        before = db.session.scalar(select(func.count(UserSession.id)))
    AuthActions(app.test_client()).sign_in(reader.email, reader.password)
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == before + 1


def test_the_cookie_session_is_cleared_at_sign_in_so_a_planted_csrf_secret_does_not_carry_over(app, world):
    reader = world.user("reader_a")
    attacker = app.test_client()
    planted = csrf_from(attacker.get("/sign-in").get_data(as_text=True))
    victim = app.test_client()
    _copy_cookies(attacker, victim, names=("session",))  # e.g. through a sibling subdomain's cookie
    response = victim.post("/sign-in", data={"email": reader.email, "password": reader.password,
                                             "csrf_token": planted})
    assert response.status_code == 302 and _signed_in(victim)
    # The token the attacker knows no longer works in the victim's signed-in session...
    forged = victim.post("/profile", data={"display_name": "Hijacked", "interests_choice": "none",
                                           "csrf_token": planted})
    assert forged.status_code == 400
    # ...while the page's own token does.
    own = csrf_from(victim.get("/profile").get_data(as_text=True))
    assert own != planted
    assert victim.post("/profile", data={"display_name": "Dr Reader A", "interests_choice": "none",
                                         "csrf_token": own}).status_code == 302


def test_an_unknown_or_malformed_session_secret_signs_nobody_in(app, world):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "x" * 500
        session["_fresh"] = True
    assert not _signed_in(client)
