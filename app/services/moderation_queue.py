"""The moderation queues: what waits for a moderator, in the order a moderator should see it.

Pending annotations, flagged ones and hidden ones, each listed with everything a decision needs
(open flags, the author's history, the passage and the parent of a reply) in a fixed number of
queries whatever the number of items. Each viewer sees the part of the queues they moderate
(app.services.moderation_scope): site moderators the public annotations (and, in the panel, the
flagged ones of journal clubs), a group's owner and moderators their group's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    Article,
    Citation,
    Flag,
    FlagReason,
    ModerationLog,
    User,
    Visibility,
)
from app.services.errors import ServiceError
from app.services.moderation_scope import can_moderate, scope_clause
from app.services.pagination import Page, paginate

PAGE_SIZE = 50
QUEUE_STATES = ("pending", "flagged", "hidden")
S = AnnotationStatus


def _live():
    return Annotation.deleted_at.is_(None)


def waiting_clause(viewer: User | None = None, *, panel: bool = True):
    """Return the SQL condition for items waiting for `viewer`: pending, or with open flags, in their scope."""
    return (_live() & (Annotation.status != S.REMOVED) & or_(Annotation.status == S.PENDING, Annotation.open_flags > 0)
            & scope_clause(viewer, panel=panel))


def queue_clause(viewer: User | None = None, *, panel: bool = False):
    """Return the SQL condition for items in any moderation queue (pending, flagged or hidden) of `viewer`."""
    return or_(*(_state_clause(state) for state in QUEUE_STATES)) & scope_clause(viewer, panel=panel)


def waiting_count(viewer: User | None = None) -> int:
    """Count items waiting for `viewer` (None: anyone) (pending, flagged, hidden automatically), in one query."""
    return db.session.scalar(waiting_statement(viewer))


def waiting_statement(viewer: User | None = None) -> Select:
    """Return the query of `waiting_count`."""
    return select(func.count(Annotation.id)).where(waiting_clause(viewer))


def _state_clause(state: str):
    if state == "pending":
        return _live() & (Annotation.status == S.PENDING)
    if state == "flagged":
        return _live() & (Annotation.status != S.REMOVED) & (Annotation.open_flags > 0)
    if state == "hidden":
        return _live() & (Annotation.status == S.HIDDEN)
    raise ServiceError(f"Unknown queue {state[:20]!r}: choose one of {', '.join(QUEUE_STATES)}.", "state")


def _urgent():
    """SQL condition: readers can still see the annotation and an open flag reports patient data in it."""
    return (Annotation.status == S.PUBLISHED) & (
        select(Flag.id).where(Flag.annotation_id == Annotation.id, Flag.resolved_at.is_(None),
                              Flag.reason == FlagReason.PATIENT_DATA).exists())


def _severity_rank():
    """SQL expression ranking a flag reason by FlagReason's declaration order (0 = worst)."""
    return case({reason: rank for rank, reason in enumerate(FlagReason)}, value=Flag.reason, else_=99)


@dataclass
class AuthorHistory:
    """How an author's public annotations have fared."""

    published: int = 0
    pending: int = 0
    hidden: int = 0
    removed: int = 0


@dataclass
class QueueItem:
    """An annotation as a moderator reviews it, with everything the decision needs."""

    annotation: Annotation
    flags: list[Flag] = field(default_factory=list)
    history: AuthorHistory = field(default_factory=AuthorHistory)
    parent: Annotation | None = None
    quote: str | None = None

    @property
    def hidden_automatically(self) -> bool:
        return self.annotation.status == S.HIDDEN and self.annotation.open_flags > 0

    @property
    def urgent(self) -> bool:
        """Tell whether readers still see it although an open flag reports patient data (shown first)."""
        return self.annotation.status == S.PUBLISHED and any(
            f.reason == FlagReason.PATIENT_DATA and f.resolved_at is None for f in self.flags)


@dataclass(frozen=True)
class QueuePage(Page[QueueItem]):
    """One page of a queue, with the size of every queue for the tabs."""

    state: str = "pending"
    counts: dict[str, int] = field(default_factory=dict)


def queue_counts(viewer: User | None = None, *, panel: bool = True) -> dict[str, int]:
    """Return the number of items in each of `viewer`'s queues, in one query."""
    row = db.session.execute(select(*[
        func.coalesce(func.sum(case((_state_clause(state), 1), else_=0)), 0) for state in QUEUE_STATES])
        .where(scope_clause(viewer, panel=panel))).one()
    return dict(zip(QUEUE_STATES, (int(v) for v in row), strict=True))


def queue(state: str, page: int = 1, *, viewer: User | None = None, panel: bool = True,
          group_id: int | None = None) -> QueuePage:
    """Return one page of the pending, flagged or hidden queue in a fixed number of queries.

    Pending: oldest first. Flagged: urgent first (still visible with an open patient-data flag), then
    most open flags, then the worst reason (FlagReason order), then the oldest. Hidden: most recently
    changed first. Only what `viewer` moderates is listed (None: everything but private notes;
    `group_id`: only that group's).
    """
    clause = _state_clause(state) & scope_clause(viewer, panel=panel)
    if group_id is not None:
        clause = clause & (Annotation.group_id == group_id)
    stmt = select(Annotation).where(clause).options(*_review_options())
    if state == "pending":
        stmt = stmt.order_by(Annotation.modified_at, Annotation.id)
    elif state == "flagged":
        worst = (select(func.min(_severity_rank())).where(Flag.annotation_id == Annotation.id,
                                                           Flag.resolved_at.is_(None)).scalar_subquery())
        stmt = stmt.order_by(case((_urgent(), 0), else_=1), Annotation.open_flags.desc(), worst,
                             Annotation.modified_at, Annotation.id)
    else:
        stmt = stmt.order_by(Annotation.modified_at.desc(), Annotation.id.desc())
    counts = queue_counts(viewer, panel=panel)
    rows = paginate(stmt, page, PAGE_SIZE, total=None if group_id is not None else counts[state], unique=True)
    return QueuePage(items=review_items(list(rows.items)), page=rows.page, per_page=rows.per_page,
                     total=rows.total, state=state, counts=counts)


def review_items(rows: list[Annotation], all_flags: bool = False) -> list[QueueItem]:
    """Wrap annotations with their flags, author history and context, in three queries whatever their number."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    flag_stmt = (select(Flag).where(Flag.annotation_id.in_(ids)).options(joinedload(Flag.user))
                 .order_by(_severity_rank(), Flag.created_at))
    if not all_flags:
        flag_stmt = flag_stmt.where(Flag.resolved_at.is_(None))
    flags: dict[int, list[Flag]] = {}
    for flag in db.session.scalars(flag_stmt):
        flags.setdefault(flag.annotation_id, []).append(flag)
    histories = author_histories({a.author_id for a in rows})
    context_ids = {a.parent_id for a in rows if a.parent_id} | {a.root_id for a in rows if a.root_id}
    context = {}
    if context_ids:
        context = {a.id: a for a in db.session.scalars(
            select(Annotation).where(Annotation.id.in_(context_ids)).options(joinedload(Annotation.author)))}
    items = []
    for a in rows:
        root = context.get(a.root_id) if a.root_id else a
        items.append(QueueItem(annotation=a, flags=flags.get(a.id, []),
                               history=histories.get(a.author_id, AuthorHistory()),
                               parent=context.get(a.parent_id) if a.parent_id else None,
                               quote=root.exact if root is not None else None))
    return items


def author_histories(author_ids: set[int]) -> dict[int, AuthorHistory]:
    """Return each author's counts of public annotations by status, in one query."""
    if not author_ids:
        return {}
    rows = db.session.execute(select(Annotation.author_id, Annotation.status, func.count(Annotation.id))
                              .where(Annotation.author_id.in_(author_ids),
                                     Annotation.visibility == Visibility.PUBLIC)
                              .group_by(Annotation.author_id, Annotation.status)).all()
    histories: dict[int, AuthorHistory] = {}
    for author_id, status, count in rows:
        setattr(histories.setdefault(author_id, AuthorHistory()), AnnotationStatus(status).value, count)
    return histories


def _review_options() -> tuple:
    # Everything a review page or the API serialiser reads, loaded with the rows (no query per item).
    return (joinedload(Annotation.author), joinedload(Annotation.study),
            joinedload(Annotation.article).selectinload(Article.citations).selectinload(Citation.study))


def get_for_review(annotation_id: int, viewer: User | None = None, *, panel: bool = True) -> Annotation | None:
    """Return an annotation `viewer` moderates whatever its status; None when there is none for them to review.

    A private note is for its author alone and never needs a moderator, so it is not there for one;
    a journal club's annotation is there for its group's moderators, and for site moderators in the
    panel while it is flagged.
    """
    annotation = db.session.scalar(select(Annotation).where(Annotation.id == annotation_id)
                                   .options(*_review_options()))
    if annotation is None or annotation.visibility == Visibility.PRIVATE:
        return None
    if viewer is not None and not can_moderate(viewer, annotation, panel=panel):
        return None
    return annotation


def history_of(annotation: Annotation) -> list[ModerationLog]:
    """Return the log entries about `annotation`, oldest first."""
    return list(db.session.scalars(select(ModerationLog).where(ModerationLog.annotation_id == annotation.id)
                                   .options(joinedload(ModerationLog.moderator))
                                   .order_by(ModerationLog.created_at, ModerationLog.id)))

