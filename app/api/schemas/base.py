"""Pieces every API schema is built from: IRIs, times, ids, page numbers, the error body and refs.

A schema that checks input says, where it helps a client, what to write instead: `x-errors` maps a
JSON Schema keyword (`pattern`, `anyOf`, `contains`, ...) to the message sent when that keyword
refuses a value (app/api/contract.py). Schemas that check input use `pattern` rather than `format`,
because `format` is only an annotation in JSON Schema 2020-12: a rule that validates must be one
that every validator and every generated client enforces the same way.
"""
from __future__ import annotations

from app.models.annotation import IRI_MAX_LENGTH
from app.models.base import INTEGER_MAX
from app.services.pagination import MAX_PAGE

JSON = "application/json"
JSON_LD = "application/ld+json"


def ref(name: str) -> dict:
    """Return a reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def string(description: str = "", **extra) -> dict:
    """Return a string schema with an optional description."""
    return {"type": "string", **({"description": description} if description else {}), **extra}


def nullable(schema: dict) -> dict:
    """Return `schema` (which has a single `type`) also allowing null."""
    return {**schema, "type": [schema["type"], "null"]}


IRI = string(format="uri")
TIME = string("ISO 8601 date and time in UTC, e.g. 2024-05-01T09:30:00Z.", format="date-time")
NULLABLE_TIME = nullable(TIME)
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
# An article's slug, as Postil makes them from titles (app.services.articles.slugify).
SLUG = string("The article's slug.", minLength=1, maxLength=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
# Anything that names a row: what the database holds (ids past it are "not found", never a 500).
ID = {"type": "integer", "minimum": 1, "maximum": INTEGER_MAX}

# White space, spelled out: `\s` means one set of characters to Python, another to ECMA 262 (the
# dialect of JSON Schema's `pattern`, so of every generated client) and another to other engines.
# These are the characters Python's str.isspace() accepts, which the services' own `strip` removes
# (the inside of a character class: `[^...]`).
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_SPACE = f"[^{WHITE_SPACE}]"
# An absolute IRI as a client sends it: a scheme, a colon, no white space.
IRI_INPUT = string("An absolute IRI.", minLength=1, maxLength=IRI_MAX_LENGTH,
                   pattern=rf"^[A-Za-z][A-Za-z0-9+.\-]*:{NOT_SPACE}+$",
                   **{"x-errors": {"pattern": "must be an absolute IRI, e.g. https://example.org/annotations/1."}})
# Some non-white-space character: what "not empty" means for text people write.
NOT_BLANK = NOT_SPACE
# A date as the moderation log's filters take it (YYYY-MM-DD, UTC).
DATE_INPUT = string("A day, YYYY-MM-DD (UTC).", format="date", pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    **{"x-errors": {"pattern": "must be a date like 2025-03-31."}})
# The timestamp a moderator saw (an API `modified` value): ISO 8601, with or without a time zone.
TIMESTAMP_INPUT = string(
    "An ISO 8601 date and time, e.g. 2025-03-31T09:30:00Z.", minLength=1,
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$",
    **{"x-errors": {"pattern": "must be the item's `modified` timestamp (ISO 8601), e.g. 2025-03-31T09:30:00Z."}})


def page_from(first: int, per_page: int, default: bool = True) -> dict:
    """Return the schema of a `page` query parameter numbered from `first` (0 or 1), bounded like paginate()."""
    schema = {"type": "integer", "minimum": first, "maximum": MAX_PAGE - 1 + first,
              "description": f"Page number, from {first} ({per_page} per page)."}
    return {**schema, "default": first} if default else schema


ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": string("Stable machine-readable code."),
                                            "message": string("What went wrong, for a person.")}}},
}
PERSON = {
    "type": "object", "required": ["id", "type", "name"],
    "properties": {"id": IRI, "type": {"const": "Person"}, "name": string(),
                   "profession": string(), "affiliation": string(),
                   "competing_interests": string("The author's competing-interests statement."),
                   "orcid": {**IRI, "description": "The author's ORCID iD as an orcid.org IRI, when given."}},
}
SCHEMAS = {"Error": ERROR, "Person": PERSON,
           "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
           "JsonLdContext": {"type": "object", "required": ["@context"],
                             "properties": {"@context": {"type": "object"}}}}
