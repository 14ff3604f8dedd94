"""Notifications: who hears about what, in the app and by email, written with the change they report.

`notify` is the one way to tell a person something: it writes the in-app notification and, when the
person chose "email at once" for the event's type, an outbox row, both in the caller's transaction,
so a change that is rolled back leaves no message behind and a committed one cannot lose its email.
Digests are built later from the notifications marked for them (app.services.digests). Events that
concern content (a new annotation, a mention, an accepted answer) are fanned out here: each person
hears about one event once, for the most specific reason they have, and only if they may read it.
Private notes never notify anyone; pending annotations notify when a moderator approves them. A
journal club's annotations notify its current members only (each person is checked with can_read).
"""
from __future__ import annotations

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import (
    Action,
    Annotation,
    AnnotationStatus,
    Article,
    ArticleStatus,
    FollowTarget,
    Notification,
    Study,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.services import follows, outbox
from app.services import preferences as prefs
from app.services.pagination import Page, paginate
from app.services.visibility import can_read, readable_clause
from app.text.mentions import mentioned_ids

PAGE_SIZE = 50
QUOTE_LENGTH = 80


class Kind:
    """The kinds of notification (stored as plain strings); app.services.preferences maps them to event types."""

    APPROVED = "approved"
    HIDDEN = "hidden"
    RESTORED = "restored"
    REMOVED = "removed"
    REPLY = "reply"
    THREAD_REPLY = "thread_reply"
    MENTION = "mention"
    FOLLOWED = "followed"
    ANSWER_ACCEPTED = "answer_accepted"
    ANSWER_CHOSEN = "answer_chosen"
    RETRACTION = "retraction"
    CONCERN = "concern"
    CORRECTION = "correction"
    # The article was revised under an annotation (app.services.anchoring).
    REWORDED = "reworded"
    CHANGED = "changed"
    ORPHANED = "orphaned"


# Kinds whose notification leads to the page where the author confirms or re-attaches.
ANCHOR_KINDS = (Kind.REWORDED, Kind.CHANGED, Kind.ORPHANED)


STUDY_NOTICE_KEY = "study-notice:{study_id}:{kind}"


# Notifications about the recipient's own annotation, shown even when it is no longer readable (removed).
ABOUT_OWN_ANNOTATION = frozenset({Kind.APPROVED, Kind.HIDDEN, Kind.RESTORED, Kind.REMOVED})


def notify(user_id: int, kind: str, message: str, annotation_id: int | None = None, *,
           actor_id: int | None = None, event_key: str | None = None, emailed: bool = False) -> Notification | None:
    """Tell `user_id` about an event, in the app and as they chose for its type; flush, don't commit.

    Returns None, writing nothing, when the person turned the event's type off or was already told
    about `event_key`. Email goes through the outbox; nothing is sent from here. `emailed`: the event
    reached them by an email of its own (an account email): it is shown in the app only, never
    emailed again, alone or in a digest.
    """
    delivery = prefs.delivery_for(user_id, prefs.event_type_of(kind))
    if delivery == prefs.Delivery.OFF:
        return None
    if emailed:
        delivery = prefs.Delivery.APP
    if event_key is not None and db.session.scalar(select(Notification.id).where(
            Notification.user_id == user_id, Notification.event_key == event_key).limit(1)):
        return None
    note = Notification(user_id=user_id, kind=kind, message=message, annotation_id=annotation_id,
                        actor_id=actor_id, event_key=event_key, delivery=delivery.value, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(note)
    except IntegrityError:  # told about this event by a concurrent request a moment ago
        return None
    if delivery == prefs.Delivery.INSTANT:
        outbox.queue_notification(note)
    return note


def _where(annotation: Annotation, owner: str = "your") -> str:
    """Name an annotation for a person: the article and the start of the quoted passage."""
    title = annotation.article.title
    what = "reply" if annotation.parent_id else "annotation"
    root = annotation if annotation.parent_id is None else db.session.get(Annotation, annotation.root_id)
    quote = (root.exact if root is not None else "") or ""
    if len(quote) > QUOTE_LENGTH:
        quote = quote[:QUOTE_LENGTH].rstrip() + "…"
    return f"{owner} {what} on “{title}{_in_group(annotation)}”" + (f" (“{quote}”)" if quote else "")


def moderation_outcome(annotation: Annotation, action, old_status: AnnotationStatus, reason: str) -> None:
    """Tell the author what a moderator (or the system) decided about their annotation, when it concerns them."""
    where = _where(annotation)
    status = annotation.status
    reason_text = f" Reason: {reason}" if reason else ""
    if Action(action) == Action.AUTO_HIDE:
        notify(annotation.author_id, Kind.HIDDEN,
               f"{where[0].upper()}{where[1:]} is hidden until a moderator reviews it.{reason_text} "
               "You can edit it once to resubmit it.", annotation.id)
    elif status == AnnotationStatus.HIDDEN:
        verb = "reviewed the flags on {where} and kept it hidden" if old_status == AnnotationStatus.HIDDEN else (
            "hid {where}")
        notify(annotation.author_id, Kind.HIDDEN,
               f"A moderator {verb.format(where=where)}.{reason_text} You can edit it once to resubmit it for "
               "review.", annotation.id)
    elif status == AnnotationStatus.REMOVED:
        notify(annotation.author_id, Kind.REMOVED, f"A moderator removed {where}; removal is final.{reason_text}",
               annotation.id)
    elif status == AnnotationStatus.PUBLISHED and old_status == AnnotationStatus.PENDING:
        readers = "everyone" if annotation.group is None else f"the members of “{annotation.group.name}”"
        notify(annotation.author_id, Kind.APPROVED,
               f"A moderator approved {where}. It is now visible to {readers}.{reason_text}", annotation.id)
    elif status == AnnotationStatus.PUBLISHED and old_status == AnnotationStatus.HIDDEN:
        notify(annotation.author_id, Kind.RESTORED,
               f"A moderator reviewed {where} and made it visible again.{reason_text}", annotation.id)


def anchor_changed(annotation: Annotation, state: str) -> None:
    """Tell the author that a revision reworded, changed or lost the passage their annotation is on."""
    where = _where_written(annotation)
    version = annotation.article.version
    if state == Kind.REWORDED:
        text = (f"Version {version} of the article rewords the passage of {where}. It stays attached, with a "
                "“reworded” badge, until you confirm the new wording or re-attach it.")
    elif state == Kind.CHANGED:
        text = (f"Version {version} of the article changed the figures, units, negations or comparisons in the "
                f"passage of {where}. It is no longer shown on the passage: confirm the new wording, edit your "
                "annotation or re-attach it.")
    else:
        text = (f"Version {version} of the article no longer contains the passage of {where}. It is listed "
                "under the article with the words you wrote it on: re-attach it to a passage.")
    notify(annotation.author_id, state, text, annotation.id)


def _where_written(annotation: Annotation) -> str:
    """Name an annotation by the words it was written on (the current ones may be gone)."""
    quote = annotation.vouched_exact
    if len(quote) > QUOTE_LENGTH:
        quote = quote[:QUOTE_LENGTH].rstrip() + "…"
    return f"your annotation on “{annotation.article.title}” (“{quote}”)"


def _announceable(annotation: Annotation) -> bool:
    """Tell whether an annotation may notify anyone: published, public or in a group, not deleted, article published."""
    return (annotation.visibility in (Visibility.PUBLIC, Visibility.GROUP)
            and annotation.status == AnnotationStatus.PUBLISHED
            and not annotation.is_deleted and annotation.article.status == ArticleStatus.PUBLISHED)


def _follow_targets(annotation: Annotation) -> list[tuple[FollowTarget, str]]:
    """Return what someone may follow to hear about `annotation`, most specific first."""
    targets = []
    if annotation.parent_id is not None:
        targets.append((FollowTarget.THREAD, str(annotation.root_id or annotation.parent_id)))
    targets.append((FollowTarget.PERSON, str(annotation.author_id)))
    if annotation.study_id is not None:
        targets.append((FollowTarget.STUDY, str(annotation.study_id)))
    if annotation.parent_id is None:
        targets += [(FollowTarget.TAG, tag.lower()) for tag in annotation.tags or []]  # follows are lower-case
    targets.append((FollowTarget.ARTICLE, str(annotation.article_id)))
    return targets


FOLLOW_REASONS = {FollowTarget.PERSON: "you follow {author}", FollowTarget.STUDY: "you follow the study it links",
                  FollowTarget.TAG: "you follow one of its tags", FollowTarget.ARTICLE: "you follow the article"}


def annotation_published(annotation: Annotation) -> None:
    """Tell the people concerned about an annotation everyone can now read (on creation, or on approval).

    In order of precedence, each person once: those it @mentions, the author of the annotation it
    replies to, followers of its thread, then followers of its author, study, tags or article.
    """
    if not _announceable(annotation):
        return
    author = db.session.get(User, annotation.author_id)
    parent = db.session.get(Annotation, annotation.parent_id) if annotation.parent_id else None
    title = annotation.article.title + _in_group(annotation)
    told: set[int] = {annotation.author_id}
    _tell_mentioned(annotation, mentioned_ids(annotation.body), told)
    key = f"annotation:{annotation.id}"
    if parent is not None and parent.author_id not in told:
        told.add(parent.author_id)
        if can_read(db.session.get(User, parent.author_id), annotation):
            notify(parent.author_id, Kind.REPLY, f"{author.display_name} replied to {_where(parent)}.",
                   annotation.id, actor_id=author.id, event_key=key)
    for user_id, reason in follows.followers_of(_follow_targets(annotation)).items():
        if user_id in told:
            continue
        told.add(user_id)
        reader = db.session.get(User, user_id)
        if reader is None or not can_read(reader, annotation):
            continue
        if reason == FollowTarget.THREAD:
            notify(user_id, Kind.THREAD_REPLY, f"{author.display_name} replied in a thread you follow on “{title}”.",
                   annotation.id, actor_id=author.id, event_key=key)
        else:
            why = FOLLOW_REASONS[reason].format(author=author.display_name)
            what = "replied" if annotation.parent_id else "annotated"
            notify(user_id, Kind.FOLLOWED, f"{author.display_name} {what} on “{title}” ({why}).", annotation.id,
                   actor_id=author.id, event_key=key)


def _in_group(annotation: Annotation) -> str:
    """Return the words naming an annotation's journal club after its article's title ("" when public)."""
    return "" if annotation.group is None else f"” in “{annotation.group.name}"


def _tell_mentioned(annotation: Annotation, user_ids: list[int], told: set[int]) -> None:
    """Tell the mentioned people who may read `annotation`, once per annotation each."""
    if not user_ids:
        return
    author = db.session.get(User, annotation.author_id)
    people = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    for person in people:
        if person.id in told or not can_read(person, annotation):
            continue
        told.add(person.id)
        where = annotation.article.title + _in_group(annotation)
        notify(person.id, Kind.MENTION, f"{author.display_name} mentioned you on “{where}”.",
               annotation.id, actor_id=author.id, event_key=f"mention:{annotation.id}")


def mentions_added(annotation: Annotation, before: list[int]) -> None:
    """After an edit, tell only the people newly mentioned (if the annotation can notify anyone yet)."""
    if not _announceable(annotation):
        return
    added = [user_id for user_id in mentioned_ids(annotation.body) if user_id not in before]
    _tell_mentioned(annotation, added, {annotation.author_id})


def notify_reply(reply: Annotation) -> None:
    """Tell the people concerned about a newly readable reply (kept for callers of the first version)."""
    annotation_published(reply)


def answer_accepted(question: Annotation, answer: Annotation, actor: User) -> None:
    """Tell the asker (when a moderator chose) and the reply's author that the reply is the accepted answer."""
    if not _announceable(answer) or not _announceable(question):
        return
    key = f"answer:{question.id}:{answer.id}"
    title = question.article.title
    if question.author_id != actor.id:
        notify(question.author_id, Kind.ANSWER_ACCEPTED,
               f"A moderator accepted {answer.author.display_name}'s reply as the answer to your question on "
               f"“{title}”.", answer.id, actor_id=actor.id, event_key=key)
    if answer.author_id != actor.id:
        asker = "your own" if answer.author_id == question.author_id else f"{question.author.display_name}'s"
        notify(answer.author_id, Kind.ANSWER_CHOSEN,
               f"Your reply was accepted as the answer to {asker} question on “{title}”.", answer.id,
               actor_id=actor.id, event_key=key)


# What a notice of each kind says happened to a study.
NOTICE_WORDS = {Kind.RETRACTION: "was retracted", Kind.CONCERN: "received an expression of concern",
                Kind.CORRECTION: "was corrected"}


def readers_linking(study: Study) -> dict[int, int]:
    """Return, for each reader who linked `study` in a live annotation, the id of their latest such annotation."""
    rows = db.session.execute(
        select(Annotation.author_id, Annotation.id)
        .where(Annotation.study_id == study.id, Annotation.deleted_at.is_(None),
               Annotation.status != AnnotationStatus.REMOVED)
        .order_by(Annotation.id)).all()
    return {author_id: annotation_id for author_id, annotation_id in rows}


def study_notice(study: Study, kind: str, detail: str = "", notice_id: int | None = None) -> int:
    """Tell the readers who linked `study` in an annotation and its followers that a notice concerns it.

    `kind` is Kind.RETRACTION, Kind.CONCERN or Kind.CORRECTION; `detail` says where the notice comes
    from. Each person hears once per notice (per study and kind when `notice_id` is None: a study
    marked retracted by hand); readers who linked it are pointed at their latest annotation linking
    it. Returns how many were told.
    """
    if kind not in NOTICE_WORDS:
        raise ValueError(f"study_notice needs one of {', '.join(NOTICE_WORDS)}, not {kind!r}")
    message = (f"A study you cited or follow {NOTICE_WORDS[kind]}: “{study.title[:150]}”."
               + (f" {detail[:300]}" if detail else "") + " Check whether what was written about it still stands.")
    linked = readers_linking(study)
    people = set(linked) | set(follows.followers_of([(FollowTarget.STUDY, str(study.id))]))
    key = STUDY_NOTICE_KEY.format(study_id=study.id, kind=kind) + (f":{notice_id}" if notice_id else "")
    return sum(notify(user_id, kind, message, linked.get(user_id), event_key=key) is not None
               for user_id in sorted(people))


def visible_clause(user: User) -> ColumnElement[bool]:
    """Return the SQL condition for the user's notifications they may still see.

    A notification about someone else's content disappears when that content is hidden, removed,
    deleted or made private after the event; moderation outcomes about one's own annotation stay.
    """
    readable = exists(select(Annotation.id).join(Article, Article.id == Annotation.article_id).where(
        Annotation.id == Notification.annotation_id, readable_clause(user), Annotation.deleted_at.is_(None),
        Article.status == ArticleStatus.PUBLISHED))
    return and_(Notification.user_id == user.id,
                or_(Notification.annotation_id.is_(None), Notification.kind.in_(ABOUT_OWN_ANNOTATION), readable))


def is_visible(note: Notification, user: User) -> bool:
    """Tell whether `user` may still see `note` (the Python twin of visible_clause)."""
    if note.user_id != user.id:
        return False
    if note.annotation_id is None or note.kind in ABOUT_OWN_ANNOTATION:
        return True
    annotation = note.annotation
    return (annotation is not None and not annotation.is_deleted and can_read(user, annotation)
            and annotation.article.status == ArticleStatus.PUBLISHED)


def unread_count(user: User) -> int:
    """Count `user`'s unread notifications that they may still see (one query)."""
    return db.session.scalar(unread_statement(user))


def unread_statement(user: User) -> Select:
    """Return the query of `unread_count`."""
    return select(func.count(Notification.id)).where(visible_clause(user), Notification.read_at.is_(None))


def page_of(user: User, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """Return one page of `user`'s visible notifications, newest first."""
    stmt = (select(Notification).where(visible_clause(user))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return paginate(stmt, page, per_page)


def open_notification(user: User, notification_id: int) -> Notification | None:
    """Return `user`'s own notification that they may still see, marked read; None when there is none. Flush."""
    note = db.session.scalar(select(Notification).where(Notification.id == notification_id, visible_clause(user)))
    if note is not None and note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def mark_all_read(user: User) -> int:
    """Mark every unread notification of `user` read; return how many were."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
