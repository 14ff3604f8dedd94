"""Pre-moderation by trust: a new account's first public annotations wait for a moderator.

`PREMODERATION_COUNT` (config) says how many: after that many are published the account is
trusted (see `moderation._trust_if_earned`) and its annotations are published at once.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Annotation, AnnotationStatus, User, Visibility


def premoderation_count() -> int | None:
    """Return how many public annotations of a new account wait for a moderator (None: all of them)."""
    raw = str(current_app.config.get("PREMODERATION_COUNT", "3")).strip().lower()
    return None if raw == "all" else int(raw)


def initial_status(author: User, visibility: Visibility) -> AnnotationStatus:
    """Decide whether a new annotation by `author` is published at once or waits as pending."""
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

