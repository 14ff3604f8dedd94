"""Pre-moderation by trust: a new account's first public annotations wait for a moderator.

`PREMODERATION_COUNT` (config) says how many: after that many are published the account is
trusted (see `moderation._trust_if_earned`) and its annotations are published at once.

A journal club may ask the same of its own new members (`Group.premoderate_new_members`): their
first GROUP_PREMODERATION_COUNT annotations in the group wait for the group's owner or moderators.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Group, GroupMembership, GroupRole, User, Visibility

# How many of a new member's annotations in a pre-moderated group wait for its moderators.
GROUP_PREMODERATION_COUNT = 3


def premoderation_count() -> int | None:
    """Return how many public annotations of a new account wait for a moderator (None: all of them)."""
    raw = str(current_app.config.get("PREMODERATION_COUNT", "3")).strip().lower()
    return None if raw == "all" else int(raw)


def initial_status(author: User, visibility: Visibility, group: Group | None = None) -> AnnotationStatus:
    """Decide whether a new annotation by `author` is published at once or waits as pending."""
    if visibility == Visibility.GROUP:
        return group_initial_status(author, group)
    if visibility == Visibility.PRIVATE or author.is_moderator:
        return AnnotationStatus.PUBLISHED
    count = premoderation_count()
    if count is None:
        return AnnotationStatus.PENDING
    if count == 0 or author.trusted:
        return AnnotationStatus.PUBLISHED
    return AnnotationStatus.PUBLISHED if published_public_count(author.id) >= count else AnnotationStatus.PENDING


def published_public_count(author_id: int) -> int:
    """Count `author_id`'s public annotations that are published."""
    return db.session.scalar(select(func.count(Annotation.id)).where(
        Annotation.author_id == author_id, Annotation.visibility == Visibility.PUBLIC,
        Annotation.status == AnnotationStatus.PUBLISHED))



def group_initial_status(author: User, group: Group | None) -> AnnotationStatus:
    """Decide the status of `author`'s new annotation in `group`: pending while a pre-moderated new member."""
    if group is None or not group.premoderate_new_members:
        return AnnotationStatus.PUBLISHED
    role = db.session.scalar(select(GroupMembership.role).where(GroupMembership.group_id == group.id,
                                                                GroupMembership.user_id == author.id))
    if role in (GroupRole.OWNER, GroupRole.MODERATOR):
        return AnnotationStatus.PUBLISHED
    published = db.session.scalar(select(func.count(Annotation.id)).where(
        Annotation.author_id == author.id, Annotation.group_id == group.id,
        Annotation.status == AnnotationStatus.PUBLISHED))
    return AnnotationStatus.PUBLISHED if published >= GROUP_PREMODERATION_COUNT else AnnotationStatus.PENDING
