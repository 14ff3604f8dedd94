"""Reading W3C Web Annotations that already passed their schema into what the annotation service expects.

The schemas (app/api/schemas/annotations.py) have checked shape and vocabulary; what is left here
depends on stored data: the target is this article's page (or an annotation on it the sender can
read), the linked study is one of its references, and on PUT and PATCH nothing immutable changes.
A refusal names the field; changing what cannot change (the target, the visibility, the linked
study, `canonical`, `via`, a reply's motivation) is a 409 Conflict, as the W3C protocol lists it.
Server-managed fields a client may echo back (`type`, `creator`, `created`, `modified`, `status`,
`anchor`, `role`, `moderation_reason`, ...) are ignored; a sent `id` is kept as `via`.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app.api import w3c
from app.api.serializers import GROUP_KEY
from app.extensions import db
from app.models import Annotation, AnnotationKind, Article, Group, User, Visibility
from app.services import annotations as annotation_service
from app.services import groups
from app.services.errors import Conflict, ServiceError
from app.services.visibility import can_read
from app.text.anchoring import Selector

# The endpoints whose URL names one annotation (its canonical IRI and the earlier short form).
ANNOTATION_ENDPOINTS = ("api.get_annotation", "api.get_annotation_by_id")


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
    canonical: str | None = None
    via: str | None = None
    group: Group | None = None


@dataclass
class Bodies:
    """The bodies of a posted annotation, sorted by purpose."""

    text: str | None
    tags: list[str]
    links: list[str]


def _one(value):
    """Return the single item of a one-item list (the schemas allow both forms), or the value itself."""
    return value[0] if isinstance(value, list) else value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _motivation(data: dict) -> str | None:
    return _one(data["motivation"]) if "motivation" in data else None


def _bodies(data: dict) -> Bodies:
    result = Bodies(text=data.get("bodyValue"), tags=[], links=[])
    for body in [] if data.get("body") is None else _as_list(data["body"]):
        if body["type"] == "SpecificResource":
            result.links.append(body["source"])
        elif body.get("purpose") == w3c.TAGGING:
            result.tags.append(body["value"])
        else:
            result.text = body["value"]
    return result


def _same_path(iri: str, expected: str) -> bool:
    # Hosts are ignored: behind a proxy, or in tests, the same resource has several host names.
    got, want = urlsplit(iri), urlsplit(expected)
    return got.path.rstrip("/") == want.path.rstrip("/") and got.fragment == want.fragment


def _study_id(article: Article, link: str) -> int:
    source = link.strip()
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


def _selector(article: Article, target: dict) -> Selector:
    if not _same_path(target["source"], w3c.article_iri(article.slug)):
        raise ServiceError(f"`target.source` must be this article's URL, {w3c.article_iri(article.slug)}.",
                           "target")
    selectors = _as_list(target["selector"])
    quote = next(s for s in selectors if s["type"] == "TextQuoteSelector")
    position = next((s for s in selectors if s["type"] == "TextPositionSelector"), {})
    return annotation_service.anchor(article, quote["exact"], position.get("start"), position.get("end"),
                                     quote.get("prefix", ""), quote.get("suffix", ""))


def annotation_id_from_iri(iri) -> int | None:
    """Return the id of the annotation an IRI (or `{"id" or "source": IRI}`) names on this server, or None."""
    if isinstance(iri, dict):
        iri = iri.get("id") or iri.get("source")
    endpoint, args = _route_of(iri)
    return args.get("annotation_id") if endpoint in ANNOTATION_ENDPOINTS else None


def _route_of(iri) -> tuple[str | None, dict]:
    """Return the endpoint and arguments of the GET route an IRI names on this server, or (None, {})."""
    if not isinstance(iri, str):
        return None, {}
    path = urlsplit(iri).path
    if request.script_root and path.startswith(request.script_root):
        path = path[len(request.script_root):]
    try:
        return current_app.url_map.bind("localhost").match(path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None, {}


def _parent(article: Article, viewer: User, target) -> Annotation:
    parent_id = annotation_id_from_iri(_one(target))
    parent = db.session.get(Annotation, parent_id) if parent_id is not None else None
    if parent is None or parent.is_deleted or not can_read(viewer, parent) or parent.article_id != article.id:
        raise ServiceError("A reply's `target` must be the IRI of an annotation on this article that you can "
                           f"read, e.g. {w3c.annotation_iri(article.slug, 1)}.", "target")
    return parent


def _audience(data: dict) -> tuple[Visibility, Group | None]:
    """Read `visibility` and `postil:group`; raise ServiceError (422) when they disagree or name no group."""
    iri = data.get(GROUP_KEY)
    if iri is None:
        visibility = Visibility(data.get("visibility", Visibility.PUBLIC.value))
        if visibility == Visibility.GROUP:
            raise ServiceError(f"`visibility` \"group\" needs `{GROUP_KEY}`: the IRI of one of your journal clubs "
                               "(GET /api/groups).", GROUP_KEY)
        return visibility, None
    if data.get("visibility", Visibility.GROUP.value) != Visibility.GROUP.value:
        raise ServiceError(f"An annotation with `{GROUP_KEY}` is for the group's members: leave `visibility` out "
                           "or send \"group\".", "visibility")
    group = group_from_iri(iri)
    if group is None:
        raise ServiceError(f"`{GROUP_KEY}` must be the IRI of one of your journal clubs, e.g. "
                           f"{url_for('api.get_group', slug='oncology-journal-club', _external=True)} "
                           "(GET /api/groups lists them).", GROUP_KEY)
    return Visibility.GROUP, group


def group_from_iri(iri) -> Group | None:
    """Return the group an IRI names on this server (GET /api/groups/<slug>), or None."""
    endpoint, args = _route_of(iri)
    return groups.find(args["slug"]) if endpoint == "api.get_group" else None


def new_annotation(data: dict, article: Article, viewer: User) -> NewAnnotation:
    """Read a posted Web Annotation (or reply) on `article`; raise ServiceError (422) saying what is wrong."""
    motivation, bodies = _motivation(data), _bodies(data)
    visibility, group = _audience(data)
    provenance = {"canonical": data.get("canonical"), "via": data.get("id") or data.get("via")}
    if motivation == w3c.REPLYING:
        parent = _parent(article, viewer, data["target"])
        # A reply stays in its thread's audience (the annotation service's rule); decide the moderation
        # status from the audience the reply will really have.
        if parent.visibility in (Visibility.PRIVATE, Visibility.GROUP):
            visibility, group = parent.visibility, parent.group
        return NewAnnotation(body=bodies.text, kind=AnnotationKind.COMMENT, tags=bodies.tags, visibility=visibility,
                             parent=parent, group=group, **provenance)
    kind = w3c.KIND_OF_MOTIVATION[motivation or w3c.MOTIVATION_OF_KIND[AnnotationKind.COMMENT]]
    return NewAnnotation(body=bodies.text, kind=kind, tags=bodies.tags, visibility=visibility, group=group,
                         selector=_selector(article, _one(data["target"])),
                         study_id=_study_id(article, bodies.links[0]) if bodies.links else None, **provenance)


def _unchanged(data: dict, name: str, current, message: str) -> None:
    if name in data and data[name] != current:
        raise Conflict(message)


def _check_immutables(data: dict, annotation: Annotation) -> None:
    _unchanged(data, "visibility", annotation.visibility.value,
               "Visibility cannot change after posting: delete the annotation and post it again.")
    if GROUP_KEY in data and (annotation.group is None or group_from_iri(data[GROUP_KEY]) != annotation.group):
        raise Conflict(f"`{GROUP_KEY}` cannot change after posting: delete the annotation and post it again.")
    _unchanged(data, "canonical", annotation.canonical, "`canonical` is kept as it was first sent; it cannot change.")
    _unchanged(data, "via", annotation.via, "`via` is kept as it was first sent; it cannot change.")


def _kind_change(data: dict, annotation: Annotation) -> dict:
    motivation = _motivation(data)
    if motivation is None:
        return {}
    if annotation.is_reply != (motivation == w3c.REPLYING):
        raise Conflict("A reply's motivation is always \"replying\", and an annotation on a passage cannot "
                       "become a reply: post a new one instead.")
    return {} if annotation.is_reply else {"kind": w3c.KIND_OF_MOTIVATION[motivation]}


def _check_link(bodies: Bodies, annotation: Annotation) -> None:
    if bodies.links and _study_id(annotation.article, bodies.links[0]) != annotation.study_id:
        raise Conflict("The linked study cannot change; post a new annotation instead.")


def annotation_changes(data: dict, annotation: Annotation) -> dict:
    """Read a PATCH into keyword arguments for annotations.edit; raise Conflict when it changes what cannot change.

    Only `motivation` and the bodies (`body` or `bodyValue`) change. When bodies are sent they replace
    the text and the tags (no tagging body: no tags); the linked study cannot change.
    """
    _check_immutables(data, annotation)
    changes = _kind_change(data, annotation)
    if "body" in data or "bodyValue" in data:
        bodies = _bodies(data)
        _check_link(bodies, annotation)
        changes["body"], changes["tags"] = bodies.text, bodies.tags
    return changes


def _check_same_target(data: dict, annotation: Annotation) -> None:
    target = _one(data["target"])
    if annotation.is_reply:
        same = annotation_id_from_iri(target) == annotation.parent_id
    else:
        quote = next(s for s in _as_list(target["selector"]) if s["type"] == "TextQuoteSelector")["exact"]
        same = (_same_path(target["source"], w3c.article_iri(annotation.article.slug))
                and quote in (annotation.exact, annotation.original_exact))
    if not same:
        raise Conflict("The target of an annotation cannot change: post a new annotation on the other passage.")


def replacement(data: dict, annotation: Annotation) -> dict:
    """Read a PUT (the whole new state) into keyword arguments for annotations.edit; raise Conflict as above.

    The text, the tags and the kind are replaced (no tagging body: no tags; no motivation: a
    comment); the target must be the one the annotation has, and the visibility, the linked study,
    `canonical` and `via` may be repeated but not changed.
    """
    _check_immutables(data, annotation)
    # The kind first: once the motivation fits the annotation, the schema has checked the target's shape.
    changes = _kind_change({"motivation": _motivation(data) or _default_motivation(annotation)}, annotation)
    _check_same_target(data, annotation)
    bodies = _bodies(data)
    _check_link(bodies, annotation)
    return {**changes, "body": bodies.text, "tags": bodies.tags}


def _default_motivation(annotation: Annotation) -> str:
    return w3c.REPLYING if annotation.is_reply else w3c.MOTIVATION_OF_KIND[AnnotationKind.COMMENT]
