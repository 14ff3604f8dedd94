"""The data model, one module per aggregate, re-exported here."""
from app.models.annotation import (
    AnchorEvent,
    AnchorRecord,
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    HelpfulVote,
    Visibility,
)
from app.models.article import Article, ArticleRevision, ArticleStatus
from app.models.delivery import NotificationPreference, OutboxMessage
from app.models.evidence import Appraisal, NoticeKind, StudyNotice
from app.models.follow import ArticleVisit, Follow, FollowTarget
from app.models.group import (
    Group,
    GroupInvitation,
    GroupMembership,
    GroupRole,
    GroupSession,
    JoinPolicy,
    SessionAttendance,
    SessionPrompt,
)
from app.models.moderation import ACTION_LABELS, Action, Flag, FlagReason, ModerationLog, Notification
from app.models.search import SearchDocument
from app.models.study import Citation, Study
from app.models.token import ApiToken
from app.models.user import Role, User, UserSession

__all__ = [
    "ACTION_LABELS",
    "Action",
    "AnchorEvent",
    "AnchorRecord",
    "ArticleVisit",
    "Follow",
    "FollowTarget",
    "Group",
    "GroupInvitation",
    "GroupMembership",
    "GroupRole",
    "GroupSession",
    "JoinPolicy",
    "SessionAttendance",
    "SessionPrompt",
    "HelpfulVote",
    "NotificationPreference",
    "OutboxMessage",
    "ApiToken",
    "Appraisal",
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
    "NoticeKind",
    "Role",
    "SearchDocument",
    "Study",
    "StudyNotice",
    "User",
    "UserSession",
    "Visibility",
]
