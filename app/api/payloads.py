"""Reading W3C Web Annotations posted by clients into what the annotation service expects.

Parsing checks shape and vocabulary only and says precisely what is wrong (422); the services
apply the rules (length, tags, anchoring). Server-managed fields a client may echo back (`id`,
`type`, `creator`, `created`, `modified`, `status`, `anchor`, `role`, `moderation_reason`, ...)
are ignored, as the Web Annotation Protocol lets a server do.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app.api import w3c
from app.api.auth import require_json_content_type
from app.api.errors import api_abort
from app.extensions import db
from app.models import Annotation, AnnotationKind, Article, User, Visibility
from app.services import annotations as annotation_service
from app.services.errors import ServiceError
from app.services.visibility import can_read
from app.text.anchoring import Selector


@dataclass
class NewAnnotation:
    """A validated request to annotate a passage or reply to an annotation."""

    body: str
    kind: AnnotationKind
    tags: list[str]
    visibility: Visibility
    selector: Selector | None = None
    parent: Annotation | None = None
    study_id: int | None = None


@dataclass
class Bodies:
    """The bodies of a posted annotation, sorted by purpose."""

    text: str | None
    tags: list[str]
    links: list[str]


def json_object() -> dict:
    """Return the request's JSON object; answer 415 (not JSON), 400 (malformed) or 422 (not an object)."""
    require_json_content_type()
    data = request.get_json(silent=True)
    if data is None:
        api_abort(400, "The request body is not valid JSON.", "invalid_json")
    if not isinstance(data, dict):
        raise ServiceError("The request body must be a JSON object (a Web Annotation).")
    return data


def _one_string(value, name: str) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise ServiceError(f"`{name}` must be a string.", name)
    return value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_context(data: dict) -> None:
    contexts = _as_list(data.get("@context"))
    if w3c.ANNO_CONTEXT not in contexts:
        raise ServiceError(f"`@context` must be (or include) \"{w3c.ANNO_CONTEXT}\".", "@context")


def _kind(motivation: str | None, default: AnnotationKind = AnnotationKind.COMMENT) -> AnnotationKind:
    if motivation is None:
        return default
    if motivation not in w3c.KIND_OF_MOTIVATION:
        allowed = ", ".join(sorted(w3c.KIND_OF_MOTIVATION)) + f" (or {w3c.REPLYING} for a reply)"
        raise ServiceError(f"Unsupported motivation {motivation!r}; use one of {allowed}.", "motivation")
    return w3c.KIND_OF_MOTIVATION[motivation]


def _bodies(data: dict) -> Bodies:
    result = Bodies(text=None, tags=[], links=[])
    if "bodyValue" in data:
        result.text = _one_string(data["bodyValue"], "bodyValue")
    raw = data.get("body")
    for body in [] if raw is None else _as_list(raw):
        if not isinstance(body, dict):
            raise ServiceError("Each body must be an object: a TextualBody or a linking SpecificResource.", "body")
        purpose = body.get("purpose")
        if purpose == w3c.TAGGING:
            result.tags.append(_one_string(body.get("value"), "body.value"))
        elif purpose == w3c.LINKING or body.get("type") == "SpecificResource":
            result.links.append(_one_string(body.get("source"), "body.source"))
        elif body.get("type") == "TextualBody":
            if result.text is not None:
                raise ServiceError("Send the annotation text in a single TextualBody.", "body")
            fmt = body.get("format", w3c.MARKDOWN)
            if fmt != w3c.MARKDOWN:
                raise ServiceError(f"The text body's format must be {w3c.MARKDOWN}, not {fmt!r}.", "body.format")
            result.text = _one_string(body.get("value"), "body.value")
        else:
            raise ServiceError("A body must be a TextualBody (the text, or a tag with purpose \"tagging\") or a "
                               "SpecificResource with purpose \"linking\".", "body")
    return result


def _visibility(data: dict) -> Visibility:
    value = data.get("visibility", Visibility.PUBLIC.value)
    try:
        return Visibility(value)
    except ValueError:
        raise ServiceError("`visibility` must be \"public\" or \"private\".", "visibility") from None


def _same_path(iri: str, expected: str) -> bool:
    # Hosts are ignored: behind a proxy, or in tests, the same resource has several host names.
    got, want = urlsplit(iri), urlsplit(expected)
    return got.path.rstrip("/") == want.path.rstrip("/") and got.fragment == want.fragment


def _study_id(article: Article, links: list[str]) -> int | None:
    if not links:
        return None
    if len(links) > 1:
        raise ServiceError("An annotation links to at most one study.", "body")
    source = links[0].strip()
    has_study_pages = "studies.show" in current_app.view_functions
    for citation in article.citations:
        if _same_path(source, w3c.reference_iri(article.slug, citation.position)):
            return citation.study_id
        if has_study_pages and _same_path(source, url_for("studies.show", study_id=citation.study_id)):
            return citation.study_id
        doi = citation.study.doi
        if doi and source.lower().removeprefix("doi:").split("doi.org/")[-1] == doi.lower():
            return citation.study_id
    raise ServiceError("The linked study must be one of this article's references: use a reference's `url` "
                       "from GET /api/articles/<slug> (or the study's page or DOI URL).", "body")


def _selector(article: Article, target) -> Selector:
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    if not isinstance(target, dict):
        raise ServiceError("`target` must be an object with this article's URL as `source` and its selectors.",
                           "target")
    source = target.get("source")
    if not isinstance(source, str) or not _same_path(source, w3c.article_iri(article.slug)):
        raise ServiceError(f"`target.source` must be this article's URL, {w3c.article_iri(article.slug)}.",
                           "target")
    selectors = [s for s in _as_list(target.get("selector")) if isinstance(s, dict)]
    quotes = [s for s in selectors if s.get("type") == "TextQuoteSelector"]
    positions = [s for s in selectors if s.get("type") == "TextPositionSelector"]
    if len(quotes) != 1 or len(positions) > 1:
        raise ServiceError("`target.selector` needs exactly one TextQuoteSelector (and at most one "
                           "TextPositionSelector).", "target")
    quote, position = quotes[0], positions[0] if positions else {}
    exact, prefix, suffix = quote.get("exact"), quote.get("prefix", ""), quote.get("suffix", "")
    if not isinstance(exact, str) or not isinstance(prefix, str) or not isinstance(suffix, str):
        raise ServiceError("The TextQuoteSelector's exact, prefix and suffix must be strings.", "target")
    return annotation_service.anchor(article, exact, position.get("start"), position.get("end"), prefix, suffix)


def annotation_id_from_iri(iri) -> int | None:
    """Return the id of the annotation an IRI (or `{"id": IRI}`) names on this server, or None."""
    if isinstance(iri, dict):
        iri = iri.get("id") or iri.get("source")
    if not isinstance(iri, str):
        return None
    path = urlsplit(iri).path
    if request.script_root and path.startswith(request.script_root):
        path = path[len(request.script_root):]
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return args.get("annotation_id") if endpoint == "api.get_annotation" else None


def _parent(article: Article, viewer: User, target) -> Annotation:
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    parent_id = annotation_id_from_iri(target)
    parent = db.session.get(Annotation, parent_id) if parent_id is not None else None
    if parent is None or parent.is_deleted or not can_read(viewer, parent) or parent.article_id != article.id:
        raise ServiceError("A reply's `target` must be the IRI of an annotation on this article that you can "
                           "read, e.g. " + url_for("api.get_annotation", annotation_id=1, _external=True) + ".",
                           "target")
    return parent


def new_annotation(data: dict, article: Article, viewer: User) -> NewAnnotation:
    """Read a posted Web Annotation (or reply) on `article`; raise ServiceError (422) saying what is wrong."""
    _check_context(data)
    motivation = _one_string(data["motivation"], "motivation") if "motivation" in data else None
    bodies = _bodies(data)
    if bodies.text is None:
        raise ServiceError("The annotation needs a TextualBody with the text (format text/markdown).", "body")
    if "target" not in data:
        raise ServiceError("The annotation needs a `target`: a passage of the article, or an annotation to reply "
                           "to.", "target")
    visibility = _visibility(data)
    if motivation == w3c.REPLYING:
        if bodies.links:
            raise ServiceError("A reply cannot link a study; link it from an annotation on the passage.", "body")
        parent = _parent(article, viewer, data["target"])
        # A reply in a private thread stays private (the annotation service's rule); decide the
        # moderation status from the visibility the reply will really have.
        if parent.visibility == Visibility.PRIVATE:
            visibility = Visibility.PRIVATE
        return NewAnnotation(body=bodies.text, kind=AnnotationKind.COMMENT, tags=bodies.tags, visibility=visibility,
                             parent=parent)
    return NewAnnotation(body=bodies.text, kind=_kind(motivation), tags=bodies.tags, visibility=visibility,
                         selector=_selector(article, data["target"]), study_id=_study_id(article, bodies.links))


def annotation_changes(data: dict, annotation: Annotation) -> dict:
    """Read a PATCH of an annotation into keyword arguments for annotations.edit; raise ServiceError (422).

    Only `motivation` and the bodies (`body` or `bodyValue`) change. When bodies are sent they replace
    the text and the tags (no tagging body: no tags); the linked study cannot change.
    """
    changes: dict = {}
    if "visibility" in data and _visibility(data) != annotation.visibility:
        raise ServiceError("Visibility cannot change after posting: delete the annotation and post it again.",
                           "visibility")
    if "motivation" in data:
        motivation = _one_string(data["motivation"], "motivation")
        if annotation.is_reply:
            if motivation != w3c.REPLYING:
                raise ServiceError("A reply's motivation is always \"replying\".", "motivation")
        else:
            changes["kind"] = _kind(motivation)
    if "body" in data or "bodyValue" in data:
        bodies = _bodies(data)
        if bodies.text is None:
            raise ServiceError("Send the annotation text in a TextualBody along with its tags.", "body")
        changes["body"], changes["tags"] = bodies.text, bodies.tags
        if bodies.links and _study_id(annotation.article, bodies.links) != annotation.study_id:
            raise ServiceError("The linked study cannot be changed; post a new annotation instead.", "body")
    if not changes:
        raise ServiceError("Nothing to change: send `body` (text and tags) and/or `motivation`.")
    return changes
