"""What search indexes: the text of an article passage, an annotation or a study, as plain strings.

Every searchable thing becomes documents with four text fields, weighted in that order by both
engines: `title` (an article's or a study's title), `body` (a passage, an annotation's text, a
study's abstract and findings), `quote` (the passage an annotation is written on) and `extra`
(tags, authors, journal, identifiers). Articles are indexed by paragraph, so a result can point at
the passage that matched; position -1 is the article's head (title, standfirst, tags).

Text is stored as readers see it (Markdown rendered, HTML removed), in NFC, without control
characters, so that the engines' snippets are plain text and the snippet markers
(app.text.snippets) can never come from a reader.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from app.text.markdown import render_article

ARTICLE = "article"
ANNOTATION = "annotation"
STUDY = "study"
DOC_TYPES = (ARTICLE, ANNOTATION, STUDY)
HEAD = -1

_BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "blockquote", "pre", "table", "tr", "td", "th",
                         "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "dd", "dt"})


@dataclass(frozen=True)
class Document:
    """One unit of searchable text."""

    doc_type: str
    title: str = ""
    body: str = ""
    quote: str = ""
    extra: str = ""
    position: int | None = None


def index_text(value: str | None) -> str:
    """Return `value` as stored for search: NFC, no control characters, single spaces between words."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return " ".join(text.split())


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def plain_text(html_text: str | None) -> str:
    """Return the text a reader sees in sanitised HTML, blocks separated by spaces."""
    parser = _TextOnly()
    parser.feed(html_text or "")
    parser.close()
    return index_text("".join(parser.parts))


def annotation_document(body_html: str, exact: str | None, tags: list | None) -> Document:
    """Return the document of an annotation or reply: its text, its quoted passage and its tags."""
    return Document(ANNOTATION, body=plain_text(body_html), quote=index_text(exact),
                    extra=index_text(" ".join(str(t) for t in tags or [])))


def article_documents(title: str, standfirst: str, tags: list | None, source: str,
                      body_source: str) -> list[Document]:
    """Return an article's head document and one document per top-level block of its body."""
    title = index_text(title)
    head = Document(ARTICLE, title=title, body=index_text(standfirst),
                    extra=index_text(" ".join([*(str(t) for t in tags or []), source or ""])), position=HEAD)
    blocks = render_article(body_source or "").blocks
    return [head] + [Document(ARTICLE, title=title, body=index_text(b.text), position=b.index)
                     for b in blocks if index_text(b.text)]


def author_names(authors: list | None) -> str:
    """Return CSL-JSON author names as text ("Karagiannis George S.; et al.")."""
    names = []
    for author in authors or []:
        if isinstance(author, dict):
            name = author.get("literal") or " ".join(str(author.get(k) or "") for k in ("family", "given"))
            names.append(index_text(str(name)))
        else:
            names.append(index_text(str(author)))
    return "; ".join(n for n in names if n)


def study_document(*, title: str, authors: list | None, journal: str | None, journal_short: str | None,
                   abstract: str | None, key_findings: str | None, population: str | None,
                   doi: str | None, pmid: str | None, pmcid: str | None) -> Document:
    """Return the document of a study: title, abstract and findings, then authors, journal, identifiers."""
    body = " ".join(index_text(v) for v in (abstract, key_findings, population) if v)
    extra = " ".join(index_text(v) for v in (author_names(authors), journal, journal_short, doi,
                                              f"PMID {pmid}" if pmid else "", pmcid) if v)
    return Document(STUDY, title=index_text(title), body=body, extra=extra)
