"""Who moderates what: the site's moderators the public annotations, each journal club's owner and
moderators their own group's.

A site moderator or admin reads a group's annotation only in the moderation panel and only while it
is flagged (open flags); each such opening is written to the moderation log (Action.READ_GROUP), and
the API and the queue search never show group annotations to them. A group's owner and moderators
see all of their group's queue (pending, flagged, hidden), in the same panel, and nothing else
unless they are site moderators too. Private notes are nobody's to moderate.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from app.models import Annotation, User, Visibility
from app.services.groups import moderated_group_ids, moderates_any
from app.services.visibility import viewer_id_of


def _is_site_moderator(user: User | None) -> bool:
    return viewer_id_of(user) is not None and user.is_moderator


def _moderates_group_of(user: User | None, annotation: Annotation) -> bool:
    from app.services.groups import role_of

    if annotation.group is None or viewer_id_of(user) is None or user.is_suspended:
        return False
    role = role_of(annotation.group, user)
    return role is not None and role.moderates


def has_panel(user: User | None) -> bool:
    """Tell whether `user` may open the moderation panel: a site moderator, or a group's owner or moderator."""
    return _is_site_moderator(user) or moderates_any(user)


def scope_clause(viewer: User | None, *, panel: bool = True) -> ColumnElement[bool]:
    """Return the SQL condition for annotations `viewer` moderates (`panel`: in the panel, else the API/search).

    `viewer` None is no person: the whole queue, every annotation but private notes (commands, reports).
    """
    if viewer is None:
        return Annotation.visibility != Visibility.PRIVATE
    parts = []
    if _is_site_moderator(viewer):
        parts.append(Annotation.visibility == Visibility.PUBLIC)
        if panel:
            parts.append(and_(Annotation.visibility == Visibility.GROUP, Annotation.open_flags > 0))
    if viewer_id_of(viewer) is not None and not viewer.is_suspended:
        parts.append(and_(Annotation.visibility == Visibility.GROUP,
                          Annotation.group_id.in_(moderated_group_ids(viewer))))
    return or_(*parts) if parts else false()


def can_moderate(viewer: User | None, annotation: Annotation, *, panel: bool = True) -> bool:
    """Tell whether `viewer` may review and decide on `annotation` (the Python twin of scope_clause)."""
    if annotation.visibility == Visibility.PRIVATE:
        return False
    if annotation.visibility == Visibility.PUBLIC:
        return _is_site_moderator(viewer)
    if _moderates_group_of(viewer, annotation):
        return True
    return panel and _is_site_moderator(viewer) and annotation.open_flags > 0


def read_is_logged(viewer: User | None, annotation: Annotation) -> bool:
    """Tell whether opening `annotation` in the panel is a site moderator's reading of group content (logged)."""
    return annotation.visibility == Visibility.GROUP and not _moderates_group_of(viewer, annotation)
