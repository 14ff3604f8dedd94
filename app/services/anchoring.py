"""Anchor history: where each annotation stands after every article revision, and what its author did about it.

Every top-level annotation has AnchorRecords: the selectors it was written on (never overwritten),
then one per revision that re-anchored it, and one whenever its author (or an admin) confirmed a
changed wording or re-attached it. Re-anchoring follows each annotation's trail (original,
confirmed and last selectors, see `app.text.anchoring.follow`) and judges the passage against the
wording its author vouched for, so "reworded" and "changed" persist until someone vouches for the
new wording. Authors are told when their annotation becomes reworded, changed or orphaned.

The same computation previews a revision before it is saved. Services flush and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select

from app.extensions import db
from app.models import AnchorEvent, AnchorRecord, Annotation, AnnotationStatus, Article, ArticleRevision, User
from app.models.base import utcnow
from app.services.articles import bump_display
from app.services.errors import ServiceError
from app.services.visibility import can_read, readable_clause
from app.text.anchoring import AnchorError, Reanchored, Selector, Suggestion, Trail, follow, resolve, suggest
from app.text.diff import word_diff
from app.text.figures import fact_changes

# The states a reader is warned about, and their author told of.
WARNINGS = ("reworded", "changed", "orphaned")
# States in which an annotation is drawn on the article.
ATTACHED = ("anchored", "moved", "reworded")


@dataclass
class Change:
    """What a revision does (or would do) to one annotation."""

    annotation: Annotation
    before: str
    after: str
    vouched: str
    current: str | None
    result: Reanchored

    @property
    def diff(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Return the word-level diff of the vouched-for wording against the passage now."""
        return word_diff(self.vouched, self.current or "")

    @property
    def facts(self) -> list[tuple[str, str]]:
        """Return the figures, units, negations or comparisons that differ (for a changed passage)."""
        return fact_changes(self.vouched, self.current or "") if self.current is not None else []


def record_written(annotation: Annotation, version: int) -> None:
    """Keep the selectors a new top-level annotation was written on (its `confirmed_exact` set), at once.

    The annotation is already written (it has its id); nothing reads the record as an object in the
    request that saves it, so it goes out as one statement built once, not an object left for a flush.
    """
    db.session.connection().execute(_RECORD_INSERT, {
        "annotation_id": annotation.id, "article_version": version, "event": AnchorEvent.WRITTEN,
        "state": "anchored", "exact": annotation.exact, "prefix": annotation.prefix or "",
        "suffix": annotation.suffix or "", "start": annotation.start, "end": annotation.end, "actor_id": None,
        "created_at": utcnow()})


_RECORD_INSERT = insert(AnchorRecord.__table__)


def reanchor_article(article: Article) -> list[Change]:
    """Re-anchor every top-level annotation of `article` on its current text, record and notify; flush.

    Returns every annotation's change, including those whose state stayed the same.
    """
    changes = _compute(article, article.body_text, _annotations(article))
    now = utcnow()
    for change in changes:
        annotation, result = change.annotation, change.result
        annotation.anchor_state = result.state
        annotation.anchor_version = article.version
        if result.selector is None:
            annotation.start = annotation.end = None
        else:
            _set_selector(annotation, result.selector)
        db.session.add(_record(annotation, article.version, AnchorEvent.REVISION, result.state, result.selector,
                               None, now))
        if result.state in WARNINGS and result.state != change.before and _concerns_author(annotation):
            from app.services import notifications

            notifications.anchor_changed(annotation, result.state)
    db.session.flush()
    return changes


def preview(article: Article, new_text: str) -> list[Change]:
    """Return what re-anchoring on `new_text` would do to the article's annotations, writing nothing."""
    return _compute(article, new_text, _annotations(article))


def confirm(annotation: Annotation, actor: User) -> None:
    """Vouch for the passage a reworded or changed annotation now sits on; raise ServiceError otherwise."""
    if annotation.anchor_state not in ("reworded", "changed") or annotation.start is None:
        raise ServiceError("There is nothing to confirm: the annotation's passage has not changed.", "anchor")
    annotation.confirmed_exact = annotation.exact
    annotation.anchor_state = "anchored"
    annotation.modified_at = utcnow()
    db.session.add(_record(annotation, annotation.article.version, AnchorEvent.CONFIRMED, "anchored",
                           _selector_of(annotation), actor, utcnow()))
    _stale_page(annotation)


def reattach(annotation: Annotation, actor: User, exact: str, start: int | None = None,
             end: int | None = None) -> None:
    """Attach an annotation to a passage of the current text and vouch for its wording; raise ServiceError."""
    try:
        selector = resolve(annotation.article.body_text, exact, start, end)
    except AnchorError as exc:
        raise ServiceError(str(exc), "target") from None
    _set_selector(annotation, selector)
    annotation.confirmed_exact = selector.exact
    annotation.anchor_state = "anchored"
    annotation.anchor_version = annotation.article.version
    annotation.modified_at = utcnow()
    db.session.add(_record(annotation, annotation.article.version, AnchorEvent.REATTACHED, "anchored", selector,
                           actor, utcnow()))
    _stale_page(annotation)


def acknowledge_edit(annotation: Annotation, actor: User) -> None:
    """Treat an author's edit of a reworded or changed annotation as vouching for the passage as it reads now."""
    if annotation.anchor_state in ("reworded", "changed") and annotation.start is not None:
        confirm(annotation, actor)


def suggestions(annotation: Annotation) -> list[Suggestion]:
    """Rank the passages of the current text the annotation might belong to, best first (at most three)."""
    trail, _ = _trails(annotation.article, [annotation])
    return suggest(annotation.article.body_text, trail[annotation.id])


def history(annotation: Annotation) -> list[AnchorRecord]:
    """Return the annotation's anchor records, oldest first."""
    return list(db.session.scalars(select(AnchorRecord).where(AnchorRecord.annotation_id == annotation.id)
                                   .order_by(AnchorRecord.id)))


def fact_changes_of(annotation: Annotation) -> list[tuple[str, str]]:
    """Return the figures, units, negations or comparisons that differ between the vouched and current wording."""
    if annotation.anchor_state != "changed" or annotation.exact is None:
        return []
    return fact_changes(annotation.vouched_exact, annotation.exact)


def vouched_diff(annotation: Annotation) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the word-level diff of the wording its author vouched for against the passage now."""
    return word_diff(annotation.vouched_exact, annotation.exact or "")


def revision_report(article: Article, viewer: User) -> list[Change]:
    """Return the annotations `viewer` may read that the latest revision warned about or cleared (two queries)."""

    annotations = {a.id: a for a in db.session.scalars(
        select(Annotation).where(Annotation.article_id == article.id, Annotation.parent_id.is_(None),
                                 Annotation.exact.is_not(None), readable_clause(viewer)))}
    records: dict[int, list[AnchorRecord]] = {}
    if annotations:
        for record in db.session.scalars(select(AnchorRecord).where(AnchorRecord.annotation_id.in_(annotations))
                                         .order_by(AnchorRecord.id)):
            records.setdefault(record.annotation_id, []).append(record)
    report = []
    for annotation_id, own in sorted(records.items()):
        latest = [i for i, r in enumerate(own) if r.event == AnchorEvent.REVISION
                  and r.article_version == article.version]
        if not latest or latest[-1] == 0:
            continue
        record, previous = own[latest[-1]], own[latest[-1] - 1]
        if not _worth_reporting(previous.state, record.state):
            continue
        vouched = [r for r in own[:latest[-1]] if r.event != AnchorEvent.REVISION]
        wording = vouched[-1].exact if vouched else own[0].exact
        current = record.exact if record.start is not None else None
        result = Reanchored(record.state, _record_selector(record) if current is not None else None, 0.0)
        report.append(Change(annotations[annotation_id], previous.state, record.state, wording, current, result))
    return report


def visible_changes(changes: list[Change], viewer: User) -> list[Change]:
    """Keep the changes worth a look among annotations `viewer` may read (a preview never reveals private notes)."""

    return [c for c in changes if _worth_reporting(c.before, c.after) and can_read(viewer, c.annotation)]


def _worth_reporting(before: str, after: str) -> bool:
    """Tell whether a change of state concerns a warning (moving with the text does not)."""
    return before != after and not {before, after} <= {"anchored", "moved"}


# --- Computing -------------------------------------------------------------------------------------------


def _annotations(article: Article) -> list[Annotation]:
    return list(db.session.scalars(
        select(Annotation).where(Annotation.article_id == article.id, Annotation.parent_id.is_(None),
                                 Annotation.exact.is_not(None)).order_by(Annotation.id)))


def _compute(article: Article, new_text: str, annotations: list[Annotation]) -> list[Change]:
    trails, _ = _trails(article, annotations)
    changes = []
    for annotation in annotations:
        before = annotation.anchor_state
        if annotation.anchor_version == article.version and new_text == article.body_text:
            result = Reanchored(before, _selector_of(annotation), 1.0) if annotation.start is not None \
                else Reanchored(before, None, 0.0)
        else:
            result = follow(new_text, trails[annotation.id])
        current = result.selector.exact if result.selector is not None else None
        changes.append(Change(annotation, before, result.state, annotation.vouched_exact, current, result))
    return changes


def _trails(article: Article, annotations: list[Annotation]) -> tuple[dict[int, Trail], dict[int, str]]:
    """Build each annotation's trail from its records (one query) and the texts they were cut from (one query)."""
    ids = [a.id for a in annotations]
    records: dict[int, list[AnchorRecord]] = {}
    if ids:
        for record in db.session.scalars(select(AnchorRecord).where(AnchorRecord.annotation_id.in_(ids))
                                         .order_by(AnchorRecord.id)):
            records.setdefault(record.annotation_id, []).append(record)
    versions = {r.article_version for rs in records.values() for r in rs} | {a.anchor_version for a in annotations}
    texts = dict(db.session.execute(select(ArticleRevision.version, ArticleRevision.body_text).where(
        ArticleRevision.article_id == article.id, ArticleRevision.version.in_(versions))).all()) if versions else {}
    trails = {}
    for annotation in annotations:
        own = records.get(annotation.id, [])
        last = _selector_of(annotation)
        placed = annotation.start is not None
        known: dict[Selector, str] = {}
        if own:
            original = _record_selector(own[0])
            vouched = [r for r in own if r.event != AnchorEvent.REVISION]
            confirmed = _record_selector(vouched[-1]) if vouched else original
            if not placed:
                # An orphan is retried with the last place it was found as well as the original.
                found = [r for r in own if r.start is not None]
                last = _record_selector(found[-1]) if found else original
            for record in own:
                if record.article_version in texts:
                    known.setdefault(_record_selector(record), texts[record.article_version])
        else:
            original = confirmed = last
        if placed and annotation.anchor_version in texts:
            known.setdefault(last, texts[annotation.anchor_version])
        trails[annotation.id] = Trail(original, confirmed, last, placed and annotation.anchor_state != "orphaned",
                                      known)
    return trails, texts


def _selector_of(annotation: Annotation) -> Selector:
    start = annotation.start if annotation.start is not None else -1
    end = annotation.end if annotation.end is not None else -1
    return Selector(annotation.exact or "", annotation.prefix or "", annotation.suffix or "", start, end)


def _record_selector(record: AnchorRecord) -> Selector:
    start = record.start if record.start is not None else -1
    end = record.end if record.end is not None else -1
    return Selector(record.exact, record.prefix, record.suffix, start, end)


def _set_selector(annotation: Annotation, selector: Selector) -> None:
    annotation.exact, annotation.prefix, annotation.suffix = selector.exact, selector.prefix, selector.suffix
    annotation.start, annotation.end = selector.start, selector.end


def _record(annotation: Annotation, version: int, event: AnchorEvent, state: str, selector: Selector | None,
            actor: User | None, now) -> AnchorRecord:
    if selector is None:
        exact, prefix, suffix, start, end = annotation.exact or "", annotation.prefix or "", \
            annotation.suffix or "", None, None
    else:
        exact, prefix, suffix, start, end = selector.exact, selector.prefix, selector.suffix, selector.start, \
            selector.end
    return AnchorRecord(annotation_id=annotation.id, article_version=version, event=event, state=state, exact=exact,
                        prefix=prefix, suffix=suffix, start=start, end=end,
                        actor_id=actor.id if actor is not None else None, created_at=now)


def _concerns_author(annotation: Annotation) -> bool:
    """Tell whether the author should hear about their annotation (not when deleted or removed)."""
    return not annotation.is_deleted and annotation.status != AnnotationStatus.REMOVED


def _stale_page(annotation: Annotation) -> None:

    db.session.flush()
    bump_display(annotation.article_id)
