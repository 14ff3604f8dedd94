"""The data model, one module per aggregate, re-exported here."""
from app.models.annotation import (
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    HelpfulVote,
    Visibility,
)
from app.models.article import Article, ArticleRevision, ArticleStatus
from app.models.delivery import NotificationPreference, OutboxMessage
from app.models.follow import ArticleVisit, Follow, FollowTarget
from app.models.moderation import Flag, FlagReason, ModerationLog, Notification
from app.models.study import Citation, Study
from app.models.token import ApiToken
from app.models.user import Role, User

__all__ = [
    "ArticleVisit",
    "Follow",
    "FollowTarget",
    "HelpfulVote",
    "NotificationPreference",
    "OutboxMessage",
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
    "Visibility",
]
