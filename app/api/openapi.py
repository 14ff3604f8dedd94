"""The OpenAPI 3.1 description of the whole API, served at /api/openapi.json.

Other parts of the API add their operations and schemas to PATHS and SCHEMAS when their module
is imported (use the helpers below for the shared pieces), for example::

    from app.api import openapi
    openapi.SCHEMAS["Flag"] = {...}
    openapi.PATHS["/api/annotations/{annotation_id}/flags"] = {"post": {
        ..., "responses": {"201": openapi.json_response("Flagged", "Flag"), **openapi.errors(401, 404, 422)}}}

A test checks that every rule under /api appears here and that responses match these schemas.
"""
from __future__ import annotations

import copy

from app.api import w3c
from app.models import AnnotationStatus, Visibility

ERROR_DESCRIPTIONS = {
    400: "Malformed request: invalid JSON, a bad query parameter, or (cookie sign-in) a missing or invalid "
         "X-CSRFToken header (code `csrf_failed`).",
    401: "Not signed in, or the Bearer token is unknown, malformed or revoked (code `invalid_token`).",
    403: "Signed in but not allowed (not the author, or the account is suspended: the message says until when).",
    404: "Not found, or not readable by the caller (the two are indistinguishable on purpose).",
    409: "The object changed meanwhile, or already exists.",
    413: "The request body is too large.",
    415: "The request body is not sent as application/json or application/ld+json.",
    422: "The request is well-formed but refused; the message says what to correct.",
    429: "Too many requests; retry after the number of seconds in the Retry-After header.",
}
ANCHOR_STATES = ["anchored", "moved", "fuzzy", "orphaned"]


def ref(name: str) -> dict:
    """Return a reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema_name: str, media_type: str = "application/json") -> dict:
    """Return a response object whose body is the component schema `schema_name`."""
    return {"description": description, "content": {media_type: {"schema": ref(schema_name)}}}


def errors(*statuses: int) -> dict:
    """Return the error responses for `statuses`, all with the shared Error body."""
    return {str(status): json_response(ERROR_DESCRIPTIONS[status], "Error") for status in statuses}


def _string(description: str = "", **extra) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


_IRI = _string(format="uri")
_TIME = _string("ISO 8601 date and time in UTC, e.g. 2024-05-01T09:30:00Z.", format="date-time")
_MOTIVATION_TABLE = ", ".join(f"{kind.value} ↔ {motivation}" for kind, motivation in w3c.MOTIVATION_OF_KIND.items())

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": _string("Stable machine-readable code."),
                                                "message": _string("What went wrong, for a person.")}}},
    },
    "Person": {
        "type": "object", "required": ["id", "type", "name"],
        "properties": {"id": _IRI, "type": {"const": "Person"}, "name": _string(),
                       "profession": _string(), "affiliation": _string(),
                       "competing_interests": _string("The author's competing-interests statement."),
                       "orcid": {**_IRI, "description": "The author's ORCID iD as an orcid.org IRI, when given."}},
    },
    "TextQuoteSelector": {
        "type": "object", "required": ["type", "exact"],
        "properties": {"type": {"const": "TextQuoteSelector"}, "exact": _string("The quoted passage."),
                       "prefix": _string("Up to 32 code points before the passage."),
                       "suffix": _string("Up to 32 code points after the passage.")},
    },
    "TextPositionSelector": {
        "type": "object", "required": ["type", "start", "end"],
        "description": "Offsets in Unicode code points into the article's `text` (its current version).",
        "properties": {"type": {"const": "TextPositionSelector"},
                       "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}},
    },
    "Selector": {"oneOf": [ref("TextQuoteSelector"), ref("TextPositionSelector")]},
    "ArticleTarget": {
        "type": "object", "required": ["source", "selector"],
        "properties": {
            "source": {**_IRI, "description": "The article's `url`."},
            "selector": {"type": "array", "items": ref("Selector"), "minItems": 1,
                         "description": "Alternatives for the same passage. An orphan has only its "
                                        "TextQuoteSelector (its original quote)."},
        },
    },
    "TextualBody": {
        "type": "object", "required": ["type", "value"],
        "description": "The annotation text (Markdown), or a tag when `purpose` is \"tagging\".",
        "properties": {"type": {"const": "TextualBody"}, "value": _string(),
                       "format": {"const": w3c.MARKDOWN}, "purpose": {"enum": [w3c.TAGGING]}},
    },
    "LinkingBody": {
        "type": "object", "required": ["type", "purpose", "source"],
        "description": "A link to one of the article's references (its `url` in GET /api/articles/{slug}; "
                       "the study's Postil page or its DOI URL are also accepted on input).",
        "properties": {"type": {"const": "SpecificResource"}, "purpose": {"const": w3c.LINKING},
                       "source": _IRI},
    },
    "Body": {"oneOf": [ref("TextualBody"), ref("LinkingBody")]},
    "Anchor": {
        "type": "object", "required": ["state", "article_version"],
        "description": "Where the annotation stands in the current article version: `anchored` (same place), "
                       "`moved` (same words elsewhere), `fuzzy` (slightly changed words) or `orphaned` "
                       "(no longer found).",
        "properties": {"state": {"enum": ANCHOR_STATES}, "article_version": {"type": "integer"}},
    },
    "Annotation": {
        "type": "object",
        "required": ["@context", "id", "type", "motivation", "created", "modified", "creator", "body", "target",
                     "status", "visibility"],
        "description": "A W3C Web Annotation. Postil's own fields (`status`, `visibility`, `anchor`, "
                       "`body_html`, `edited`, `deleted`, `moderation_reason`, `open_flags`, and the creator's "
                       "`profession`, `affiliation`, `competing_interests`) have plain names, defined by the "
                       "second @context, Postil's (GET /api/context.jsonld). `moderation_reason` is shown only to "
                       "the author and moderators, `open_flags` only to moderators.",
        "properties": {
            "@context": {"type": "array", "minItems": 2,
                         "prefixItems": [{"const": w3c.ANNO_CONTEXT}, _IRI],
                         "description": "The W3C context, then Postil's (GET /api/context.jsonld)."},
            "id": _IRI,
            "type": {"const": "Annotation"},
            "motivation": {"enum": [*w3c.MOTIVATION_OF_KIND.values(), w3c.REPLYING],
                           "description": f"Postil kind ↔ motivation: {_MOTIVATION_TABLE}; replies: replying."},
            "created": _TIME,
            "modified": _TIME,
            "edited": {**_TIME, "type": ["string", "null"], "description": "When the text was last edited."},
            "deleted": _TIME,
            "creator": ref("Person"),
            "body": {"type": "array", "items": ref("Body"),
                     "description": "The text first, then tags, then at most one linking body."},
            "body_html": _string("The text rendered from Markdown and sanitised; safe to insert as HTML."),
            "target": {"oneOf": [ref("ArticleTarget"),
                                 {**_IRI, "description": "A reply targets the IRI of the annotation it answers."}]},
            "anchor": ref("Anchor"),
            "status": {"enum": [s.value for s in AnnotationStatus],
                       "description": "Moderation status; `pending` waits for a moderator."},
            "visibility": {"enum": [v.value for v in Visibility]},
            "moderation_reason": {"type": ["string", "null"]},
            "open_flags": {"type": "integer"},
            "helpful": {"type": "integer", "minimum": 0,
                        "description": "How many readers found it helpful (postil:helpful)."},
            "answer": {**_IRI, "type": ["string", "null"],
                       "description": "On a question: the IRI of the reply accepted as its answer, or null "
                                      "(postil:answer; absent on other kinds). Only an answer the caller may read."},
        },
    },
    "AnnotationInput": {
        "type": "object", "required": ["@context", "target"],
        "description": "A W3C Web Annotation to create. For a passage: `target` {source: the article's url, "
                       "selector: [TextQuoteSelector (required), TextPositionSelector (optional, code points)]}. "
                       "For a reply: `motivation` \"replying\" and `target` the IRI of the annotation answered. "
                       "The text is the TextualBody without a purpose (or `bodyValue`), at most 10,000 "
                       "characters; tags are TextualBodies with purpose \"tagging\"; a study is linked with a "
                       "SpecificResource body with purpose \"linking\". Server-managed fields (`id`, `type`, "
                       "`creator`, `created`, `modified`, `status`, `anchor`, `moderation_reason`, `role`, ...) "
                       "are ignored.",
        "properties": {
            "@context": {"description": f"\"{w3c.ANNO_CONTEXT}\", or a list including it."},
            "motivation": {"enum": [*w3c.MOTIVATION_OF_KIND.values(), w3c.REPLYING],
                           "default": "commenting"},
            "body": {"oneOf": [ref("Body"), {"type": "array", "items": ref("Body")}]},
            "bodyValue": _string("The text, as an alternative to a TextualBody."),
            "target": {"oneOf": [ref("ArticleTarget"), _IRI]},
            "visibility": {"enum": [v.value for v in Visibility], "default": "public",
                           "description": "private: only the author sees it (never moderated)."},
        },
    },
    "AnnotationPatch": {
        "type": "object",
        "description": "Only `motivation` (the kind; not for replies) and the bodies change. Bodies, when sent, "
                       "replace the text and the tags (send the tags you keep); the linked study and the "
                       "target cannot change, and `visibility`, if sent, must be unchanged.",
        "properties": {"motivation": {"enum": list(w3c.MOTIVATION_OF_KIND.values()) + [w3c.REPLYING]},
                       "body": {"oneOf": [ref("Body"), {"type": "array", "items": ref("Body")}]},
                       "bodyValue": _string()},
    },
    "AnnotationPage": {
        "type": "object", "required": ["id", "type", "items", "startIndex"],
        "properties": {
            "@context": {"const": w3c.ANNO_CONTEXT},
            "id": _IRI, "type": {"const": "AnnotationPage"},
            "startIndex": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": ref("Annotation"), "maxItems": 200},
            "next": _IRI, "prev": _IRI,
            "partOf": {"type": "object", "required": ["id", "total"],
                       "properties": {"id": _IRI, "total": {"type": "integer"}}},
        },
    },
    "AnnotationCollection": {
        "type": "object", "required": ["@context", "id", "type", "total", "first"],
        "description": "Annotations and replies the caller may read (deleted ones left out), oldest first, "
                       "200 per page; the first page is embedded, the others are at `?page=N` (from 0).",
        "properties": {
            "@context": {"const": [w3c.ANNO_CONTEXT, w3c.LDP_CONTEXT]},
            "id": _IRI, "type": {"const": ["BasicContainer", "AnnotationCollection"]},
            "label": _string(), "total": {"type": "integer", "minimum": 0},
            "first": ref("AnnotationPage"), "last": _IRI,
        },
    },
    "ArticleSummary": {
        "type": "object",
        "required": ["id", "slug", "title", "url", "annotations", "annotation_count", "version", "standfirst",
                     "tags"],
        "properties": {
            "id": {**_IRI, "description": "This article in the API."},
            "slug": _string(), "title": _string(),
            "url": {**_IRI, "description": "The article's page: the `source` annotations target."},
            "annotations": {**_IRI, "description": "The article's annotation collection."},
            "annotation_count": {"type": "integer", "description": "Annotations and replies the caller may "
                                                                   "read (the collection's `total`)."},
            "version": {"type": "integer"}, "standfirst": _string(),
            "tags": {"type": "array", "items": _string()},
        },
    },
    "ArticleList": {"type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": ref("ArticleSummary")}}},
    "Reference": {
        "type": "object", "required": ["number", "key", "id", "url", "title"],
        "properties": {
            "number": {"type": "integer", "description": "Vancouver number."},
            "key": _string("Citation key used in the article source."),
            "id": {"type": "integer", "description": "The study's id."},
            "url": {**_IRI, "description": "IRI of this reference; use it as a linking body's `source`."},
            "title": _string(), "authors": {"type": "array", "items": _string()},
            "journal": {"type": ["string", "null"]}, "year": {"type": ["integer", "null"]},
            "doi": {"type": ["string", "null"]}, "pmid": {"type": ["string", "null"]},
            "design": {"type": ["string", "null"]},
            "evidence_level": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                               "description": "Oxford CEBM 2011 level, 1 (strongest) to 5."},
            "retracted": {"type": "boolean"},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "slug", "title", "url", "annotations", "version", "text", "references"],
        "properties": {
            "id": _IRI, "slug": _string(), "title": _string(), "url": _IRI, "annotations": _IRI,
            "version": {"type": "integer"}, "standfirst": _string(), "tags": {"type": "array", "items": _string()},
            "source": _string(), "updated": _TIME,
            "text": _string("The canonical text of the current version: selectors' offsets count code points in "
                            "it."),
            "references": {"type": "array", "items": ref("Reference")},
        },
    },
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
    "JsonLdContext": {"type": "object", "required": ["@context"], "properties": {"@context": {"type": "object"}}},
}

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ANNOTATION_ID = {"name": "annotation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_LD = "application/ld+json"
_WRITE_ERRORS = (400, 401, 403, 413, 415, 422)

PATHS: dict[str, dict] = {
    "/api/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This description of the API.", "security": [{}],
        "responses": {"200": json_response("The OpenAPI document.", "OpenAPI"), **errors(401)}}},
    "/api/context.jsonld": {"get": {
        "operationId": "jsonldContext", "summary": "The JSON-LD context of Postil's extra annotation fields.",
        "security": [{}],
        "responses": {"200": json_response("The context.", "JsonLdContext", _LD), **errors(401)}}},
    "/api/articles": {"get": {
        "operationId": "listArticles", "summary": "Published articles, newest first.",
        "responses": {"200": json_response("The articles.", "ArticleList"), **errors(401)}}},
    "/api/articles/{slug}": {"get": {
        "operationId": "getArticle", "summary": "A published article with its canonical text and references.",
        "parameters": [_SLUG],
        "responses": {"200": json_response("The article.", "Article"), **errors(401, 404)}}},
    "/api/articles/{slug}/annotations": {
        "get": {
            "operationId": "listAnnotations",
            "summary": "The article's annotations the caller may read (W3C AnnotationCollection).",
            "parameters": [_SLUG, {"name": "page", "in": "query", "required": False,
                                   "description": "Return only this AnnotationPage (from 0).",
                                   "schema": {"type": "integer", "minimum": 0}}],
            "responses": {"200": {"description": "The collection with its first page embedded, or the page "
                                                 "asked for.",
                                  "content": {_LD: {"schema": {"oneOf": [ref("AnnotationCollection"),
                                                                         ref("AnnotationPage")]}}}},
                          "304": {"description": "Not modified (If-None-Match)."},
                          **errors(400, 401, 404)}},
        "post": {
            "operationId": "createAnnotation",
            "summary": "Annotate a passage, or reply to an annotation. Rate limited per account.",
            "parameters": [_SLUG],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AnnotationInput")},
                                                          _LD: {"schema": ref("AnnotationInput")}}},
            "responses": {"201": {**json_response("Created; `Location` is its IRI. Its `status` is `pending` "
                                                  "while a new account's public annotations await a moderator.",
                                                  "Annotation", _LD),
                                  "headers": {"Location": {"schema": _IRI}}},
                          **errors(*_WRITE_ERRORS, 404, 429)}},
    },
    "/api/annotations/{annotation_id}": {
        "get": {
            "operationId": "getAnnotation", "summary": "One annotation the caller may read.",
            "parameters": [_ANNOTATION_ID],
            "responses": {"200": json_response("The annotation.", "Annotation", _LD),
                          "304": {"description": "Not modified (If-None-Match)."}, **errors(401, 404)}},
        "patch": {
            "operationId": "editAnnotation", "summary": "Change one's own annotation's text, tags or kind.",
            "parameters": [_ANNOTATION_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AnnotationPatch")},
                                                          _LD: {"schema": ref("AnnotationPatch")}}},
            "responses": {"200": json_response("The changed annotation.", "Annotation", _LD),
                          **errors(*_WRITE_ERRORS, 404, 409)}},
        "delete": {
            "operationId": "deleteAnnotation",
            "summary": "Delete one's own annotation (replies to it stay, under a placeholder).",
            "parameters": [_ANNOTATION_ID],
            "responses": {"204": {"description": "Deleted."}, **errors(400, 401, 403, 404)}},
    },
    "/api/users/{user_id}": {"get": {
        "operationId": "getPerson",
        "summary": "An author's public profile (found only if the caller can read one of their annotations).",
        "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": json_response("The author.", "Person"), **errors(401, 404)}}},
}

DESCRIPTION = f"""\
Postil's JSON API: articles, and annotations on them in the W3C Web Annotation Data Model, served
in the style of the W3C Web Annotation Protocol.

**Authentication.** Either the browser session (cookie) or a personal token sent as
`Authorization: Bearer <token>` (create tokens on your profile page, or with
`flask users token EMAIL`). A request with an Authorization header is judged by it alone.
Requests that change data with the session cookie must send the page's CSRF token in an
`X-CSRFToken` header; token requests need none.

**Annotations.** Kinds map to W3C motivations: {_MOTIVATION_TABLE}; replies have motivation
`replying` and target the IRI of the annotation they answer. Selector offsets count Unicode code
points in the article's `text` and always refer to its current version; `anchor` tells whether the
passage is where it was written (`anchored`), `moved`, `fuzzy`, or `orphaned` (then only the
original quote remains). Postil's extra fields have plain names, given IRIs by Postil's JSON-LD
context (`/api/context.jsonld`), listed after the W3C one in each annotation's `@context`.
Server-managed fields in a posted annotation are ignored.

**Errors** are `{{"error": {{"code": ..., "message": ...}}}}` with the HTTP status. Request bodies are
JSON (`application/json` or `application/ld+json`), at most 256 KiB by default.
Creating annotations and tokens is rate limited (429 with Retry-After).
"""


def document() -> dict:
    """Return the OpenAPI document for every operation registered in PATHS."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Postil API", "version": "1.0", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{}, {"bearerAuth": []}, {"sessionCookie": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal API token."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "The browser session; unsafe methods need X-CSRFToken."},
            },
        },
    }
