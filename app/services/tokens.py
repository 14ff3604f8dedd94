"""Personal API tokens: issue one (shown once), recognise it on a request, list and revoke.

Only the SHA-256 digest of a token is stored, so a copy of the database yields no usable
token. A token carries 256 bits of randomness, which is why a plain fast hash is enough
(there is nothing to brute-force, unlike a password).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import ApiToken, User
from app.models.base import utcnow
from app.services.errors import Forbidden, ServiceError
from app.text.sanitize import clean_text

# Recognisable in logs and by secret scanners; not part of the secret.
TOKEN_PREFIX = "pst_"
# Characters of the token kept in clear so a user can tell their tokens apart.
SHOWN_PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
MAX_ACTIVE_TOKENS = 20
# Recording every use would turn each API read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(raw: str) -> str:
    """Return the hex SHA-256 digest under which `raw` is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for `user`; return it with the raw secret, which is never stored nor shown again.

    Raises Forbidden when the account is suspended (it reads only), ServiceError when the name is empty
    or too long, or the user has too many tokens.
    """
    from app.security.permissions import suspension_message

    if user.is_suspended:
        raise Forbidden(suspension_message(user))
    name = clean_text(name or "")
    if not name:
        raise ServiceError("Give the token a name, such as the tool or computer that will use it.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"The token name is too long: {len(name)} characters, {MAX_NAME_LENGTH} at most.",
                           "name")
    active = db.session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if active >= MAX_ACTIVE_TOKENS:
        raise ServiceError(f"You already have {active} tokens; revoke one you no longer use first.", "name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, digest=digest(raw), prefix=raw[:SHOWN_PREFIX_LENGTH],
                     created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    return token, raw


def authenticate(raw: str) -> ApiToken | None:
    """Return the live token matching `raw` (None when unknown, malformed or revoked)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.digest == digest(raw),
                                                    ApiToken.revoked_at.is_(None)))


def use_is_unrecorded(token: ApiToken) -> bool:
    """Tell whether `token`'s last use is older than the precision kept (so this use should be recorded)."""
    return token.last_used_at is None or utcnow() - token.last_used_at >= LAST_USED_PRECISION


def record_use(token_id: int) -> None:
    """Set the token's last use to now."""
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def active_tokens(user: User) -> list[ApiToken]:
    """Return `user`'s tokens that still work, newest first."""
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id.desc())))


def owned_token(user: User, token_id: int) -> ApiToken | None:
    """Return `user`'s live token `token_id`, or None (someone else's token is not found either)."""
    return db.session.scalar(select(ApiToken).where(
        ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))


def revoke(token: ApiToken) -> None:
    """Stop `token` from working from now on (idempotent)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
