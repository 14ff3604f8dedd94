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
from app.models import Annotation, Article, ArticleStatus, Study, User
from app.security.permissions import Permission, can
from app.services import articles as article_service
from app.services import authoring
from app.services.moderation_queue import get_for_review
from app.services.visibility import can_read

NO_PUBLISHED_ARTICLE = "There is no published article at this address."
NO_ANNOTATION = "There is no annotation at this address, or you may not read it."


def get_published_article_or_404(slug: str) -> Article:
    """Return the published article at `slug` with its references, or answer 404."""
    return article_service.get_published(slug) or abort(404, description=NO_PUBLISHED_ARTICLE)


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
