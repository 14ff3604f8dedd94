"""The W3C Web Annotation Protocol and HTTP's conditional requests, as Postil keeps them.

An article's annotations live in its Annotation Container, `/api/articles/<slug>/annotations/` (an
LDP Basic Container: the IRI ends in "/"), and each annotation's IRI is the container's IRI plus its
number. The earlier addresses, `/api/articles/<slug>/annotations` and `/api/annotations/<id>`,
answer exactly as the canonical ones do and name them in `Content-Location`.

Every response of a container carries the `Link` headers of its type and of the protocol that
constrains it (errors and OPTIONS included), `Allow`, `Accept-Post` and `Vary: Accept, Prefer`;
every successful response about an annotation carries `Link: <ldp#Resource>; rel="type"`, `Allow`
and `Vary: Accept`. Representations carry a strong `ETag` computed from their exact bytes, so that
`If-None-Match` answers 304 and a stale `If-Match` on PUT, PATCH or DELETE answers 412: two people
editing the same annotation never silently overwrite each other.
"""
from __future__ import annotations

import json
import re

from flask import Response, current_app, request
from werkzeug.http import generate_etag

from app.api import w3c
from app.api.contract import current_operation, operation_of
from app.api.errors import api_abort

ANNOTATION_MEDIA_TYPE = f'application/ld+json; profile="{w3c.ANNO_CONTEXT}"'
PROTOCOL = "http://www.w3.org/TR/annotation-protocol/"
LDP = "http://www.w3.org/ns/ldp#"
OA = "http://www.w3.org/ns/oa#"
PREFER_MINIMAL = LDP + "PreferMinimalContainer"
PREFER_IRIS = OA + "PreferContainedIRIs"
PREFER_DESCRIPTIONS = OA + "PreferContainedDescriptions"
CONTAINER_LINK = f'<{LDP}BasicContainer>; rel="type", <{PROTOCOL}>; rel="{LDP}constrainedBy"'
RESOURCE_LINK = f'<{LDP}Resource>; rel="type", <{OA}Annotation>; rel="type"'
ANNOTATION_SERVICE = OA + "annotationService"
ACCEPT_POST = f"{ANNOTATION_MEDIA_TYPE}, application/ld+json, application/json"
CONTAINER, ANNOTATION = "container", "annotation"


def ld_bytes(data: dict) -> bytes:
    """Serialise JSON-LD the one way every response and every ETag comparison uses."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def etag_of(data: dict) -> str:
    """Return the strong entity tag of the representation `data` (as ld_response would send it)."""
    return generate_etag(ld_bytes(data))


def ld_response(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    """Answer with `data` as W3C JSON-LD, with its ETag."""
    response = Response(ld_bytes(data), status=status, content_type=ANNOTATION_MEDIA_TYPE, headers=headers)
    response.set_etag(etag_of(data))
    return response


def require_current(data: dict) -> None:
    """Answer 412 when the request's If-Match names no current representation (`data`) of the resource.

    A request without If-Match changes the resource unconditionally, as HTTP intends; `If-Match: *`
    only asks that the resource exists, which it does once this is called.
    """
    if not request.headers.get("If-Match"):
        return
    if not request.if_match.contains(etag_of(data)):
        api_abort(412, "The annotation changed since you fetched it (its ETag no longer matches If-Match): "
                       "fetch it again, reapply your change and send it with the new ETag. Nothing was changed.",
                  "precondition_failed")


class Preference:
    """What a client's `Prefer` header asks of a container (RFC 7240, W3C protocol section 4.1.1)."""

    def __init__(self, header: str | None):
        header = header or ""
        includes, omits = set(), set()
        for which, iris in re.findall(r'(include|omit)\s*=\s*"([^"]*)"', header):
            (includes if which == "include" else omits).update(iris.split())
        self.representation = bool(re.search(r"return\s*=\s*representation", header))
        self.minimal = self.representation and (PREFER_MINIMAL in includes or LDP + "PreferContainment" in omits)
        self.iris = self.representation and PREFER_IRIS in includes and PREFER_DESCRIPTIONS not in includes
        self.applied = self.representation and bool(includes & {PREFER_MINIMAL, PREFER_IRIS, PREFER_DESCRIPTIONS}
                                                    or self.minimal)


def _allowed_methods() -> str:
    adapter = current_app.create_url_adapter(request)
    methods = adapter.allowed_methods(request.path) if adapter is not None else []
    return ", ".join(sorted(methods))


def add_headers(response: Response) -> Response:
    """Add the protocol's headers to a response of a container or an annotation (an after_request hook)."""
    view = current_app.view_functions.get(request.endpoint) if request.url_rule is not None else None
    declared = operation_of(view) if view is not None else None
    kind = declared.resource if declared is not None else None
    if kind == CONTAINER:
        # A 201 also describes what was created: an LDP Resource (section "Create a New Annotation").
        response.headers["Link"] = CONTAINER_LINK + (", " + RESOURCE_LINK if response.status_code == 201 else "")
        response.headers["Allow"] = _allowed_methods()
        response.headers["Accept-Post"] = ACCEPT_POST
        response.vary.update(("Accept", "Prefer"))
    elif kind == ANNOTATION and (response.status_code < 300 or response.status_code == 304):
        if response.status_code != 204:
            response.headers["Link"] = RESOURCE_LINK
        response.headers["Allow"] = _allowed_methods()
        response.vary.add("Accept")
    return response


def is_container_request() -> bool:
    """Tell whether the current request is routed to an annotation container."""
    return current_operation().resource == CONTAINER
