"""Import annotations written elsewhere (W3C JSON-LD, Hypothesis) into an article, as the importer's own.

Each annotation is placed with the same re-anchoring rules as after an article revision
(app.text.anchoring.reanchor, its public entry point): where its position still holds the quote it
is "anchored", where the quote is found elsewhere with supporting context it has "moved", and where
no place is certain it becomes an orphan, listed under the article with its words for its author to
re-attach. Nothing is guessed and nothing written is dropped silently: every record of the file gets
an outcome, and those that cannot be imported say why. A file that is not JSON or holds no
annotations changes nothing.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from app.models import AnnotationKind, Article, User, Visibility
from app.services import annotations as annotation_service
from app.services.errors import ServiceError
from app.services.premoderation import initial_status
from app.text.anchoring import CONTEXT_LENGTH, MAX_QUOTE_LENGTH, Selector, reanchor
from app.text.w3c_import import ImportedAnnotation, NotAnnotations, read_annotations

# How each outcome is reported, in report order; unknown anchoring states are shown by name.
STATE_LABELS = {"anchored": "Anchored where it was", "moved": "Found elsewhere in the text (moved)",
                "fuzzy": "Found with small changes", "reworded": "Found with small changes",
                "orphaned": "Orphaned (no certain place; listed under the article to re-attach)",
                "reply": "Imported as a reply", "skipped": "Not imported"}


@dataclass
class ImportedOutcome:
    """What became of one annotation of the file."""

    index: int
    state: str
    quote: str
    message: str = ""
    annotation_id: int | None = None

    @property
    def label(self) -> str:
        """Return the outcome as people read it."""
        return STATE_LABELS.get(self.state, self.state.capitalize())


@dataclass
class AnnotationImport:
    """Every annotation's outcome, in file order."""

    outcomes: list[ImportedOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many annotations ended in each state, in report order."""
        counted = Counter(o.state for o in self.outcomes)
        order = [s for s in STATE_LABELS if s in counted] + sorted(s for s in counted if s not in STATE_LABELS)
        return {state: counted[state] for state in order}

    def summary(self) -> str:
        """Return a one-line summary such as "3 annotations: 2 anchored, 1 orphaned."."""
        total = len(self.outcomes)
        parts = ", ".join(f"{n} {state}" for state, n in self.counts.items())
        return f"{total} annotation{'s' if total != 1 else ''}: {parts}."


def read_file(data: bytes) -> list[ImportedAnnotation]:
    """Decode an uploaded file; raise ServiceError (field "file") when it is not JSON annotations."""
    try:
        decoded = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ServiceError("The file is not UTF-8 text: export the annotations as JSON. Nothing was imported.",
                           "file") from None
    except ValueError as exc:
        raise ServiceError(f"The file is not JSON ({exc.msg} at line {exc.lineno}). Nothing was imported.",
                           "file") from None
    try:
        return read_annotations(decoded)
    except NotAnnotations as exc:
        raise ServiceError(f"{exc} Nothing was imported.", "file") from None


_KIND_OF_MOTIVATION = {kind.motivation: kind for kind in AnnotationKind}


def _kind(motivation: str | None) -> AnnotationKind:
    return _KIND_OF_MOTIVATION.get(motivation or "", AnnotationKind.COMMENT)


def import_annotations(article: Article, user: User, data: bytes, visibility: Visibility) -> AnnotationImport:
    """Create `user`'s annotations from a file on `article`; return each one's outcome (flushes, never commits).

    Raises ServiceError when the file as a whole cannot be read; nothing is written then.
    """

    items = read_file(data)
    report = AnnotationImport()
    created: dict[str, object] = {}
    for item in items:
        quote = " ".join((item.exact or "").split())[:120]
        outcome = ImportedOutcome(item.index, "skipped", quote)
        report.outcomes.append(outcome)
        if not item.text.strip():
            outcome.message = "it has no text (a highlight without a comment)"
            continue
        try:
            if item.reply_to is not None:
                parent = created.get(item.reply_to)
                if parent is None:
                    outcome.message = "it replies to an annotation that is not imported from this file"
                    continue
                annotation = annotation_service.create(article, user, body=item.text, parent=parent,
                                                       visibility=visibility,
                                                       status=initial_status(user, visibility))
                outcome.state = "reply"
            elif not item.exact or not item.exact.strip():
                outcome.message = "it quotes no passage (a note on the whole page)"
                continue
            elif len(item.exact) > MAX_QUOTE_LENGTH:
                outcome.message = f"its quoted passage is longer than {MAX_QUOTE_LENGTH:,} characters"
                continue
            else:
                annotation = _create_anchored(article, user, item, visibility, initial_status(user, visibility))
                outcome.state = annotation.anchor_state
        except ServiceError as exc:
            outcome.message = exc.message
            continue
        outcome.annotation_id = annotation.id
        if item.source_id:
            created[item.source_id] = annotation
    return report


def _create_anchored(article: Article, user: User, item: ImportedAnnotation, visibility: Visibility, status):
    old = Selector(exact=item.exact, prefix=item.prefix[-CONTEXT_LENGTH:], suffix=item.suffix[:CONTEXT_LENGTH],
                   start=item.start if item.start is not None and item.end is not None else -1,
                   end=item.end if item.start is not None and item.end is not None else -1)
    placed = reanchor(article.body_text, old)
    selector = placed.selector or old
    annotation = annotation_service.create(article, user, body=item.text, selector=selector,
                                           kind=_kind(item.motivation), tags=item.tags[:10],
                                           visibility=visibility, status=status)
    annotation.original_exact = item.exact
    annotation.anchor_state = placed.state
    if placed.selector is None:
        annotation.start = annotation.end = None
    return annotation
