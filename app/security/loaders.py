"""Load an object for the person asking, or answer 404: one helper per object type, for the views.

Services return None for what is not there; these helpers turn that into the answer a visitor
gets, in the same words on every page and in the API (where app.errors renders it as JSON). What a
visitor may not read answers 404, as if it did not exist (it is not there for them); what they may
read but not change answers 403.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, Group, GroupSession, JoinPolicy, Study, User
from app.security.permissions import Permission, can
from app.services import articles as article_service
from app.services import authoring, group_sessions, groups
from app.services.moderation_queue import get_for_review
from app.services.visibility import can_read, is_member

NO_PUBLISHED_ARTICLE = "There is no published article at this address."
NO_ANNOTATION = "There is no annotation at this address, or you may not read it."
NO_GROUP = "There is no journal club at this address, or you are not one of its members."


def get_published_article_or_404(slug: str, *, references: bool = True) -> Article:
    """Return the published article at `slug` (with its references unless `references` is False), or answer 404."""
    return article_service.get_published(slug, references=references) or abort(404, description=NO_PUBLISHED_ARTICLE)


def get_article_or_404(slug: str) -> Article:
    """Return the article at `slug` whatever its status (for editors), or answer 404."""
    return authoring.find_article(slug) or abort(404, description="There is no article at this address.")


def get_annotation_or_404(annotation_id: int, *, editable: bool = False) -> Annotation:
    """Load an annotation the current user may read (404 otherwise); with `editable`, one they may change (403)."""
    annotation = db.session.get(Annotation, annotation_id)
    if annotation is None or not can_read(current_user, annotation):
        abort(404, description=NO_ANNOTATION)
    if annotation.article.status != ArticleStatus.PUBLISHED and not can(current_user, Permission.EDIT_ARTICLES):
        abort(404, description=NO_ANNOTATION)
    if editable and not (can(current_user, Permission.ANNOTATE) and annotation.author_id == current_user.id):
        abort(403, description="Only the author can change this annotation.")
    return annotation


def get_annotation_for_review_or_404(annotation_id: int, *, panel: bool = True) -> Annotation:
    """Return an annotation the current user moderates, in any status, or answer 404 (private notes too).

    `panel` False (the API) leaves out journal clubs' annotations for site moderators: they read those
    only in the panel, while flagged.
    """
    return (get_for_review(annotation_id, current_user, panel=panel)
            or abort(404, description="There is no annotation with this number."))


def get_study_or_404(study_id: int) -> Study:
    """Return the study with this number, or answer 404."""
    return db.get_or_404(Study, study_id, description="There is no study with this number.")


def get_user_or_404(user_id: int) -> User:
    """Return the account with this number, or answer 404."""
    return db.get_or_404(User, user_id, description="There is no account with this number.")


def get_group_or_404(slug: str, *, open_to_all: bool = False) -> Group:
    """Return the group at `slug` for one of its members, or answer 404 (as if it did not exist).

    With `open_to_all`, an open, active group is also returned to a signed-in non-member (its page
    offers to join, and shows nothing of its discussion).
    """
    group = groups.find(slug)
    if group is None:
        abort(404, description=NO_GROUP)
    if is_member(current_user.id, group.id):
        return group
    if open_to_all and group.join_policy == JoinPolicy.OPEN and not group.is_archived:
        return group
    abort(404, description=NO_GROUP)


def get_group_session_or_404(group: Group, session_id: int) -> GroupSession:
    """Return the group's session with this number, or answer 404."""
    return group_sessions.find(group, session_id) or abort(404, description="This group has no session with this "
                                                                              "number.")
