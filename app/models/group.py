"""Journal clubs: groups of readers with their members, invitations, sessions, prompts and attendance.

A group is the third place an annotation can live (beside public and "only me"): its annotations
carry `group_id` and are readable by its current members only (app.services.visibility). Members
are rows of `group_memberships`; leaving deletes the row, so access ends at once, while the
annotations stay in the group under their author's name.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow, value_enum


class GroupRole(enum.StrEnum):
    """A member's role in one group; each includes the powers of the ones after it."""

    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"owner": "Owner", "moderator": "Moderator", "member": "Member"}[self.value]

    @property
    def moderates(self) -> bool:
        """Tell whether the role moderates the group (owners and moderators)."""
        return self in (GroupRole.OWNER, GroupRole.MODERATOR)


class JoinPolicy(enum.StrEnum):
    """Who may join a group."""

    INVITATION = "invitation"
    OPEN = "open"

    @property
    def label(self) -> str:
        return {"invitation": "By invitation only", "open": "Open to anyone signed in"}[self.value]


class Group(db.Model):
    """A journal club: a name, a description, members and a join policy."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    join_policy: Mapped[JoinPolicy] = mapped_column(value_enum(JoinPolicy, "group_join_policy"),
                                                    default=JoinPolicy.INVITATION)
    # New members' first group annotations wait for a group moderator (app.services.premoderation).
    premoderate_new_members: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An archived group is read-only: its members still read it, nobody writes in it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.slug}>"


class GroupMembership(db.Model):
    """One person's membership of one group, with their role there."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[GroupRole] = mapped_column(value_enum(GroupRole, "group_role"), default=GroupRole.MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship()  # noqa: F821


class GroupInvitation(db.Model):
    """An invitation to join a group: a single-use signed link, or one sent to an email address.

    Only the SHA-256 digest of the link's secret is stored; the link itself is shown once (or
    emailed) and admits one person, once, until it expires or is withdrawn.
    """

    __tablename__ = "group_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # Set for an invitation sent to an address; only that address's account may accept it.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    group: Mapped[Group] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])  # noqa: F821


class GroupSession(db.Model):
    """A meeting of a group about one article: when (UTC), how long, the agenda and its prompts."""

    __tablename__ = "group_sessions"
    __table_args__ = (Index("ix_group_sessions_group_starts", "group_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    agenda: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    article: Mapped[Article] = relationship()  # noqa: F821
    prompts: Mapped[list[SessionPrompt]] = relationship(back_populates="session", order_by="SessionPrompt.position",
                                                        cascade="all, delete-orphan")


class SessionPrompt(db.Model):
    """A question annotation in the group, pinned to a passage as a prompt of a session (shown first)."""

    __tablename__ = "session_prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"), index=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=1)

    session: Mapped[GroupSession] = relationship(back_populates="prompts")
    annotation: Mapped[Annotation] = relationship()  # noqa: F821


class SessionAttendance(db.Model):
    """A member saying they attended a session (the CPD record reads it)."""

    __tablename__ = "session_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
