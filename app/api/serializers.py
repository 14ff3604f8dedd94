"""JSON for API clients: annotations as W3C Web Annotations, articles and people as plain JSON.

Fields are chosen by who is looking, in one place per object: everyone gets the public fields;
the author and moderators also get the moderation reason; moderators also get the open flag count.
Nothing private is copied into a response unless a rule here says the viewer may see it.

Serialising expects the annotation's author, article (with its citations) and study to be loaded
already (lists load them in their one query); otherwise each is lazily loaded.
"""
from __future__ import annotations

from flask import url_for

from app.api import w3c
from app.models import Annotation, AnnotationKind, Article, Citation, User
from app.services.answers import visible_answer


def _is_moderator(viewer: User | None) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_moderator


def _is_author(viewer: User | None, annotation: Annotation) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.id == annotation.author_id


def serialize_person(user: User) -> dict:
    """Return the public profile of an author, as a W3C `Person` agent."""
    person = {"id": w3c.person_iri(user.id), "type": "Person", "name": user.display_name,
              "profession": user.profession or "", "affiliation": user.affiliation or "",
              "competing_interests": user.interests_statement}
    if user.orcid:
        person["orcid"] = f"https://orcid.org/{user.orcid}"
    return person


def _citation_of(article: Article, study_id: int | None) -> Citation | None:
    if study_id is None:
        return None
    return next((c for c in article.citations if c.study_id == study_id), None)


def _link_body(annotation: Annotation) -> dict | None:
    citation = _citation_of(annotation.article, annotation.study_id)
    if citation is not None:
        source = w3c.reference_iri(annotation.article.slug, citation.position)
    elif annotation.study is not None and annotation.study.doi:
        # The article no longer cites the study: point to the work itself.
        source = f"https://doi.org/{annotation.study.doi}"
    else:
        return None
    return {"type": "SpecificResource", "purpose": w3c.LINKING, "source": source}


def _bodies(annotation: Annotation) -> list[dict]:
    bodies = [{"type": "TextualBody", "value": annotation.body, "format": w3c.MARKDOWN}]
    bodies += [{"type": "TextualBody", "purpose": w3c.TAGGING, "value": tag} for tag in annotation.tags or []]
    link = _link_body(annotation) if annotation.study_id is not None else None
    if link is not None:
        bodies.append(link)
    return bodies


def _selectors(annotation: Annotation) -> list[dict]:
    if annotation.anchor_state in ("orphaned", "changed") or annotation.start is None or annotation.end is None:
        # An orphan, or a passage whose figures changed, is not attached: it keeps the quote its author
        # vouched for, but no place in the text.
        quote = {"type": "TextQuoteSelector", "exact": annotation.vouched_exact}
        return [quote]
    quote = {"type": "TextQuoteSelector", "exact": annotation.exact or ""}
    if annotation.prefix:
        quote["prefix"] = annotation.prefix
    if annotation.suffix:
        quote["suffix"] = annotation.suffix
    return [quote, {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end}]


# --- anchor (issue 10: anchor history). Kept apart so a rewrite of the schemas can carry it across. ---------


def _anchor(annotation: Annotation) -> dict:
    """Return where a top-level annotation stands: its state, the version judged, and the quote as written."""
    anchor = {"state": annotation.anchor_state, "article_version": annotation.anchor_version,
              "original": {"exact": annotation.original_exact or annotation.exact or "",
                           "article_version": annotation.created_version}}
    if annotation.anchor_state == "changed" and annotation.exact is not None:
        # The passage as it reads now, which the annotation is not attached to.
        anchor["current"] = {"exact": annotation.exact}
    return anchor


def motivation_of(annotation: Annotation) -> str:
    """Return the W3C motivation of an annotation (replies are "replying")."""
    return w3c.REPLYING if annotation.is_reply else w3c.MOTIVATION_OF_KIND[annotation.kind]


# A journal club's annotation names its group's IRI (the audience beside `visibility` "group").
GROUP_KEY = "postil:group"


def serialize_annotation(annotation: Annotation, viewer: User | None) -> dict:
    """Return `annotation` as a W3C Web Annotation (JSON-LD) with the fields `viewer` may see.

    Does not check that `viewer` may read the annotation at all: callers decide that first
    (app.services.visibility.can_read or readable_clause).
    """
    data = {
        "@context": w3c.annotation_context(),
        "id": w3c.annotation_iri(annotation.article.slug, annotation.id),
        "type": "Annotation",
        "motivation": motivation_of(annotation),
        "created": w3c.timestamp(annotation.created_at),
        "modified": w3c.timestamp(annotation.modified_at),
        "creator": serialize_person(annotation.author),
    }
    moderator, author = _is_moderator(viewer), _is_author(viewer, annotation)
    if annotation.is_deleted and not moderator:
        data["body"] = []
        data["body_html"] = ""
    else:
        data["body"] = _bodies(annotation)
        data["body_html"] = annotation.body_html
    if annotation.is_reply:
        data["target"] = w3c.annotation_iri(annotation.article.slug, annotation.parent_id)
    else:
        data["target"] = {"source": w3c.article_iri(annotation.article.slug), "selector": _selectors(annotation)}
        data["anchor"] = _anchor(annotation)
    for name in ("canonical", "via"):
        if getattr(annotation, name):
            data[name] = getattr(annotation, name)
    data["status"] = annotation.status.value
    data["visibility"] = annotation.visibility.value
    if annotation.group is not None:
        data[GROUP_KEY] = url_for("api.get_group", slug=annotation.group.slug, _external=True)
    data["helpful"] = annotation.helpful_count or 0
    if annotation.kind == AnnotationKind.QUESTION and not annotation.is_reply:
        answer = visible_answer(annotation, viewer)
        data["answer"] = w3c.annotation_iri(annotation.article.slug, answer.id) if answer is not None else None
    data["edited"] = w3c.timestamp(annotation.edited_at)
    if annotation.is_deleted:
        data["deleted"] = w3c.timestamp(annotation.deleted_at)
    if author or moderator:
        data["moderation_reason"] = annotation.moderation_reason
    if moderator:
        data["open_flags"] = annotation.open_flags
    return data


def _article_fields(article: Article) -> dict:
    """Return the fields every serialised article carries."""
    return {
        "id": _article_api_iri(article),
        "slug": article.slug,
        "title": article.title,
        "url": w3c.article_iri(article.slug),
        "annotations": _collection_iri(article),
        "version": article.version,
        "standfirst": article.standfirst or "",
        "tags": list(article.tags or []),
    }


def serialize_article_summary(article: Article, annotation_count: int) -> dict:
    """Return the list entry of a published article; `annotation_count` is what the viewer may read."""
    return {**_article_fields(article), "annotation_count": annotation_count}


def serialize_reference(article: Article, citation: Citation) -> dict:
    """Return one entry of an article's reference list; `url` is what a linking body points to."""
    study = citation.study
    return {
        "number": citation.position,
        "key": citation.key,
        "id": study.id,
        "url": w3c.reference_iri(article.slug, citation.position),
        "title": study.title,
        "authors": [_author_name(a) for a in study.authors or []],
        "journal": study.container_title,
        "year": study.issued_year,
        "doi": study.doi,
        "pmid": study.pmid,
        "design": study.design,
        "evidence_level": study.evidence_level,
        "retracted": bool(study.retracted),
    }


def serialize_article(article: Article, references: list[Citation]) -> dict:
    """Return a published article with its canonical text (what selectors count in) and references."""
    return {
        **_article_fields(article),
        "source": article.source or "",
        "updated": w3c.timestamp(article.updated_at),
        "text": article.body_text,
        "references": [serialize_reference(article, c) for c in references],
    }


def _author_name(author: dict) -> str:
    if author.get("literal"):
        return str(author["literal"])
    return " ".join(part for part in (author.get("family"), author.get("given")) if part)


def _article_api_iri(article: Article) -> str:
    return url_for("api.get_article", slug=article.slug, _external=True)


def _collection_iri(article: Article) -> str:
    return w3c.container_iri(article.slug)
