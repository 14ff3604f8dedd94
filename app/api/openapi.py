"""The OpenAPI 3.1 description of the whole API, served at /api/openapi.json.

It is built, for every request, from three sources that the API itself runs on and nothing else:
the URL map (paths, methods, and path parameters from the routes' converters), each view's
`@operation` declaration (app/api/contract.py) and the component schemas (app/api/schemas). The
statuses every operation may answer whatever it declares (a bad token, a refused CSRF token, a body
that is not JSON, ...) and the W3C protocol's headers are added here, from the same rules the
request hooks apply, so the document describes what a client really gets.
"""
from __future__ import annotations

import copy

from flask import current_app
from werkzeug.routing import IntegerConverter, Rule

from app.api import protocol
from app.api.contract import UNSAFE_METHODS, Operation, Response, components, operation_of
from app.api.schemas.annotations import MOTIVATION_TABLE, PAGE_SIZE
from app.api.schemas.base import IRI, SLUG, ref, string

ERROR_DESCRIPTIONS = {
    400: "Malformed request: invalid JSON, a query parameter that does not fit its schema (the message names it), "
         "a NUL character, or (cookie sign-in) a missing or invalid X-CSRFToken header (code `csrf_failed`).",
    401: "Not signed in, or the Bearer token is unknown, malformed or revoked (code `invalid_token`).",
    403: "Signed in but not allowed (not the author, not a moderator, or the account is suspended: the message "
         "says until when), or a cross-site request that changes data.",
    404: "Not found, or not readable by the caller (the two are indistinguishable on purpose).",
    409: "The object changed meanwhile, already exists, or the request changes what cannot change.",
    412: "If-Match names an ETag that is no longer current: someone changed the annotation since you fetched it.",
    413: "The request body is too large.",
    415: "The request body is not sent as application/json or application/ld+json.",
    422: "The body does not fit its schema, or a rule refused it; the message names the field and what to correct.",
    429: "Too many requests; retry after the number of seconds in the Retry-After header.",
}
HEADERS = {
    "ETag": {"description": "The entity tag of this representation: send it back in If-None-Match (304 when "
                            "unchanged) or, to change the annotation, in If-Match (412 when stale).",
             "required": True, "schema": string(pattern=r'^(W/)?"[^"]*"$')},
    "Location": {"description": "The new annotation's IRI.", "required": True, "schema": IRI},
    "Content-Location": {"description": "The canonical IRI of what the body represents.", "required": True,
                         "schema": IRI},
    "Link": {"description": "The article's annotation container, rel=\"" + protocol.ANNOTATION_SERVICE + "\".",
             "required": True, "schema": string(pattern="rel=\"" + protocol.ANNOTATION_SERVICE + "\"")},
    "Retry-After": {"description": "Seconds to wait.", "required": True, "schema": string(pattern="^[0-9]+$")},
}
CONTAINER_HEADERS = {
    "Link": {"description": "The container's type and the protocol constraining it: <http://www.w3.org/ns/ldp#"
                            "BasicContainer>; rel=\"type\", <" + protocol.PROTOCOL + ">; rel=\"http://www.w3.org/ns/"
                            "ldp#constrainedBy\" (on every response, errors included).",
             "required": True, "schema": string(pattern=r'ldp#BasicContainer>; rel="type".*ldp#constrainedBy"')},
    "Allow": {"description": "The methods the container supports.", "required": True,
              "schema": string(pattern=r"^(?=.*\bGET\b)(?=.*\bPOST\b)(?=.*\bOPTIONS\b)")},
    "Accept-Post": {"description": "The media types POST accepts.", "required": True,
                    "schema": string(pattern="application/ld\\+json")},
}
ANNOTATION_HEADERS = {
    "Link": {"description": "<http://www.w3.org/ns/ldp#Resource>; rel=\"type\" (and oa#Annotation).",
             "required": True, "schema": string(pattern=r'ldp#Resource>; rel="type"')},
    "Allow": {"description": "The methods the annotation supports.", "required": True,
              "schema": string(pattern=r"^(?=.*\bGET\b)(?=.*\bPUT\b)(?=.*\bDELETE\b)")},
}
NOT_MODIFIED = Response("Not modified: the representation still has the ETag sent in If-None-Match.",
                        headers=("ETag",))
IGNORED_METHODS = frozenset({"HEAD"})


def _path(rule: Rule) -> str:
    """Turn a Werkzeug rule (/api/annotations/<int:annotation_id>) into an OpenAPI path."""
    out, inside, name = [], False, ""
    for char in rule.rule:
        if char == "<":
            inside, name = True, ""
        elif char == ">":
            inside = False
            out.append("{" + name.split(":")[-1] + "}")
        elif inside:
            name += char
        else:
            out.append(char)
    return "".join(out)


def _path_parameters(rule: Rule) -> list[dict]:
    parameters = []
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": converter.min or 0, "maximum": converter.max}
        else:
            schema = SLUG
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _parameters(rule: Rule, op: Operation) -> list[dict]:
    parameters = _path_parameters(rule)
    parameters += [{"name": name, "in": "query", "required": False,
                    "description": schema.get("description", ""), "schema": schema}
                   for name, schema in op.query.items()]
    parameters += [{"name": name, "in": "header", "required": False,
                    "description": schema.get("description", ""), "schema": schema}
                   for name, schema in op.request_headers.items()]
    return parameters


def _statuses(method: str, op: Operation) -> dict[int, Response]:
    answers = dict(op.responses)
    if method == "GET":
        answers[304] = NOT_MODIFIED
    errors = {401, *op.errors}
    if op.query:
        errors.add(400)
    if method in UNSAFE_METHODS:
        errors |= {400, 403}
    if op.body:
        errors |= {400, 413, 415, 422}
    for status in errors:
        headers = ("Retry-After",) if status == 429 else ()
        answers[status] = Response(ERROR_DESCRIPTIONS[status], "Error", headers=headers)
    return dict(sorted(answers.items()))


def _headers(method: str, status: int, op: Operation, answer: Response) -> dict:
    headers = {name: HEADERS[name] for name in answer.headers}
    if (method == "GET" and status == 200) or (op.resource and status in (200, 201)):
        headers["ETag"] = HEADERS["ETag"]
    if op.resource == protocol.CONTAINER:
        headers.update(CONTAINER_HEADERS)
        if status == 304:  # HTTP drops Allow from a 304; the client keeps the one it already has
            del headers["Allow"]
    elif op.resource == protocol.ANNOTATION and 200 <= status < 300 and status != 204:
        headers.update(ANNOTATION_HEADERS)
    elif op.resource == protocol.ANNOTATION and status == 304:
        headers["Link"] = ANNOTATION_HEADERS["Link"]
    return headers


def _response(method: str, status: int, op: Operation, answer: Response) -> dict:
    documented: dict = {"description": answer.description}
    if answer.schema is not None:
        schema = ref(answer.schema) if isinstance(answer.schema, str) else answer.schema
        documented["content"] = {answer.media_type: {"schema": schema}}
    headers = _headers(method, status, op, answer)
    if headers:
        documented["headers"] = headers
    return documented


def _operation_id(endpoint: str, view_name: str, op: Operation) -> str:
    name = endpoint.split(".", 1)[1]
    if name == view_name and op.operation_id:
        return op.operation_id
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _describe(rule: Rule, method: str, view, op: Operation) -> dict:
    described = {"operationId": _operation_id(rule.endpoint, view.__name__, op), "summary": op.summary}
    if rule.endpoint.split(".", 1)[1] != view.__name__:
        described["description"] = ("The earlier address of this resource: it answers as the canonical one does "
                                    "and names it in Content-Location.")
    elif op.description:
        described["description"] = op.description
    parameters = _parameters(rule, op)
    if parameters:
        described["parameters"] = parameters
    if op.body:
        described["requestBody"] = {"required": True, "content": {
            media: {"schema": ref(op.body)} for media in op.body_media_types}}
    described["responses"] = {str(status): _response(method, status, op, answer)
                              for status, answer in _statuses(method, op).items()}
    if op.public:
        described["security"] = [{}]
    return described


def _methods(rule: Rule) -> list[str]:
    automatic = {"OPTIONS"} if getattr(rule, "provide_automatic_options", False) else set()
    return sorted(rule.methods - IGNORED_METHODS - automatic)


def paths() -> dict[str, dict]:
    """Return the OpenAPI paths of every API route that declares its operation."""
    described: dict[str, dict] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        op = operation_of(view)
        if op is None:
            continue
        for method in _methods(rule):
            described.setdefault(_path(rule), {})[method.lower()] = _describe(rule, method, view, op)
    return described


DESCRIPTION = f"""\
Postil's JSON API: articles, and annotations on them in the W3C Web Annotation Data Model, served
with the W3C Web Annotation Protocol.

**Authentication.** Either the browser session (cookie) or a personal token sent as
`Authorization: Bearer <token>` (create tokens on your profile page, or with
`flask users token EMAIL`). A request with an Authorization header is judged by it alone.
Requests that change data with the session cookie must send the page's CSRF token in an
`X-CSRFToken` header; token requests need none.

**Annotation containers.** Each article's annotations are in its container,
`/api/articles/{{slug}}/annotations/` (an LDP Basic Container and an AnnotationCollection, paged
by {PAGE_SIZE} from page 0); an annotation's IRI is the container's IRI and its number. POST a
W3C Web Annotation to the container to create one; PUT the whole new state to its IRI to replace
it (PATCH changes part of it); DELETE removes it. `Prefer: return=representation;
include="{protocol.PREFER_MINIMAL}"` asks for the container without annotations,
`include="{protocol.PREFER_IRIS}"` for pages listing only IRIs (`?iris=1`); `Content-Location`
names what was returned. The earlier addresses (`/api/articles/{{slug}}/annotations` and
`/api/annotations/{{id}}`) still answer, and name the canonical IRI in `Content-Location`.

**Conditional requests.** Every GET answer carries an `ETag`; send it back in `If-None-Match` to
get 304 Not Modified when nothing changed. To change an annotation without overwriting someone
else's change, send the ETag you fetched in `If-Match` with PUT, PATCH or DELETE: if the annotation
changed since, the answer is 412 Precondition Failed and nothing changes. (Without If-Match the
change is made unconditionally.)

**Annotations.** Kinds map to W3C motivations: {MOTIVATION_TABLE}; replies have motivation
`replying` and target the IRI of the annotation they answer. Selector offsets count Unicode code
points in the article's `text` and always refer to its current version; `anchor` tells whether the
passage is where it was written (`anchored`), `moved`, `reworded`, `changed` (its figures changed:
not attached) or `orphaned` (then only the quote remains), and `anchor.original` gives the quote as
written. Postil's extra fields have plain names, given IRIs by Postil's JSON-LD
context (`/api/context.jsonld`), listed after the W3C one in each annotation's `@context`.
A posted `canonical` is kept unchanged and a posted `id` is kept as `via`; other server-managed
fields are ignored. Moderators also open pending and hidden annotations by their IRI (never
private notes).

**Where Postil departs from the W3C protocol, and why.** Representations are JSON-LD only (no
Turtle: a SHOULD), so the `Accept` header does not change them. `Slug` is ignored: annotation IRIs
end in a number that is never reused. OPTIONS answers with the protocol's headers but grants no
cross-origin access (no CORS), because the API also accepts the browser session. Error responses
of a container carry its `Link` headers but no `ETag`: an error is not a representation of the
container, and an ETag on it could be mistaken for one.

**Errors** are `{{"error": {{"code": ..., "message": ...}}}}` with the HTTP status. Every rule a body
or a query parameter must follow that JSON Schema can express is in the schemas below, so a client
built from them is not surprised by a 422; what depends on stored data (the quote must be in the
article, the linked study one of its references) is explained in the message. Request bodies are
JSON (`application/json` or `application/ld+json`), at most 256 KiB by default. Creating
annotations and tokens is rate limited (429 with Retry-After).
"""


def document() -> dict:
    """Return the OpenAPI document of the running application."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Postil API", "version": "1.1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{}, {"bearerAuth": []}, {"sessionCookie": []}],
        "paths": paths(),
        "components": {
            "schemas": copy.deepcopy(components()),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal API token."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "The browser session; unsafe methods need X-CSRFToken."},
            },
        },
    }
