"""The data model, one module per aggregate, re-exported here."""
from app.models.annotation import Annotation, AnnotationKind, AnnotationRevision, AnnotationStatus, Visibility
from app.models.article import Article, ArticleRevision, ArticleStatus
from app.models.moderation import Flag, FlagReason, ModerationLog, Notification
from app.models.study import Citation, Study
from app.models.token import ApiToken
from app.models.user import Role, User, UserSession

__all__ = [
    "ApiToken",
    "Flag",
    "FlagReason",
    "ModerationLog",
    "Notification",
    "Annotation",
    "AnnotationKind",
    "AnnotationRevision",
    "AnnotationStatus",
    "Article",
    "ArticleRevision",
    "ArticleStatus",
    "Citation",
    "Role",
    "Study",
    "User",
    "UserSession",
    "Visibility",
]
