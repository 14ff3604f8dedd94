"""Who may read which annotation: the one rule every page, count, API answer, export and search uses.

A reader sees published public annotations, and their own annotations whatever their visibility or
moderation status (with a badge saying where they stand), except removed ones. Annotations in a
journal club (visibility "group") are read by the group's current members only: its published ones
by every member, a pending or hidden one by its author while they are a member. Membership is read
from the database on every check, so a member who leaves or is removed loses access at once, to
their own group annotations too. Nobody else sees private, pending, hidden, removed or group content
outside the moderation panel (app.services.moderation_scope).

The article page shows one layer at a time (`Layer`): the public layer (public annotations and the
reader's own notes), one of the reader's groups, or "mine" (the threads the reader started, in any
audience). `layer_clause` narrows `readable_clause` to a layer; it never widens it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import Annotation, AnnotationStatus, Group, GroupMembership, User, Visibility


def viewer_id_of(viewer: User | None) -> int | None:
    """Return the id of a signed-in viewer, or None (anonymous)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def member_group_ids(user_id: int):
    """Return a SELECT of the ids of the groups `user_id` belongs to (for use inside a condition)."""
    return select(GroupMembership.group_id).where(GroupMembership.user_id == user_id)


def is_member(user_id: int | None, group_id: int | None) -> bool:
    """Tell whether `user_id` belongs to `group_id` now (one query)."""
    if user_id is None or group_id is None:
        return False
    return bool(db.session.scalar(select(exists().where(GroupMembership.user_id == user_id,
                                                        GroupMembership.group_id == group_id))))


def public_clause(annotation=Annotation) -> ColumnElement[bool]:
    """Return the SQL condition for annotations everyone may read (`annotation`: the entity or an alias of it)."""
    return and_(annotation.visibility == Visibility.PUBLIC, annotation.status == AnnotationStatus.PUBLISHED)


def readable_clause(viewer: User | None, annotation=Annotation) -> ColumnElement[bool]:
    """Return the SQL condition for annotations `viewer` may read (anonymous when None; `annotation`: or an alias)."""
    viewer_id = viewer_id_of(viewer)
    if viewer_id is None:
        return public_clause(annotation)
    own = and_(annotation.author_id == viewer_id, annotation.status != AnnotationStatus.REMOVED)
    in_my_groups = and_(annotation.visibility == Visibility.GROUP, annotation.group_id.in_(member_group_ids(viewer_id)),
                        or_(annotation.status == AnnotationStatus.PUBLISHED, own))
    return or_(public_clause(annotation), and_(annotation.visibility != Visibility.GROUP, own), in_my_groups)


def authored_clause(viewer: User) -> ColumnElement[bool]:
    """Return the SQL condition for everything `viewer` wrote, whatever its visibility or status (their own data)."""
    viewer_id = viewer_id_of(viewer)
    if viewer_id is None:
        return Annotation.id.is_(None)
    return Annotation.author_id == viewer_id


def is_public(annotation: Annotation) -> bool:
    """Tell whether everyone may read `annotation`."""
    return annotation.visibility == Visibility.PUBLIC and annotation.status == AnnotationStatus.PUBLISHED


def can_read(viewer: User | None, annotation: Annotation) -> bool:
    """Tell whether `viewer` may read `annotation` (the Python twin of readable_clause; a group's costs a query)."""
    if is_public(annotation):
        return True
    viewer_id = viewer_id_of(viewer)
    if viewer_id is None:
        return False
    own = annotation.author_id == viewer_id and annotation.status != AnnotationStatus.REMOVED
    if annotation.visibility == Visibility.GROUP:
        return (annotation.status == AnnotationStatus.PUBLISHED or own) and is_member(viewer_id, annotation.group_id)
    return own


# --- Layers of the article page -------------------------------------------------------------------

PUBLIC, GROUP, MINE = "public", "group", "mine"


@dataclass(frozen=True)
class Layer:
    """One layer of the article page: "public", "mine", or "group" with the group shown."""

    kind: str = PUBLIC
    group: Group | None = None

    @property
    def param(self) -> str:
        """Return the layer's value in the page's `layer` query parameter."""
        return f"group:{self.group.slug}" if self.kind == GROUP and self.group is not None else self.kind

    @property
    def shared(self) -> bool:
        """Tell whether the layer is the same for every reader (only the public layer may be cached for all)."""
        return self.kind == PUBLIC


PUBLIC_LAYER = Layer()
MINE_LAYER = Layer(MINE)


def layer_clause(viewer: User | None, layer: Layer = PUBLIC_LAYER, annotation=Annotation) -> ColumnElement[bool]:
    """Return the SQL condition for what `viewer` reads in `layer` (always within readable_clause)."""
    readable = readable_clause(viewer, annotation)
    if layer.kind == GROUP and layer.group is not None:
        return and_(readable, annotation.group_id == layer.group.id)
    if layer.kind == MINE:
        viewer_id = viewer_id_of(viewer)
        if viewer_id is None:
            return annotation.id.is_(None)
        mine = aliased(Annotation)
        my_roots = select(mine.id).where(mine.author_id == viewer_id, mine.parent_id.is_(None))
        started = or_(and_(annotation.parent_id.is_(None), annotation.author_id == viewer_id),
                      annotation.root_id.in_(my_roots))
        return and_(readable, started)
    return and_(readable, annotation.group_id.is_(None))
