"""What readers see of studies: the studies index with its filters, the passages that cite a study, its annotations.

Citing passages are taken from the rendered article (its `data-cite` markers and canonical text), so
they always quote what the article says now.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import selectinload

from app.bibliography import InvalidIdentifier
from app.bibliography.identifiers import normalise_doi, normalise_title
from app.extensions import db
from app.models import Annotation, Article, ArticleStatus, Citation, Study, User
from app.services.pagination import Page, paginate
from app.services.visibility import readable_clause
from app.text.dom import parse_events

PER_PAGE = 25


@dataclass(frozen=True)
class StudyFilters:
    """What the studies index and the API filter by; blank means no filter."""

    design: str | None = None
    evidence_level: int | None = None
    q: str = ""


def _like_pattern(term: str) -> str:
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def filtered_query(filters: StudyFilters):
    """Return the SELECT of studies matching `filters`, most recent first."""
    query = select(Study)
    if filters.design:
        query = query.where(Study.design == filters.design)
    if filters.evidence_level:
        query = query.where(Study.evidence_level == filters.evidence_level)
    term = " ".join(filters.q.split())
    if term:
        conditions = [Study.title.ilike(_like_pattern(term), escape="/"),
                      Study.citation_key.ilike(_like_pattern(term), escape="/")]
        if normalise_title(term):
            conditions.append(Study.title_normalised.like(_like_pattern(normalise_title(term)), escape="/"))
        # Authors are stored as JSON; its text holds non-ASCII names \u-escaped, so search both spellings.
        authors_text = cast(Study.authors, String)
        for spelling in {term, json.dumps(term)[1:-1]}:
            conditions.append(authors_text.ilike(_like_pattern(spelling), escape="/"))
        try:
            doi = normalise_doi(term)
        except InvalidIdentifier:
            doi = None
        if doi:
            conditions.append(Study.doi == doi)
        elif term.lower().startswith("10."):
            conditions.append(Study.doi.like(_like_pattern(term.lower()), escape="/"))
        if term.isdigit():
            conditions.append(Study.pmid == term)
        query = query.where(or_(*conditions))
    return query.order_by(Study.issued_year.desc().nulls_last(), Study.title, Study.id)


def search_studies(filters: StudyFilters, page: int = 1, per_page: int = PER_PAGE) -> Page[Study]:
    """Return one page of studies matching `filters`, most recent first."""
    return paginate(filtered_query(filters), page, per_page)


@dataclass
class Passage:
    """A sentence of an article that cites a study, with the anchor of its citation marker."""

    text: str
    anchor: str


@dataclass
class CitingArticle:
    """A published article citing a study, with the passages where it does."""

    article: Article
    number: int
    passages: list[Passage]


_SENTENCE_END_RE = re.compile(r"[.!?][\"\u201d\u2019)\]]*\s+")


def citing_passages(article: Article, key: str) -> list[Passage]:
    """Return the sentences of `article` that carry a `[@key]` marker, in reading order.

    Markers are found in the rendered HTML (`data-cite`); the sentence is taken from the canonical text
    of the block around the marker: the sentence the marker closes, or the one it sits in.
    """
    events, _ = parse_events(article.body_html)
    text = article.body_text
    passages: list[Passage] = []
    block_start = 0
    block_end_of: dict[int, int] = {}
    open_blocks: list[tuple[int, int]] = []  # (depth, start offset)
    markers: list[tuple[int, int, str]] = []  # (block start, marker offset, anchor id)
    for event in events:
        if event.kind == "start" and event.depth == 0 and "data-block" in event.attrs and not event.void:
            open_blocks.append((event.depth, event.offset))
            block_start = event.offset
        elif event.kind == "end" and event.depth == 0 and open_blocks:
            _, start = open_blocks.pop()
            block_end_of[start] = event.offset
        elif event.kind == "start" and event.attrs.get("data-cite") == key and event.canonical:
            markers.append((block_start, event.offset, event.attrs.get("id") or ""))
    seen: set[str] = set()
    for start, offset, anchor in markers:
        end = block_end_of.get(start, len(text))
        sentence = _sentence_at(text[start:end], offset - start)
        if sentence and sentence not in seen:
            seen.add(sentence)
            passages.append(Passage(sentence, anchor))
    return passages


def _sentence_at(block: str, offset: int) -> str:
    before = block[:offset]
    closes_sentence = before.rstrip().endswith((".", "!", "?", ".\u201d", "?\u201d", '."', ".)"))
    trimmed = before.rstrip()
    # Look for the sentence break before the one the marker belongs to.
    search_in = trimmed[:-1] if closes_sentence else trimmed
    starts = [m.end() for m in _SENTENCE_END_RE.finditer(search_in)]
    start = starts[-1] if starts else 0
    if closes_sentence:
        end = len(trimmed)
    else:
        following = _SENTENCE_END_RE.search(block, offset)
        end = following.start() + 1 if following else len(block)
    # Other citation numbers in the sentence are canonical text too ("formation?1"); keep them.
    return " ".join(block[start:end].split())


def citing_articles(study: Study) -> list[CitingArticle]:
    """Return the published articles citing `study`, each with its citing passages."""
    rows = db.session.execute(
        select(Citation, Article).join(Article, Citation.article_id == Article.id)
        .where(Citation.study_id == study.id, Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.created_at.desc(), Article.id)).all()
    return [CitingArticle(article, citation.position, citing_passages(article, citation.key))
            for citation, article in rows]


def citing_slugs(study_ids: list[int]) -> dict[int, list[str]]:
    """Return, per study id, the slugs of the published articles citing it (one query)."""
    result: dict[int, list[str]] = {study_id: [] for study_id in study_ids}
    if not study_ids:
        return result
    rows = db.session.execute(
        select(Citation.study_id, Article.slug).join(Article, Citation.article_id == Article.id)
        .where(Citation.study_id.in_(study_ids), Article.status == ArticleStatus.PUBLISHED)
        .order_by(Article.slug))
    for study_id, slug in rows:
        result[study_id].append(slug)
    return result


def linked_annotations(study: Study, viewer: User | None) -> list[Annotation]:
    """Return the annotations linked to `study` that `viewer` may read, on published articles, newest first."""
    return list(db.session.scalars(
        select(Annotation).join(Article, Annotation.article_id == Article.id)
        .where(Annotation.study_id == study.id, Annotation.deleted_at.is_(None),
               Article.status == ArticleStatus.PUBLISHED, readable_clause(viewer))
        .options(selectinload(Annotation.author), selectinload(Annotation.article))
        .order_by(Annotation.created_at.desc(), Annotation.id.desc())))
