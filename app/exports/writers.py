"""Exports of a discussion, streamed: an article's as CSV, W3C AnnotationCollection (JSON-LD) and Markdown,
and a person's own annotations (GDPR article 20) as JSON-LD and CSV.

What an export holds is decided by app.services.visibility, as for the page: an article's export
has the annotations the viewer may read in the page's layer (layer_clause: the public layer unless a
journal club's or "mine" is asked for); a person's export has everything
they wrote (authored_clause), private, pending and hidden notes included. Deleted annotations are
left out; replies to them stay, pointing at their parent's id. Rows are read a few hundred at a time
and written as they come, so a discussion of thousands of annotations never sits in memory whole.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from app.bibliography.appraisal import GRADE_FACTORS, JUDGEMENTS, TOOLS
from app.bibliography.evidence import DESIGNS
from app.extensions import db
from app.models import Annotation, Article, Citation, User
from app.services.appraisals import values_of
from app.services.evidence_map import notice_badge_text, notices_of
from app.services.visibility import PUBLIC_LAYER, Layer, authored_clause, layer_clause

BATCH = 200
CSV_COLUMNS = ("annotation_id", "permalink", "article", "article_url", "thread_id", "in_reply_to", "created",
               "edited", "author", "profession", "competing_interests", "kind", "visibility", "status",
               "anchor_state", "quote", "comment", "tags", "linked_reference", "linked_study_doi",
               "appraisal_tool", "appraisal_domain", "appraisal_judgement", "grade_factor")
# Spreadsheets run a cell starting with these as a formula (CSV injection); a leading quote keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _root():
    return aliased(Annotation)


def article_query(article: Article, viewer: User | None, layer: Layer = PUBLIC_LAYER):
    """Return the SELECT of the annotations of `article` that `viewer` may read in `layer`, threads in reading order."""
    root = _root()
    thread = func.coalesce(Annotation.root_id, Annotation.id)
    return (select(Annotation)
            .outerjoin(root, root.id == thread)
            .where(Annotation.article_id == article.id, Annotation.deleted_at.is_(None), layer_clause(viewer, layer))
            .options(joinedload(Annotation.author), joinedload(Annotation.study))
            .order_by(root.start.is_(None), root.start, thread, Annotation.created_at, Annotation.id))


def person_query(user: User):
    """Return the SELECT of everything `user` wrote (live), oldest first."""
    return (select(Annotation).where(authored_clause(user), Annotation.deleted_at.is_(None))
            .options(joinedload(Annotation.author), joinedload(Annotation.study),
                     joinedload(Annotation.article).selectinload(Article.citations))
            .order_by(Annotation.created_at, Annotation.id))


def count(query) -> int:
    """Return how many rows `query` selects."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def stream(query) -> Iterator[Annotation]:
    """Yield the annotations of `query`, reading BATCH rows at a time."""
    yield from db.session.scalars(query.execution_options(yield_per=BATCH))


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if value else ""


def _reference_of(annotation: Annotation) -> Citation | None:
    if annotation.study_id is None:
        return None
    return next((c for c in annotation.article.citations if c.study_id == annotation.study_id), None)


def _appraisal_cells(annotation: Annotation) -> list[str]:
    if annotation.appraisal is None:
        return ["", "", "", ""]
    values = values_of(annotation.appraisal)
    return [TOOLS[values.tool].name, values.domain_label, JUDGEMENTS[values.judgement].label,
            GRADE_FACTORS.get(values.grade_factor or "", "")]


def _csv_row(annotation: Annotation) -> list[str]:
    article = annotation.article
    citation = _reference_of(annotation)
    author = annotation.author
    return [str(annotation.id), url_for("annotating.permalink", annotation_id=annotation.id, _external=True),
            article.title, url_for("main.article", slug=article.slug, _external=True),
            str(annotation.root_id or annotation.id), str(annotation.parent_id or ""), _iso(annotation.created_at),
            _iso(annotation.edited_at), author.display_name, author.profession or "", author.interests_statement,
            annotation.kind.label if not annotation.is_reply else "Reply", annotation.visibility.value,
            annotation.status.value, annotation.anchor_state if not annotation.is_reply else "",
            annotation.exact or annotation.original_exact or "", annotation.body, ", ".join(annotation.tags or []),
            f"[{citation.position}] {annotation.study.title}" if citation and annotation.study else
            (annotation.study.title if annotation.study else ""),
            annotation.study.doi or "" if annotation.study else "", *_appraisal_cells(annotation)]


def csv_lines(annotations: Iterable[Annotation]) -> Iterator[str]:
    """Yield a CSV file (header first, UTF-8 with a byte-order mark so spreadsheets read accents) line by line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()
    for annotation in annotations:
        writer.writerow([_cell(value) for value in _csv_row(annotation)])
        yield flush()


def jsonld_lines(annotations: Iterable[Annotation], viewer: User | None, *, collection_id: str, label: str,
                 total: int) -> Iterator[str]:
    """Yield a W3C AnnotationCollection holding every annotation in one AnnotationPage, item by item."""
    from app.api import w3c
    from app.api.serializers import serialize_annotation

    head = {"@context": w3c.annotation_context(), "id": collection_id, "type": "AnnotationCollection",
            "label": label, "total": total, "generated": _iso(datetime.now(UTC)),
            "generator": {"type": "Software", "name": "Postil", "homepage": url_for("main.index", _external=True)}}
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    yield opening + ', "first": {"type": "AnnotationPage", "startIndex": 0, "items": [\n'
    separator = ""
    for annotation in annotations:
        yield separator + json.dumps(serialize_annotation(annotation, viewer), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}}\n"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else prefix.rstrip() for line in text.splitlines())


def _study_line(annotation: Annotation) -> str:
    study = annotation.study
    citation = _reference_of(annotation)
    facts = [DESIGNS.get(study.design or "", "design not stated")]
    facts.append(f"CEBM level {study.evidence_level}" if study.evidence_level else "not graded")
    facts += [notice_badge_text(n) for n in notices_of(study)]
    number = f"[{citation.position}] " if citation else ""
    return f"*Linked study:* {number}{study.title} ({'; '.join(facts)})"


def markdown_lines(article: Article, annotations: Iterable[Annotation], total: int) -> Iterator[str]:
    """Yield the discussion as Markdown notes: each thread's quote, comment, study, appraisal, then its replies."""
    url = url_for("main.article", slug=article.slug, _external=True)
    today = datetime.now(UTC)
    yield (f"# Discussion: {article.title}\n\n"
           f"Exported from Postil on {today.day} {today:%B %Y} from <{url}>: "
           f"{total} annotation{'s' if total != 1 else ''} and replies you can see.\n")
    depth: dict[int, int] = {}
    current_thread = None
    number = 0
    for annotation in annotations:
        thread = annotation.root_id or annotation.id
        who = f"**{annotation.author.display_name}**" + (
            f", {annotation.author.profession}" if annotation.author.profession else "")
        when = f"{annotation.created_at.day} {annotation.created_at:%b %Y}"
        interests = f"competing interests: {annotation.author.interests_statement}"
        if thread != current_thread:
            current_thread = thread
            number += 1
            if annotation.is_reply:
                yield f"\n---\n\n## {number}. A thread whose opening annotation you cannot see\n"
        if not annotation.is_reply:
            depth[annotation.id] = 0
            quote = annotation.exact or annotation.original_exact or ""
            yield (f"\n---\n\n## {number}. {annotation.kind.label}\n\n" + _indent(quote, "> ") + "\n\n"
                   f"{who} · {when} · {interests}"
                   + (" · private note" if annotation.visibility.value == "private" else "")
                   + (f" · journal club: {annotation.group.name}" if annotation.group is not None else "") + "\n\n"
                   + annotation.body + "\n")
            extras = []
            if annotation.tags:
                extras.append("*Tags:* " + ", ".join(annotation.tags))
            if annotation.study is not None:
                extras.append(_study_line(annotation))
            if annotation.appraisal is not None:
                tool, domain, judgement, grade = _appraisal_cells(annotation)
                extras.append(f"*Appraisal:* {tool} · {domain} · {judgement}" + (f" · GRADE: {grade}" if grade else ""))
            if extras:
                yield "\n" + "  \n".join(extras) + "\n"
            continue
        level = depth.get(annotation.parent_id or 0, 0) + 1
        depth[annotation.id] = level
        pad = "  " * (min(level, 3) - 1)
        yield f"\n{pad}- {who} · {when} · {interests}:\n\n" + _indent(annotation.body, pad + "  ") + "\n"
