"""Accounts: sign-up, sign-in and the sessions it starts, profile, password and role changes.

Each sign-in starts a session of its own, recorded as the digest of a random secret that only the
browser's cookies hold: signing out ends that session on the server, so a copied session or
remember-me cookie stops working at once; a password change, "sign out everywhere", suspension
and a change of role end every session (and API token) of the account.

Password checks and hashing (scrypt) are slow: the functions that do them say so, and callers run
them outside any write transaction (`app.database.engine.reading_only`).
"""
from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update

from app.extensions import db
from app.models import ApiToken, Role, User, UserSession
from app.models.base import utcnow
from app.models.user import new_session_secret
from app.security.passwords import PasswordRejected, check_policy, hash_password, verify_password
from app.services.articles import bump_display_for_author
from app.services.errors import Conflict, ServiceError
from app.services.tokens import digest
from app.text.sanitize import clean_text

log = logging.getLogger("postil.security")

FIELD_LIMITS = {"display_name": 100, "profession": 120, "affiliation": 200, "competing_interests": 2000}


class EmailTaken(Conflict):
    """An account already uses this email address; nothing was written."""


def normalise_email(email: str) -> str:
    """Return the email in the form stored and compared (syntax-checked, lower-cased)."""
    email = (email or "").strip()
    if len(email) > 254:
        raise ServiceError("Email address is too long (254 characters at most).", "email")
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError(f"Email address is not valid: {exc}", "email") from None
    return result.normalized.lower()


def find_by_email(email: str) -> User | None:
    """Return the account with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def clean_profile(fields: dict) -> dict:
    """Return the profile fields cleaned and checked against their limits; raise ServiceError naming the field."""
    cleaned = {}
    for name, limit in FIELD_LIMITS.items():
        if name not in fields or fields[name] is None:
            continue
        value = clean_text(str(fields[name]))
        if len(value) > limit:
            label = name.replace("_", " ").capitalize()
            raise ServiceError(f"{label} is too long ({len(value)} characters; {limit} at most).", name)
        cleaned[name] = value
    if "display_name" in cleaned and not cleaned["display_name"]:
        raise ServiceError("Display name is required.", "display_name")
    return cleaned


def register(email: str, password: str, display_name: str, profession: str = "", affiliation: str = "",
             competing_interests: str | None = None, role: Role = Role.READER) -> User:
    """Create an account; raise ServiceError naming the field when the input is refused.

    Raises EmailTaken (after spending the same hashing work as a success) when the address is taken.
    """
    email = normalise_email(email)
    profile = clean_profile({"display_name": display_name, "profession": profession,
                              "affiliation": affiliation, "competing_interests": competing_interests})
    try:
        check_policy(password, email=email, display_name=display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "password") from None
    # Hashed before the address is looked up, so that signing up with a registered address costs
    # the same scrypt work as a new one and the response time does not tell them apart.
    password_hash = hash_password(password)
    if find_by_email(email) is not None:
        raise EmailTaken("An account with this email address already exists. Sign in, or reset "
                         "your password.", "email")
    user = User(email=email, password_hash=password_hash, role=role,
                display_name=profile["display_name"], profession=profile.get("profession", ""),
                affiliation=profile.get("affiliation", ""),
                competing_interests=profile.get("competing_interests") or None)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the account when email and password match, else None (same cost either way; slow: scrypt)."""
    user = find_by_email(email or "")
    if not verify_password(user.password_hash if user else None, password or ""):
        return None
    return user


# --- Sessions ------------------------------------------------------------------------------------

MAX_SECRET_LENGTH = 100


def start_session(user: User) -> str:
    """Record a new signed-in session of `user` and return its secret (also set as `user.session_secret`).

    The session lasts as long as a remember-me cookie at most. Sessions of the account that can no
    longer be used (ended or expired) are forgotten at the same time.
    """
    now = utcnow()
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, or_(UserSession.revoked_at.is_not(None), UserSession.expires_at <= now)))
    secret = new_session_secret()
    db.session.add(UserSession(user_id=user.id, digest=digest(secret), created_at=now,
                               expires_at=now + current_app.config["REMEMBER_COOKIE_DURATION"]))
    db.session.flush()
    user.session_secret = secret
    return secret


def session_digest(user: User) -> str | None:
    """Return the stored digest naming the session `user` was loaded for (None without a session)."""
    return digest(user.session_secret) if user.session_secret else None


# Built once: this runs on every signed-in request.
_USER_FOR_SESSION = select(User).join(UserSession, UserSession.user_id == User.id).where(
    UserSession.digest == bindparam("digest"), UserSession.revoked_at.is_(None),
    UserSession.expires_at > bindparam("now"))


def user_for_session(secret: str | None) -> User | None:
    """Return the account of the live session named by `secret` (None when unknown, ended or expired)."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    user = db.session.scalar(_USER_FOR_SESSION, {"digest": digest(secret), "now": utcnow()})
    if user is not None:
        user.session_secret = secret
    return user


def end_session(secret: str | None) -> None:
    """End one session (signing out): its cookies stop working at once, wherever they were copied."""
    if secret:
        db.session.execute(update(UserSession).where(UserSession.digest == digest(secret),
                                                     UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def update_profile(user: User, **fields) -> User:
    """Change profile fields (display name, profession, affiliation, competing interests, ORCID iD, time zone).

    Raises ServiceError naming the field when a value is refused (an ORCID iD with a wrong check digit,
    an unknown time zone).
    """
    if "time_zone" in fields:
        from app.text.clock import BadTime, zone

        try:
            user.time_zone = zone(fields.pop("time_zone")).key
        except BadTime as exc:
            raise ServiceError(str(exc), "time_zone") from None
    if "orcid" in fields:
        from app.bibliography.identifiers import normalise_orcid

        try:
            user.orcid = normalise_orcid(fields.pop("orcid"))
        except ValueError as exc:
            raise ServiceError(str(exc), "orcid") from None
    for name, value in clean_profile(fields).items():
        setattr(user, name, value)
    if "competing_interests" in fields and not (fields["competing_interests"] or "").strip():
        user.competing_interests = None
    db.session.flush()
    # Names, professions and interests statements are printed beside annotations on cached pages.
    bump_display_for_author(user.id)
    return user


def new_password_hash(user: User, current_password: str, new_password: str) -> str:
    """Check the current password and the new one's policy; return the new password's hash.

    Slow (two scrypt computations) and read-only: call it outside a write transaction, then
    `replace_password`. Raises ServiceError naming the field at fault.
    """
    if not verify_password(user.password_hash, current_password or ""):
        raise ServiceError("Current password is wrong.", "current_password")
    try:
        check_policy(new_password, email=user.email, display_name=user.display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "new_password") from None
    return hash_password(new_password)


def replace_password(user: User, password_hash: str, keep_session: str | None = None) -> None:
    """Store the hash from `new_password_hash`; end every session and API token but the session `keep_session`."""
    user.password_hash = password_hash
    end_all_sessions(user, keep_session=keep_session)


def set_password(user: User, new_password: str) -> None:
    """Set a password without knowing the old one (CLI, demo seed); policy still applies; sessions end."""
    try:
        check_policy(new_password, email=user.email, display_name=user.display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "password") from None
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def end_all_sessions(user: User, keep_session: str | None = None) -> None:
    """End every session, remember-me cookie and API token of `user`, except the session `keep_session`.

    Used on password change, "sign out everywhere", suspension and role change: a credential
    issued before any of these must not outlive it.
    """
    now = utcnow()
    sessions = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_session:
        sessions = sessions.where(UserSession.digest != digest(keep_session))
    db.session.execute(sessions.values(revoked_at=now))
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.flush()


def parse_role(value: str) -> Role:
    """Return the Role named by `value`, or raise ServiceError listing the valid roles."""
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ServiceError(f"Unknown role {value!r}: choose one of {valid}.", "role") from None


def set_role(user: User, role: Role) -> None:
    """Give `user` a new role; their sessions end so the change applies at once."""
    if user.role != role:
        user.role = role
        end_all_sessions(user)
