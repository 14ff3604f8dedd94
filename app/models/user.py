"""Accounts: clinicians, moderators and admins."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class Role(enum.StrEnum):
    """What an account may do; each role includes the ones before it."""

    READER = "reader"
    MODERATOR = "moderator"
    ADMIN = "admin"


NONE_DECLARED = "None declared"


def new_session_token() -> str:
    """Return a fresh random session identifier (Flask-Login's alternative id)."""
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
    # Rotated on password change, sign-out-everywhere, suspension and role change: ends every other session.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_indefinitely: Mapped[bool] = mapped_column(Boolean, default=False)
    suspension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_id(self) -> str:
        """Identify the session by the rotating token, not the primary key."""
        return self.session_token

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
