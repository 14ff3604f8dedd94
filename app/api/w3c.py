"""The W3C Web Annotation vocabulary as Postil uses it: contexts, motivations and IRIs.

The mapping between Postil's annotation kinds and W3C motivations is built here from the kinds'
table (app/text/kinds.py); the serialiser, the request parser and the OpenAPI description read it.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for

from app.models import AnnotationKind

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
# Every motivation defined by the Web Annotation Vocabulary (section 3.3.5).
W3C_MOTIVATIONS = ("assessing", "bookmarking", "classifying", "commenting", "describing", "editing",
                   "highlighting", "identifying", "linking", "moderating", "questioning", "replying", "tagging")

MOTIVATION_OF_KIND: dict[AnnotationKind, str] = {kind: kind.motivation for kind in AnnotationKind}
KIND_OF_MOTIVATION: dict[str, AnnotationKind] = {m: k for k, m in MOTIVATION_OF_KIND.items()}
REPLYING = "replying"
TAGGING = "tagging"
LINKING = "linking"
MARKDOWN = "text/markdown"

# Postil's own fields keep plain names; the context served at /api/context.jsonld gives them IRIs
# so a served annotation stays valid JSON-LD. `anchor` is an opaque JSON value: its keys are not
# Web Annotation terms (anno.jsonld's `state` means something else).
POSTIL_TERMS = {
    "status": "postil:status",
    "visibility": "postil:visibility",
    "anchor": {"@id": "postil:anchor", "@type": "@json"},
    "body_html": "postil:bodyHtml",
    "edited": {"@id": "postil:edited", "@type": "xsd:dateTime"},
    "deleted": {"@id": "postil:deleted", "@type": "xsd:dateTime"},
    "moderation_reason": "postil:moderationReason",
    "open_flags": "postil:openFlags",
    "helpful": "postil:helpful",
    "answer": {"@id": "postil:answer", "@type": "@id"},
    "profession": "postil:profession",
    "affiliation": "postil:affiliation",
    "competing_interests": "postil:competingInterests",
    "orcid": {"@id": "postil:orcid", "@type": "@id"},
}


def postil_context_iri() -> str:
    """Return the IRI of the JSON-LD context defining Postil's extra terms."""
    return url_for("api.jsonld_context", _external=True)


def postil_context() -> dict:
    """Return the JSON-LD context defining Postil's extra terms under its namespace."""
    return {"@version": 1.1, "xsd": "http://www.w3.org/2001/XMLSchema#", "postil": postil_context_iri() + "#",
            **POSTIL_TERMS}


def annotation_context() -> list[str]:
    """Return the @context of a served annotation: the W3C context first, then Postil's."""
    return [ANNO_CONTEXT, postil_context_iri()]


def timestamp(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 UTC with a Z suffix, to the second."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def container_iri(slug: str, **query) -> str:
    """Return the IRI of an article's annotation container (it ends in "/"), with optional query arguments."""
    return url_for("api.list_annotations", slug=slug, _external=True, **query)


def annotation_iri(slug: str, annotation_id: int) -> str:
    """Return the IRI of an annotation: its article's container IRI and its number."""
    return url_for("api.get_annotation", slug=slug, annotation_id=annotation_id, _external=True)


def article_iri(slug: str) -> str:
    """Return the IRI annotations target: the article's page."""
    return url_for("main.article", slug=slug, _external=True)


def reference_iri(slug: str, number: int) -> str:
    """Return the IRI of reference `number` in an article's reference list (what linking bodies point to)."""
    return f"{article_iri(slug)}#ref-{number}"


def person_iri(user_id: int) -> str:
    """Return the IRI of an annotation author's public profile."""
    return url_for("api.get_person", user_id=user_id, _external=True)
