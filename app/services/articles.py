"""Articles: import from Markdown with front matter, rendering at write time, citations."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.models import Annotation, Article, ArticleRevision, ArticleStatus, Citation, Study, User
from app.services.errors import ServiceError
from app.text.markdown import normalise_source, render_article, split_front_matter

SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """Make a URL slug from a title or file name."""
    return SLUG_RE.sub("-", value.lower()).strip("-")[:120] or "article"


# What writing on an article reads of it: anchoring reads the canonical text, the rest names it.
_FOR_WRITING = (Article.id, Article.slug, Article.title, Article.status, Article.version, Article.display_rev,
                Article.body_text, Article.created_at)


def get_published(slug: str, *, references: bool = True) -> Article | None:
    """Return the published article with this slug, or None.

    With `references`, its references (citations and studies) are loaded too; without, only what
    writing on it needs (one small query: no source, no HTML); the rest loads if touched.
    """
    if not references:
        return db.session.scalar(_PUBLISHED_FOR_WRITING, {"slug": slug})
    return db.session.scalar(
        select(Article).where(Article.slug == slug, Article.status == ArticleStatus.PUBLISHED)
        .options(selectinload(Article.citations).selectinload(Citation.study)))


# What identifies an article page's state (PageKey), and which article a slug names for readers.
PAGE_KEY_COLUMNS = (Article.id, Article.slug, Article.title, Article.created_at, Article.version, Article.display_rev)


def published_at(slug) -> tuple:
    """Return the conditions naming the published article at `slug` (a value or a bound parameter)."""
    return Article.slug == slug, Article.status == ArticleStatus.PUBLISHED


_PAGE_KEY_QUERY = select(*PAGE_KEY_COLUMNS).where(*published_at(bindparam("slug")))
# `get_published` without references (every write on an article), built once.
_PUBLISHED_FOR_WRITING = select(Article).where(*published_at(bindparam("slug"))).options(load_only(*_FOR_WRITING))


class PageKey(NamedTuple):
    """What identifies the rendered state of an article page: any reader-visible change alters it."""

    id: int
    slug: str
    title: str
    created: str
    version: int
    display_rev: int


def page_key(slug: str, connection=None) -> PageKey | None:
    """Return the published article's page key (one small query), or None when there is no such article.

    Read on `connection`, or on the session's connection when None.
    """
    # A Core query: this runs on every page view, cached or not.
    row = (connection or db.session.connection()).execute(_PAGE_KEY_QUERY, {"slug": slug}).first()
    if row is None:
        return None
    return PageKey(row.id, row.slug, row.title, row.created_at.isoformat(), row.version, row.display_rev)


def references_of(article: Article) -> list[Citation]:
    """Return the article's citations in Vancouver order (first appearance), with their studies."""
    if "citations" in inspect(article).unloaded:  # loaded without references: one query, not one per study
        return list(db.session.scalars(select(Citation).where(Citation.article_id == article.id)
                                       .options(selectinload(Citation.study)).order_by(Citation.position)))
    return sorted(article.citations, key=lambda c: c.position)


@dataclass
class ArticleInput:
    """An article as parsed from a Markdown file with YAML front matter."""

    title: str
    body: str
    standfirst: str = ""
    source: str = ""
    commented_work: str | None = None
    tags: list[str] | None = None
    slug: str | None = None


def parse_markdown_file(text: str, default_slug: str | None = None) -> ArticleInput:
    """Parse Markdown with YAML front matter into an ArticleInput; raise ServiceError when malformed."""
    try:
        meta, body = split_front_matter(normalise_source(text))
    except ValueError as exc:
        raise ServiceError(str(exc), "source") from None
    title = str(meta.get("title") or "").strip()
    if not title:
        raise ServiceError("The front matter needs a title.", "title")
    tags = meta.get("tags") or []
    if not isinstance(tags, list):
        raise ServiceError("Front matter 'tags' must be a list.", "tags")
    return ArticleInput(title=title, body=body, standfirst=str(meta.get("standfirst") or ""),
                        source=str(meta.get("source") or ""),
                        commented_work=(str(meta["commented_work"]) if meta.get("commented_work") else None),
                        tags=[str(t) for t in tags], slug=meta.get("slug") or default_slug)


def _studies_by_key(keys: list[str]) -> dict[str, Study]:
    if not keys:
        return {}
    return {s.citation_key: s for s in db.session.scalars(select(Study).where(Study.citation_key.in_(keys)))}


def save_article(data: ArticleInput, editor: User | None, note: str = "",
                 status: ArticleStatus = ArticleStatus.PUBLISHED) -> Article:
    """Create or update the article with data.slug; render once and record a revision.

    Raises ServiceError listing unknown citation keys; nothing is written then.
    """
    body = normalise_source(data.body)
    slug = slugify(data.slug or data.title)
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    keys_in_body = render_article(body).citation_keys
    studies = _studies_by_key(keys_in_body)
    rendered = render_article(body, known_keys=set(studies))
    if rendered.unknown_keys:
        raise ServiceError("Unknown citation keys: " + ", ".join(rendered.unknown_keys)
                           + ". Add these studies first or correct the keys.", "body")
    if article is None:
        article = Article(slug=slug, version=0, display_rev=0)
        db.session.add(article)
    elif article.body_source == body and article.title == data.title:
        _apply_metadata(article, data)
        return article
    _apply_metadata(article, data)
    article.status = status
    article.body_source = body
    article.body_html = rendered.html
    article.body_text = rendered.text
    article.version = (article.version or 0) + 1
    article.display_rev = (article.display_rev or 0) + 1
    _replace_citations(article, rendered.citation_keys, studies)
    db.session.flush()
    from app.services import anchoring

    anchoring.reanchor_article(article)
    db.session.add(ArticleRevision(article_id=article.id, version=article.version, title=article.title,
                                   body_source=body, body_text=rendered.text, note=note,
                                   created_by_id=editor.id if editor else None))
    db.session.flush()
    return article


def bump_display(article_id: int) -> None:
    """Mark the article's rendered page as stale (any change a reader would see).

    A plain statement on the session's connection; the article, if this session holds it, reads its
    display revision again when next asked (cheaper than the ORM's evaluation of the update on every
    object it holds).
    """
    db.session.connection().execute(_BUMP_DISPLAY, {"article_id": article_id})
    loaded = db.session.identity_map.get(db.session.identity_key(Article, article_id))
    if loaded is not None:
        db.session.expire(loaded, ["display_rev", "updated_at"])


_BUMP_DISPLAY = (update(Article).where(Article.id == bindparam("article_id"))
                 .values(display_rev=Article.display_rev + 1))


def bump_display_for_author(user_id: int) -> None:
    """Mark stale every article page showing the user's annotations (their name and profile appear there)."""
    annotated = select(Annotation.article_id).where(Annotation.author_id == user_id).distinct()
    db.session.execute(update(Article).where(Article.id.in_(annotated))
                       .values(display_rev=Article.display_rev + 1))


def _apply_metadata(article: Article, data: ArticleInput) -> None:
    article.title = data.title
    article.standfirst = data.standfirst
    article.source = data.source
    article.commented_work_key = data.commented_work
    article.tags = list(data.tags or [])


def _replace_citations(article: Article, keys: list[str], studies: dict[str, Study]) -> None:
    article.citations.clear()
    db.session.flush()
    for position, key in enumerate(keys, start=1):
        article.citations.append(Citation(key=key, study=studies[key], position=position))
