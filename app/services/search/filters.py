"""Fielded filters (`kind:`, `tag:`, `author:`, `design:`, `level:`, `article:`, `is:`) as SQL conditions.

Each filter applies to the document types it makes sense for and leaves the others out: `kind:`
keeps only annotations, `design:` only studies, `tag:` annotations and articles. A value that names
nothing (`kind:poem`, `level:9`) is left out with a notice saying what the field accepts, so a typo
never silently empties the results.

`ANNOTATION_STATES` is the hook for `is:` filters and their facet: each state names a condition on
annotations. The conversation feature adds "unanswered" (questions without an accepted answer)
here, and the facet and the filter follow with no other change.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, exists, false, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS, design_from_text
from app.models import Annotation, AnnotationKind, Article, Citation, SearchDocument, Study, User, Visibility
from app.services.search.engines import Engine
from app.text.query import FieldFilter
from app.text.search_documents import ANNOTATION, ARTICLE, STUDY

DOCS = SearchDocument.__table__
KIND_ALIASES = {"questions": "question", "comments": "comment", "critiques": "critique", "critic": "critique",
                "supports": "support", "evidence": "support", "practices": "practice", "rx": "practice"}
# The document types each filter can keep: a search need not look for the others at all.
FIELD_TYPES = {"kind": {ANNOTATION}, "tag": {ANNOTATION, ARTICLE}, "author": {ANNOTATION, STUDY},
               "design": {STUDY}, "level": {STUDY}, "article": {ANNOTATION, ARTICLE, STUDY}, "is": {ANNOTATION}}
DESIGN_ALIASES = {"randomised": "rct", "randomized": "rct", "trial": "rct", "meta": "systematic_review",
                  "review": "systematic_review", "sr": "systematic_review", "case": "case_series"}


@dataclass(frozen=True)
class AnnotationState:
    """A named condition on annotations, for `is:<name>` and its facet."""

    label: str
    condition: Callable[[User | None], ColumnElement[bool]]
    signed_in_only: bool = False


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


ANNOTATION_STATES: dict[str, AnnotationState] = {
    "reply": AnnotationState("Replies", lambda _viewer: Annotation.parent_id.is_not(None)),
    "mine": AnnotationState("Mine", lambda viewer: Annotation.author_id == _viewer_id(viewer), signed_in_only=True),
    "private": AnnotationState("My private notes", lambda _viewer: Annotation.visibility == Visibility.PRIVATE,
                               signed_in_only=True),
}


def _doc_is(doc_type: str) -> ColumnElement[bool]:
    return DOCS.c.doc_type == doc_type


def _has_tag(engine: Engine, column, tag: str) -> ColumnElement[bool]:
    elements = engine.json_elements(column)
    return exists(select(1).select_from(elements).where(func.lower(elements.c.value) == tag))


def _contains(column, value: str) -> ColumnElement[bool]:
    return func.lower(column).contains(value, autoescape=True)


class FilterResolver:
    """Turns fielded filters into conditions for one viewer, collecting notices about bad values."""

    def __init__(self, engine: Engine, viewer: User | None):
        self.engine = engine
        self.viewer = viewer
        self.notices: list[str] = []
        # The document types the usable filters can keep (every type until a filter narrows them).
        self.types: set[str] = {ANNOTATION, ARTICLE, STUDY}

    def conditions(self, filters) -> list[ColumnElement[bool]]:
        """Return one condition per usable filter (negated ones inverted), narrowing `types`."""
        out = []
        for item in filters:
            condition = self.condition(item)
            if condition is not None and not item.negated:
                self.types &= FIELD_TYPES[item.field]
            if condition is not None:
                out.append(not_(condition) if item.negated else condition)
        return out

    def condition(self, item: FieldFilter) -> ColumnElement[bool] | None:
        """Return the condition of one filter, or None (with a notice) when its value names nothing."""
        return getattr(self, f"_{item.field}")(item.value)

    def _kind(self, value: str):
        kind = KIND_ALIASES.get(value, value)
        if kind not in {k.value for k in AnnotationKind}:
            names = ", ".join(k.value for k in AnnotationKind)
            self.notices.append(f"kind:{value} was left out: the kinds are {names}.")
            return None
        return and_(_doc_is(ANNOTATION), Annotation.parent_id.is_(None), Annotation.kind == AnnotationKind(kind))

    def _tag(self, value: str):
        tagged = select(Article.id).where(_has_tag(self.engine, Article.tags, value))
        return or_(and_(_doc_is(ANNOTATION), _has_tag(self.engine, Annotation.tags, value)),
                   and_(_doc_is(ARTICLE), DOCS.c.article_id.in_(tagged)))

    def _author(self, value: str):
        if value == "me":
            viewer_id = _viewer_id(self.viewer)
            if viewer_id is None:
                self.notices.append("author:me needs you to be signed in.")
                return false()
            return and_(_doc_is(ANNOTATION), Annotation.author_id == viewer_id)
        named = select(User.id).where(_contains(User.display_name, value))
        return or_(and_(_doc_is(ANNOTATION), Annotation.author_id.in_(named)),
                   and_(_doc_is(STUDY), _contains(cast(Study.authors, String), value)))

    def _design(self, value: str):
        code = value.replace("-", "_").replace(" ", "_")
        code = code if code in DESIGNS else DESIGN_ALIASES.get(value) or design_from_text(value)
        if code not in DESIGNS:
            self.notices.append(f"design:{value} was left out: the designs are {', '.join(DESIGNS)}.")
            return None
        return and_(_doc_is(STUDY), Study.design == code)

    def _level(self, value: str):
        level = int(value) if value.isdigit() else None
        if level not in EVIDENCE_LEVELS:
            self.notices.append(f"level:{value} was left out: CEBM levels go from 1 (strongest) to 5.")
            return None
        return and_(_doc_is(STUDY), Study.evidence_level == level)

    def _article(self, value: str):
        article = select(Article.id).where(Article.slug == value)
        cited = select(Citation.study_id).where(Citation.article_id.in_(article))
        return or_(and_(DOCS.c.doc_type.in_((ANNOTATION, ARTICLE)), DOCS.c.article_id.in_(article)),
                   and_(_doc_is(STUDY), Study.id.in_(cited)))

    def _is(self, value: str):
        state = ANNOTATION_STATES.get(value)
        if state is None:
            self.notices.append(f"is:{value} was left out: use is:{', is:'.join(ANNOTATION_STATES)}.")
            return None
        if state.signed_in_only and _viewer_id(self.viewer) is None:
            self.notices.append(f"is:{value} needs you to be signed in.")
            return false()
        return and_(_doc_is(ANNOTATION), state.condition(self.viewer))
