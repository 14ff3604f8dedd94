"""Accounts: clinicians, moderators and admins."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class Role(enum.StrEnum):
    """What an account may do; each role includes the ones before it."""

    READER = "reader"
    MODERATOR = "moderator"
    ADMIN = "admin"


NONE_DECLARED = "None declared"


def new_session_secret() -> str:
    """Return a fresh random secret naming one signed-in session (kept in the browser's cookies only)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person with an account; their profile is shown beside their public annotations."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email_lower", func.lower("email"), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(100))
    profession: Mapped[str] = mapped_column(String(120), default="")
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    # None means "not stated yet"; NONE_DECLARED is an explicit choice.
    competing_interests: Mapped[str | None] = mapped_column(Text, nullable=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        value_enum(Role, "user_role"),
        default=Role.READER,
    )
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_indefinitely: Mapped[bool] = mapped_column(Boolean, default=False)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An ORCID iD in its hyphenated form (0000-0002-1825-0097), checked when saved.
    orcid: Mapped[str | None] = mapped_column(String(19), nullable=True)
    # Starting or replying to a thread follows it, unless the person turns this off.
    auto_follow: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # An IANA time zone (Europe/London): session times are shown and entered in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # False from a sign-up on the web until its one-time emailed link is followed; such an account cannot
    # sign in. Accounts made otherwise (an admin's command, the demo) are confirmed from the start.
    email_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The secret of the session this object was loaded for (or just started), never stored: Flask-Login
    # puts it in the session and remember-me cookies in place of the primary key.
    session_secret = None

    def get_id(self) -> str:
        """Identify the signed-in session (its secret), not the account: each session can be ended alone."""
        if not self.session_secret:
            raise RuntimeError("No session was started for this account: call accounts.start_session first.")
        return self.session_secret

    @property
    def is_moderator(self) -> bool:
        """Tell whether the account holds a moderator's powers now: a moderator or admin, not suspended."""
        return self.role in (Role.MODERATOR, Role.ADMIN) and not self.is_suspended

    @property
    def is_admin(self) -> bool:
        """Tell whether the account holds an admin's powers now: an admin, not suspended."""
        return self.role == Role.ADMIN and not self.is_suspended

    @property
    def is_suspended(self) -> bool:
        if self.suspended_indefinitely:
            return True
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def interests_statement(self) -> str:
        """Return the competing-interests statement as shown to readers."""
        if self.competing_interests is None:
            return "Competing interests not stated"
        return self.competing_interests

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(db.Model):
    """One signed-in session (a browser, with or without "keep me signed in"), ended on its own at sign-out.

    Only the SHA-256 digest of the session's secret is stored; the secret lives in the session and
    remember-me cookies. A session counts while it is neither revoked nor expired.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()
