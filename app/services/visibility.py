"""Who may read which annotation: the one rule every page, count, API answer, export and search uses.

A reader sees published public annotations, and their own annotations whatever their visibility or
moderation status (with a badge saying where they stand), except removed ones. Nobody else sees
private, pending, hidden or removed content outside the moderation panel.
"""
from __future__ import annotations

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from app.models import Annotation, AnnotationStatus, User, Visibility


def _viewer_id(viewer: User | None) -> int | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def public_clause(annotation=Annotation) -> ColumnElement[bool]:
    """Return the SQL condition for annotations everyone may read (`annotation`: the entity or an alias of it)."""
    return and_(annotation.visibility == Visibility.PUBLIC, annotation.status == AnnotationStatus.PUBLISHED)


def readable_clause(viewer: User | None, annotation=Annotation) -> ColumnElement[bool]:
    """Return the SQL condition for annotations `viewer` may read (anonymous when None; `annotation`: or an alias)."""
    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return public_clause(annotation)
    own = and_(annotation.author_id == viewer_id, annotation.status != AnnotationStatus.REMOVED)
    return or_(public_clause(annotation), own)


def authored_clause(viewer: User) -> ColumnElement[bool]:
    """Return the SQL condition for everything `viewer` wrote, whatever its visibility or status (their own data)."""
    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return Annotation.id.is_(None)
    return Annotation.author_id == viewer_id


def is_public(annotation: Annotation) -> bool:
    """Tell whether everyone may read `annotation`."""
    return annotation.visibility == Visibility.PUBLIC and annotation.status == AnnotationStatus.PUBLISHED


def can_read(viewer: User | None, annotation: Annotation) -> bool:
    """Tell whether `viewer` may read `annotation` (the Python twin of readable_clause)."""
    if is_public(annotation):
        return True
    viewer_id = _viewer_id(viewer)
    return viewer_id is not None and annotation.author_id == viewer_id and (
        annotation.status != AnnotationStatus.REMOVED)
