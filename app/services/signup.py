"""Sign-up by email confirmation: an account starts unconfirmed and a one-time link, emailed, confirms it.

The answer to a sign-up never says whether the address had an account (that would let anyone test
addresses): every sign-up costs one password hash and queues one email. A new address gets an
unconfirmed account and its confirmation link; an address whose account is still unconfirmed takes the
newer details (only the address's owner can confirm, so the latest sign-up wins) and a new link; an
address with a confirmed account gets a note saying so, with a link to sign in, and the account is
untouched. The link carries the page the newcomer came from, so that confirming brings them back to it.

A link is signed with the app's secret key and names the account, its address and a fingerprint of its
password hash: it stops working once used (the account is confirmed), when a newer sign-up replaces the
password, and after CONFIRMATION_DAYS.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.security.passwords import PasswordRejected, check_policy, hash_password
from app.services import accounts, outbox
from app.services.errors import BadRequest, ServiceError

log = logging.getLogger("postil.mail")
SALT = "postil.confirm-email"
CONFIRMATION_DAYS = 3


@dataclass(frozen=True)
class Newcomer:
    """What a sign-up form carries, already read from the form."""

    email: str
    password: str
    display_name: str
    profession: str = ""
    affiliation: str = ""
    competing_interests: str | None = None


@dataclass(frozen=True)
class Confirmation:
    """What a valid link names: the account to confirm and the page to return to."""

    user: User
    next_path: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_token(user: User, next_path: str | None) -> str:
    """Return the signed token confirming `user`'s address (and carrying the page to return to)."""
    return _serializer().dumps({"u": user.id, "e": user.email, "p": _fingerprint(user), "n": next_path or ""})


def sign_up(newcomer: Newcomer, next_path: str | None, link_for: Callable[[str], str],
            sign_in_link: str) -> User | None:
    """Register or refresh an unconfirmed account and email its link, or tell a registered address; flush.

    Returns the account that was created or refreshed, None when the address had a confirmed account
    (the caller answers alike). Raises ServiceError naming the field for refused input. Slow (scrypt):
    run it with no write transaction open.
    """
    email = accounts.normalise_email(newcomer.email)
    profile = accounts.clean_profile({"display_name": newcomer.display_name, "profession": newcomer.profession,
                                      "affiliation": newcomer.affiliation,
                                      "competing_interests": newcomer.competing_interests})
    try:
        check_policy(newcomer.password, email=email, display_name=newcomer.display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "password") from None
    password_hash = hash_password(newcomer.password)  # before the look-up: the same work either way
    user = accounts.find_by_email(email)
    if user is not None and user.email_confirmed:
        _tell_registered(user, sign_in_link)
        return None
    if user is None:
        user = User(email=email, email_confirmed=False)
        db.session.add(user)
    user.password_hash = password_hash
    user.display_name = profile["display_name"]
    user.profession = profile.get("profession", "")
    user.affiliation = profile.get("affiliation", "")
    user.competing_interests = profile.get("competing_interests") or None
    db.session.flush()
    _send_link(user, link_for(make_token(user, next_path)))
    return user


def _send_link(user: User, link: str) -> None:
    text = (f"Hello {user.display_name},\n\nConfirm your email address to finish signing up to Postil (the link "
            f"works once, for {CONFIRMATION_DAYS} days):\n{link}\n\n"
            "If you did not sign up, ignore this email: no account is made without this confirmation.\n")
    outbox.queue_account_email(key=f"confirm-email:{user.id}:{_fingerprint(user)}",
                               subject="Confirm your email address for Postil", text=text, user=user)
    if not current_app.config.get("MAIL_SERVER"):
        # Development without a mail server: the newcomer (the developer) finds the link in the log.
        log.info("confirmation link for account %s (no MAIL_SERVER, not emailed): %s", user.id, link)


def _tell_registered(user: User, sign_in_link: str) -> None:
    text = (f"Hello {user.display_name},\n\nSomeone, probably you, tried to sign up to Postil with this address, "
            "which already has an account. Nothing was changed. If it was you, sign in with your existing "
            f"password:\n{sign_in_link}\n\nIf it was not you, you can ignore this email.\n")
    outbox.queue_account_email(key=_once_key(user),
                               subject="You already have a Postil account", text=text, user=user)


def _once_key(user: User) -> str:
    """Key the 'already registered' note per account and day: repeated sign-ups do not flood its inbox."""
    return f"sign-up-registered:{user.id}:{utcnow():%Y-%m-%d}"


def read_token(token: str) -> Confirmation:
    """Return what a confirmation link names; raise BadRequest when forged, expired, used or superseded."""
    try:
        data = _serializer().loads(token or "", max_age=CONFIRMATION_DAYS * 86400)
    except SignatureExpired:
        raise BadRequest("This confirmation link has expired: sign up again with the same address to get a new "
                         "one.", "token") from None
    except BadSignature:
        raise BadRequest("This confirmation link is not valid: it may have been cut or changed. Use the whole "
                         "link from the email.", "token") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.email != data.get("e"):
        raise BadRequest("This confirmation link no longer names an account: sign up again.", "token")
    if user.email_confirmed:
        raise BadRequest("This link was already used: your address is confirmed. Sign in.", "token")
    if _fingerprint(user) != data.get("p"):
        raise BadRequest("A newer sign-up with this address replaced this link: use the link in the latest email.",
                         "token")
    return Confirmation(user, data.get("n") or None)


def confirm(confirmation: Confirmation) -> None:
    """Mark the address confirmed, which uses the link up; flush."""
    confirmation.user.email_confirmed = True
    db.session.flush()
