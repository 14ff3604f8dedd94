"""Following: what a reader wants to hear about (articles, threads, studies, tags, people).

Each target is checked when followed: it must exist and the reader must be able to read it (a
thread is its top-level annotation, so a private note can be followed by its author only). Who
follows what is private: only the follower sees their list, and counts of followers are never shown.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, bindparam, delete, insert, select

from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, Follow, FollowTarget, Study, User
from app.models.base import utcnow
from app.services.errors import BadRequest, Conflict
from app.services.visibility import can_read

TYPE_LABELS = {FollowTarget.ARTICLE: "article", FollowTarget.THREAD: "thread", FollowTarget.STUDY: "study",
               FollowTarget.TAG: "tag", FollowTarget.PERSON: "person"}
MAX_TAG_LENGTH = 40
NOT_FOUND = "There is no {label} “{target}” that you can follow."


@dataclass(frozen=True)
class Target:
    """A followable thing, checked: its type, its stored key and a name to show."""

    type: FollowTarget
    key: str
    name: str


def parse_type(value) -> FollowTarget:
    """Return the FollowTarget named by `value`; raise BadRequest listing the choices."""
    try:
        return FollowTarget(str(value or "").strip().lower())
    except ValueError:
        raise BadRequest(f"Cannot follow a “{str(value)[:30]}”: choose one of "
                         f"{', '.join(t.value for t in FollowTarget)}.", "type") from None


def _int_key(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def resolve(user: User, target_type, raw) -> Target:
    """Check that `user` may follow this target and return it; raise BadRequest when it does not exist for them."""
    kind = parse_type(target_type)
    label = TYPE_LABELS[kind]
    if kind == FollowTarget.TAG:
        from app.text.sanitize import clean_text

        tag = clean_text(str(raw or "")).lower()
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise BadRequest(f"Write the tag to follow (1 to {MAX_TAG_LENGTH} characters).", "target")
        return Target(kind, tag, tag)
    number = _int_key(raw)
    missing = BadRequest(NOT_FOUND.format(label=label, target=str(raw)[:40]), "target")
    if number is None:
        raise missing
    if kind == FollowTarget.ARTICLE:
        article = db.session.get(Article, number)
        if article is None or article.status != ArticleStatus.PUBLISHED:
            raise missing
        return Target(kind, str(number), article.title)
    if kind == FollowTarget.THREAD:
        annotation = db.session.get(Annotation, number)
        if (annotation is None or annotation.parent_id is not None or not can_read(user, annotation)
                or annotation.article.status != ArticleStatus.PUBLISHED):
            raise missing
        return Target(kind, str(number), f"the thread on “{(annotation.exact or '')[:60]}”")
    if kind == FollowTarget.STUDY:
        study = db.session.get(Study, number)
        if study is None:
            raise missing
        return Target(kind, str(number), study.title)
    person = db.session.get(User, number)
    if person is None:
        raise missing
    if person.id == user.id:
        raise BadRequest("You cannot follow yourself.", "target")
    return Target(kind, str(number), person.display_name)


def find(user_id: int, target_type: FollowTarget, key: str) -> Follow | None:
    """Return the user's follow of this target, if any."""
    return db.session.scalar(select(Follow).where(Follow.user_id == user_id, Follow.target_type == target_type,
                                                  Follow.target == key))


def follow(user: User, target_type, raw, automatic: bool = False) -> Follow:
    """Follow a target; raise Conflict when already followed, BadRequest when it cannot be followed."""
    target = resolve(user, target_type, raw)
    if find(user.id, target.type, target.key) is not None:
        raise Conflict(f"You already follow this {TYPE_LABELS[target.type]}.", "target")
    row = Follow(user_id=user.id, target_type=target.type, target=target.key, automatic=automatic,
                 created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(user: User, target_type, raw) -> None:
    """Stop following a target; raise Conflict when it was not followed."""
    kind = parse_type(target_type)
    key = str(raw or "").strip().lower() if kind == FollowTarget.TAG else str(_int_key(raw))
    result = db.session.execute(delete(Follow).where(Follow.user_id == user.id, Follow.target_type == kind,
                                                     Follow.target == key))
    if result.rowcount == 0:
        raise Conflict(f"You do not follow this {TYPE_LABELS[kind]}.", "target")


def follow_thread_automatically(user: User, root_id: int, *, new_thread: bool = False) -> None:
    """Follow the thread `root_id` after starting or replying to it, unless the person turned that off.

    The follow is inserted at once (a statement, not an object left for the next flush).

    `new_thread`: the thread was started in this transaction, so nobody follows it yet (no lookup).
    """
    if not user.auto_follow:
        return
    if not new_thread and find(user.id, FollowTarget.THREAD, str(root_id)) is not None:
        return
    # A plain insert: nothing in this request reads the follow as an object, and it costs no unit of work.
    db.session.connection().execute(_FOLLOW_INSERT, {
        "user_id": user.id, "target_type": FollowTarget.THREAD, "target": str(root_id), "automatic": True,
        "created_at": utcnow()})


_FOLLOW_INSERT = insert(Follow.__table__)


def followed_keys(user_id: int, target_type: FollowTarget) -> set[str]:
    """Return the keys of the targets of one type that the user follows (one query)."""
    return set(db.session.scalars(followed_statement(user_id, target_type)))


def followed_statement(user_id: int, target_type: FollowTarget) -> Select:
    """Return the query of `followed_keys` (the page cache re-runs it to see whether a reader's follows changed)."""
    return select(Follow.target).where(Follow.user_id == user_id, Follow.target_type == target_type)


def followers_of(targets: list[tuple[FollowTarget, str]]) -> dict[int, FollowTarget]:
    """Return who follows any of `targets`, with the first matching target type in the order given (one query)."""
    if not targets:
        return {}
    wanted = set(targets)
    # On the connection: a Core statement needs none of the ORM's handling (every follow is written at once).
    rows = db.session.connection().execute(_FOLLOWERS, {"kinds": list(dict.fromkeys(kind for kind, _ in targets)),
                                           "keys": list(dict.fromkeys(key for _, key in targets))})
    order = {kind: i for i, (kind, _key) in enumerate(targets)}
    found: dict[int, FollowTarget] = {}
    asked = (row for row in rows if (row.target_type, row.target) in wanted)
    for row in sorted(asked, key=lambda r: order.get(r.target_type, 99)):
        found.setdefault(row.user_id, row.target_type)
    return found


# `followers_of`'s statement, built once: every kind asked for by every key asked for (the index on
# the target type and target answers it), the pairs not asked for dropped as the rows are read.
_FOLLOWERS = select(Follow.user_id, Follow.target_type, Follow.target).where(
    Follow.target_type.in_(bindparam("kinds", expanding=True)), Follow.target.in_(bindparam("keys", expanding=True)))


@dataclass(frozen=True)
class Followed:
    """One entry of the Following page."""

    follow: Follow
    name: str
    url_args: tuple[str, dict] | None


def listing(user: User) -> dict[FollowTarget, list[Followed]]:
    """Return what the user follows, by type, with a name and a link for each (a fixed number of queries)."""
    rows = db.session.scalars(select(Follow).where(Follow.user_id == user.id)
                              .order_by(Follow.target_type, Follow.created_at.desc(), Follow.id.desc())).all()
    ids = {kind: [int(r.target) for r in rows if r.target_type == kind and r.target.isdigit()]
           for kind in (FollowTarget.ARTICLE, FollowTarget.THREAD, FollowTarget.STUDY, FollowTarget.PERSON)}
    def load(model, kind: FollowTarget) -> dict:
        return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids[kind])))}

    articles, threads = load(Article, FollowTarget.ARTICLE), load(Annotation, FollowTarget.THREAD)
    studies, people = load(Study, FollowTarget.STUDY), load(User, FollowTarget.PERSON)
    out: dict[FollowTarget, list[Followed]] = {kind: [] for kind in FollowTarget}
    for row in rows:
        entry = _describe(row, user, articles, threads, studies, people)
        if entry is not None:
            out[row.target_type].append(entry)
    return out


def _describe(row: Follow, user: User, articles, threads, studies, people) -> Followed | None:
    kind, key = row.target_type, row.target
    if kind == FollowTarget.TAG:
        return Followed(row, key, None)
    number = int(key)
    if kind == FollowTarget.ARTICLE and number in articles:
        article = articles[number]
        return Followed(row, article.title, ("main.article", {"slug": article.slug}))
    if kind == FollowTarget.THREAD and number in threads and can_read(user, threads[number]):
        quote = threads[number].exact or threads[number].original_exact or ""
        return Followed(row, f"“{quote[:80]}”", ("annotating.permalink", {"annotation_id": number}))
    if kind == FollowTarget.STUDY and number in studies:
        return Followed(row, studies[number].title, ("studies.show", {"study_id": number}))
    if kind == FollowTarget.PERSON and number in people:
        return Followed(row, people[number].display_name, ("people.show", {"user_id": number}))
    return Followed(row, f"{TYPE_LABELS[kind]} {key} (no longer available)", None)
