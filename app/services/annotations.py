"""Annotations: create, reply, edit and delete, with anchoring validated against the article text."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import String, bindparam, exists, func, select

from app.database.engine import StaleReads
from app.database.inserts import insert_now
from app.extensions import db
from app.models import (
    Action,
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    Article,
    Group,
    Study,
    User,
    UserSession,
    Visibility,
)
from app.models.base import utcnow
from app.services import anchoring, follows, moderation, notifications
from app.services.accounts import session_digest
from app.services.articles import bump_display
from app.services.errors import BadRequest, Conflict, Forbidden, ServiceError
from app.services.premoderation import initial_status
from app.services.search import index as search_index
from app.services.visibility import is_member
from app.text.anchoring import AnchorError, Selector, resolve
from app.text.mentions import link_mentions, mentioned_ids, typed_name
from app.text.sanitize import clean_text, render_markdown

MAX_TAGS = 10
MAX_TAG_LENGTH = 40


def _max_length() -> int:
    return int(current_app.config["ANNOTATION_MAX_LENGTH"])


def clean_body(body: str) -> tuple[str, str]:
    """Return the Markdown source and its sanitised HTML; raise ServiceError when empty or too long."""
    # NUL becomes U+FFFD, as an HTML parser would make it (and PostgreSQL cannot store it).
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd").strip()
    if not body:
        raise ServiceError("The annotation text is empty: write a comment before saving.", "body")
    limit = _max_length()
    if len(body) > limit:
        raise ServiceError(f"The annotation text is too long: {len(body):,} characters, {limit:,} at most.", "body")
    return body, render_markdown(_with_mention_links(body))


def _with_mention_links(source: str) -> str:
    """Turn each @mention into a link to the person's profile; raise BadRequest for unknown or suspended people."""
    ids = mentioned_ids(source)
    if not ids:
        return source
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        person = people.get(user_id)
        if person is None:
            raise BadRequest(f"The mention @{typed_name(source, user_id)} does not match anyone on Postil: type @ "
                             "and choose the person from the list.", "body")
        if person.is_suspended:
            raise BadRequest(f"{person.display_name}'s account is suspended, so they cannot be mentioned. Remove the "
                             "mention to save.", "body")
    return link_mentions(source, {i: p.display_name for i, p in people.items()},
                         lambda user_id: current_app.url_for("people.show", user_id=user_id, _external=False))


def clean_tags(tags) -> list[str]:
    """Normalise tags: trimmed, case kept ("MENA"), de-duplicated ignoring case, in order; raise ServiceError.

    Tags match ignoring case everywhere (filters, search, follows): the case is only how they read.
    """
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for raw in tags:
        tag = clean_text(str(raw))
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ServiceError(f"Tag {tag[:20]!r}… is too long ({MAX_TAG_LENGTH} characters at most).", "tags")
        if tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ServiceError(f"Too many tags ({len(cleaned)}); {MAX_TAGS} at most.", "tags")
    return cleaned


def anchor(article: Article, exact: str, start: int | None = None, end: int | None = None,
           prefix: str = "", suffix: str = "") -> Selector:
    """Validate a selector against the article's current text; raise ServiceError (422) when it does not fit."""
    try:
        return resolve(article.body_text, exact, start, end, prefix, suffix)
    except AnchorError as exc:
        raise ServiceError(str(exc), "target") from None


def _linked_study(article: Article, study_id: int | None) -> Study | None:
    if study_id in (None, "", 0):
        return None
    if int(study_id) not in {c.study_id for c in article.citations}:
        raise ServiceError("The linked study must be one of this article's references.", "study")
    return db.session.get(Study, int(study_id))


def create(article: Article, author: User, *, body: str, selector: Selector | None = None,
           parent: Annotation | None = None, kind: AnnotationKind = AnnotationKind.COMMENT,
           tags=None, study_id: int | None = None,
           visibility: Visibility = Visibility.PUBLIC, group: Group | None = None,
           status: AnnotationStatus = AnnotationStatus.PUBLISHED) -> Annotation:
    """Create an annotation (with `selector`) or a reply (with `parent`); flush, don't commit.

    A group annotation (`visibility` GROUP with `group`) needs its author to be a member of an active
    group (Forbidden, Conflict otherwise). A reply stays in its parent's audience whatever is asked.
    """
    annotation = prepare(article, author, body=body, selector=selector, parent=parent, kind=kind, tags=tags,
                         study_id=study_id, visibility=visibility, group=group, status=status)
    return save(annotation, article, author)


def prepare(article: Article, author: User, *, body: str, selector: Selector | None = None,
            parent: Annotation | None = None, kind: AnnotationKind = AnnotationKind.COMMENT,
            tags=None, study_id: int | None = None,
            visibility: Visibility = Visibility.PUBLIC, group: Group | None = None,
            status: AnnotationStatus = AnnotationStatus.PUBLISHED) -> Annotation:
    """Build a new annotation as `create` would, reading only: nothing is added to the session; raise as `create`."""
    source, html = clean_body(body)
    if (selector is None) == (parent is None):
        raise ServiceError("An annotation needs either a quoted passage or a parent to reply to.", "target")
    if parent is not None and parent.visibility in (Visibility.PRIVATE, Visibility.GROUP):
        # A reply stays in its thread's audience: private with a private note, in the group with a group's.
        visibility, group = parent.visibility, parent.group
    check_audience(author, visibility, group)
    annotation = Annotation(article_id=article.id, author_id=author.id, kind=kind, body=source, body_html=html,
                            tags=clean_tags(tags), visibility=visibility, status=status,
                            group_id=group.id if visibility == Visibility.GROUP else None,
                            created_version=article.version, anchor_version=article.version)
    if parent is not None:
        if parent.article_id != article.id:
            raise ServiceError("A reply must be on the same article as its parent.", "target")
        annotation.parent_id = parent.id
        annotation.root_id = parent.root_id or parent.id
    else:
        annotation.exact, annotation.prefix, annotation.suffix = selector.exact, selector.prefix, selector.suffix
        annotation.start, annotation.end = selector.start, selector.end
        annotation.original_exact = annotation.confirmed_exact = selector.exact
        study = _linked_study(article, study_id)
        annotation.study_id = study.id if study else None
    return annotation


# What `confirm_reads` compares, in one statement built once. Without a session (a digest of None),
# the account alone is compared.
_READS_CONFIRMED = (
    select(Article.version, Article.status, User.role, User.trusted, User.suspended_until,
           User.suspended_indefinitely, User.auto_follow, User.display_name)
    .select_from(User).join(Article, Article.id == bindparam("article_id"))
    .where(User.id == bindparam("author_id"),
           bindparam("digest", type_=String).is_(None) | exists().where(
               UserSession.user_id == User.id, UserSession.digest == bindparam("digest", type_=String),
               UserSession.revoked_at.is_(None), UserSession.expires_at > bindparam("now"))))


# What of a reply's parent decides whether it may be answered, and in which audience.
_PARENT_CONFIRMED = (Annotation.article_id, Annotation.root_id, Annotation.status, Annotation.visibility,
                     Annotation.group_id, Annotation.author_id, Annotation.deleted_at)


def confirm_reads(annotation: Annotation, article: Article, author: User, group: Group | None,
                  parent: Annotation | None = None) -> None:
    """Under the write lock, check what `prepare` relied on; raise StaleReads, or decide again what may change.

    The article (its version and status), the author's account and session and, for a reply, what
    of its parent decides whether it may be answered and in which audience, must be as they were
    read: their change raises StaleReads, so that the request runs again under the lock. What other
    rows decide (membership of the group, counts for pre-moderation, the people @mentioned) is
    decided again here, with the queries it takes.
    """
    row = db.session.connection().execute(_READS_CONFIRMED, {"article_id": article.id, "author_id": author.id,
                                                "digest": session_digest(author), "now": utcnow()}).first()
    read = (article.version, article.status, author.role, author.trusted, author.suspended_until,
            author.suspended_indefinitely, author.auto_follow, author.display_name)
    if row is None or tuple(row) != read:
        raise StaleReads()
    if parent is not None:
        seen = tuple(getattr(parent, column.key) for column in _PARENT_CONFIRMED)
        if db.session.execute(select(*_PARENT_CONFIRMED).where(Annotation.id == parent.id)).first() != seen:
            raise StaleReads()
    if group is not None:
        db.session.refresh(group)
        check_audience(author, annotation.visibility, group)
    annotation.status = initial_status(author, annotation.visibility, group)
    if mentioned_ids(annotation.body):
        annotation.body_html = clean_body(annotation.body)[1]


def save(annotation: Annotation, article: Article, author: User) -> Annotation:
    """Write a prepared annotation and what goes with it: anchor record, search document, follow, notifications.

    Written at once, not flushed: the annotation by `insert_now` (it is then in the session as loaded),
    the rest as statements built once. The article's display revision is bumped last: on PostgreSQL
    the article row stays locked from that update to the commit, which every creation on it waits for.
    """
    annotation.created_at = annotation.modified_at = utcnow()
    insert_now(db.session, annotation)
    if annotation.parent_id is None:
        anchoring.record_written(annotation, article.version)
    search_index.add_annotation(db.session.connection(), annotation)
    if annotation.visibility in (Visibility.PUBLIC, Visibility.GROUP):
        follows.follow_thread_automatically(author, annotation.root_id or annotation.id,
                                            new_thread=annotation.parent_id is None)
    notifications.annotation_published(annotation)
    bump_display(article.id)
    return annotation


def check_audience(author: User, visibility: Visibility, group: Group | None) -> None:
    """Refuse a group audience its author may not write in: not a member (Forbidden), or archived (Conflict)."""
    if visibility != Visibility.GROUP:
        return
    if group is None:
        raise ServiceError("Choose the group that may read this annotation.", "group")
    if not is_member(author.id, group.id):
        raise Forbidden(f"You are not a member of “{group.name}”: only its members write in it.", "group")
    if group.archived_at is not None:
        raise Conflict(f"“{group.name}” is archived: nothing new can be written in it.", "group")


def create_for_demo(article: Article, author: User, *, quote: str, kind: AnnotationKind, body: str,
                    tags: list[str], study_key: str | None) -> Annotation:
    """Create an example annotation on the first occurrence of `quote` (demo seeding)."""
    study_id = None
    if study_key:
        study_id = db.session.scalar(select(Study.id).where(Study.citation_key == study_key))
    return create(article, author, body=body, selector=anchor(article, quote), kind=kind, tags=tags,
                  study_id=study_id)


def edit(annotation: Annotation, *, body: str | None = None, kind: AnnotationKind | None = None,
         tags=None, study_id: int | str | None = ...,
         audience: tuple[Visibility, Group | None] | None = None) -> Annotation:
    """Change an annotation's text, kind, tags, linked study or audience, keeping the previous body in its history.

    `study_id` left out keeps the linked study; None or "" removes it; another must be one of the
    article's references (ServiceError otherwise). Replies link no study.

    `audience` (visibility, group) moves a top-level annotation and its thread to another audience, on
    the rules of `_move_audience` (which raises before anything changes).

    A hidden annotation goes back to the queue (once per moderator decision); so does a published
    public one whose author is still under pre-moderation, when the edit changes what readers see.
    """

    if annotation.is_deleted:
        raise ServiceError("A deleted annotation cannot be edited.", "body")
    moved = audience is not None and _audience_changes(annotation, *audience)
    if moved:
        _check_move(annotation, *audience)
    now = utcnow()
    mentioned_before = mentioned_ids(annotation.body)
    before = (annotation.body, annotation.kind, list(annotation.tags or []), annotation.study_id)
    if study_id is not ... and not annotation.is_reply:
        study = _linked_study(annotation.article, study_id)
        annotation.study_id = study.id if study else None
    if body is not None:
        source, html = clean_body(body)
        if source != annotation.body:
            db.session.add(AnnotationRevision(annotation_id=annotation.id, body=annotation.body,
                                              body_html=annotation.body_html, created_at=now))
            annotation.body, annotation.body_html = source, html
            annotation.edited_at = now
            from app.services import anchoring

            # Rewriting the text beside a changed passage vouches for the passage as it reads now.
            anchoring.acknowledge_edit(annotation, annotation.author)
    if kind is not None and not annotation.is_reply:
        annotation.kind = kind
    if tags is not None:
        annotation.tags = clean_tags(tags)
    annotation.modified_at = now
    db.session.flush()
    bump_display(annotation.article_id)
    if moved:
        _move_audience(annotation, *audience)
    elif annotation.status == AnnotationStatus.HIDDEN:
        # Editing a hidden annotation sends it back to the queue, once per moderator decision.
        moderation.resubmit_if_hidden(annotation, annotation.author)
    elif (annotation.body, annotation.kind, list(annotation.tags or []), annotation.study_id) != before:
        moderation.hold_edit_if_premoderated(annotation, annotation.author)
    if not moved:
        notifications.mentions_added(annotation, mentioned_before)
    return annotation


def _audience_changes(annotation: Annotation, visibility: Visibility, group: Group | None) -> bool:
    """Tell whether (visibility, group) is another audience than the annotation's own."""
    group_id = group.id if visibility == Visibility.GROUP and group is not None else None
    return (visibility, group_id) != (annotation.visibility, annotation.group_id)


def _check_move(annotation: Annotation, visibility: Visibility, group: Group | None) -> None:
    """Refuse moving an annotation to another audience when it may not move; raise before anything changes.

    Replies follow their thread; a hidden or removed annotation stays where the moderators judged it;
    other people's replies were written for the audience they read, so their words never move.
    """
    if annotation.is_reply:
        raise ServiceError("A reply is read by whoever reads its thread: its audience cannot be changed.", "group")
    if annotation.status in (AnnotationStatus.HIDDEN, AnnotationStatus.REMOVED):
        raise Conflict(f"A moderator has {annotation.status.value} this annotation, so who can read it cannot be "
                       "changed. Nothing was saved.", "group")
    others = db.session.scalar(select(func.count(Annotation.id)).where(
        Annotation.root_id == annotation.id, Annotation.author_id != annotation.author_id,
        Annotation.deleted_at.is_(None)))
    if others:
        raise Conflict("Other people have replied in this thread, so who can read it cannot be changed: their "
                       "replies were written for the readers it has now. Nothing was saved; keep the audience "
                       "to save your other changes.", "group")
    check_audience(annotation.author, visibility, group)


def _move_audience(annotation: Annotation, visibility: Visibility, group: Group | None) -> None:
    """Move a checked annotation and its own replies to (visibility, group), as if they were published anew.

    Each takes the status a new annotation in that audience would get (`initial_status`): a published
    one that must now wait goes back to the queue through moderation (logged), one that waited for
    the audience it leaves takes the new audience's status, hidden or removed replies stay so.
    Moving into the public layer or a group tells the people concerned, as publishing does (each
    person once per annotation).
    """
    group_id = group.id if visibility == Visibility.GROUP else None
    thread = [annotation, *db.session.scalars(select(Annotation).where(Annotation.root_id == annotation.id))]
    status = initial_status(annotation.author, visibility, group)
    for item in thread:
        item.visibility, item.group_id = visibility, group_id
    db.session.flush()
    for item in thread:
        if item.is_deleted or item.status not in (AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING):
            continue
        if item.status == AnnotationStatus.PUBLISHED and status == AnnotationStatus.PENDING:
            moderation.transition(item, Action.HOLD_EDIT, annotation.author,
                                  reason="Moved to readers for whom its author's annotations are still reviewed")
        else:
            # Only PENDING becomes PUBLISHED here: the audience it moves to does not review this author.
            item.status = status
    db.session.flush()
    db.session.refresh(annotation)
    if visibility in (Visibility.PUBLIC, Visibility.GROUP):
        follows.follow_thread_automatically(annotation.author, annotation.id)
        notifications.annotation_published(annotation)


def delete(annotation: Annotation) -> None:
    """Soft-delete: the text is kept in history, the thread keeps a stub so replies survive."""
    if annotation.is_deleted:
        return
    now = utcnow()
    db.session.add(AnnotationRevision(annotation_id=annotation.id, body=annotation.body,
                                      body_html=annotation.body_html, created_at=now))
    annotation.deleted_at = now
    annotation.modified_at = now
    db.session.flush()
    bump_display(annotation.article_id)
