"""Accounts: sign-up, sign-in, profile, password and role changes."""
from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import ApiToken, Role, User
from app.models.base import utcnow
from app.models.user import new_session_token
from app.security.passwords import PasswordRejected, check_policy, hash_password, verify_password
from app.services.articles import bump_display_for_author
from app.services.errors import Conflict, ServiceError
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


def _clean_profile(fields: dict) -> dict:
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
    profile = _clean_profile({"display_name": display_name, "profession": profession,
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
    """Return the account when email and password match, else None (same cost either way)."""
    user = find_by_email(email or "")
    if not verify_password(user.password_hash if user else None, password or ""):
        return None
    return user


def update_profile(user: User, **fields) -> User:
    """Change profile fields (display name, profession, affiliation, competing interests, ORCID iD).

    Raises ServiceError naming the field when a value is refused (an ORCID iD with a wrong check digit).
    """
    if "orcid" in fields:
        from app.bibliography.identifiers import normalise_orcid

        try:
            user.orcid = normalise_orcid(fields.pop("orcid"))
        except ValueError as exc:
            raise ServiceError(str(exc), "orcid") from None
    for name, value in _clean_profile(fields).items():
        setattr(user, name, value)
    if "competing_interests" in fields and not (fields["competing_interests"] or "").strip():
        user.competing_interests = None
    db.session.flush()
    # Names, professions and interests statements are printed beside annotations on cached pages.
    bump_display_for_author(user.id)
    return user


def change_password(user: User, current_password: str, new_password: str) -> str:
    """Replace the password after checking the current one; end every other session.

    Returns the new session token so the caller can keep the current session signed in.
    """
    if not verify_password(user.password_hash, current_password or ""):
        raise ServiceError("Current password is wrong.", "current_password")
    try:
        check_policy(new_password, email=user.email, display_name=user.display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "new_password") from None
    user.password_hash = hash_password(new_password)
    return end_all_sessions(user)


def set_password(user: User, new_password: str) -> None:
    """Set a password without knowing the old one (CLI, demo seed); policy still applies."""
    try:
        check_policy(new_password, email=user.email, display_name=user.display_name)
    except PasswordRejected as exc:
        raise ServiceError(str(exc), "password") from None
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def end_all_sessions(user: User) -> str:
    """End every session, remember-me cookie and API token of `user`; return the new session token.

    Used on password change, "sign out everywhere", suspension and role change: a credential
    issued before any of these must not outlive it.
    """
    user.session_token = new_session_token()
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
    db.session.flush()
    return user.session_token


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
