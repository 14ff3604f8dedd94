"""The API's contract: each operation declared once, beside its view, and used three ways.

`@operation(...)` records what an operation takes (query parameters and request headers with their
schemas, a request body by component name) and what it answers (statuses, bodies, headers). The
OpenAPI document is built from these declarations and the URL map (app/api/openapi.py); the views
read their input through `query_args()` and `json_body()`, which validate it against the very same
schemas (app/api/schemas); the tests check every response against the served document. Nothing is
written twice, so the document cannot promise what the API does not enforce, nor the reverse.

Refusals say what to correct: a query parameter that does not fit its schema is a 400 and a body that
does not fit is a 422, both naming the field (`body[1].value`) and what it must be.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from flask import current_app, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from werkzeug.exceptions import BadRequest

from app.api import schemas
from app.api.auth import require_json_content_type
from app.api.errors import api_abort
from app.api.schemas import JSON, JSON_LD
from app.services.errors import ServiceError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_TYPE_WORDS = {"object": "a JSON object", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}


@dataclass(frozen=True)
class Response:
    """One documented answer: a description, and a body (a component schema name) when there is one."""

    description: str
    schema: str | dict | None = None
    media_type: str = JSON
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """What one operation (a method on a route) takes and answers."""

    summary: str
    responses: Mapping[int, Response]
    errors: tuple[int, ...] = ()
    query: Mapping[str, dict] = field(default_factory=dict)
    request_headers: Mapping[str, dict] = field(default_factory=dict)
    body: str | None = None
    body_media_types: tuple[str, ...] = (JSON, JSON_LD)
    description: str = ""
    operation_id: str | None = None
    public: bool = False
    resource: str | None = None  # "container" or "annotation": the W3C protocol resource it serves


def operation(summary: str, responses: Mapping[int, Response], **details) -> Callable:
    """Declare the contract of the decorated view (see Operation); the view keeps working unchanged."""
    declared = Operation(summary=summary, responses=responses, **details)

    def decorate(view: Callable) -> Callable:
        view.api_operation = declared  # functools.wraps in outer decorators carries it along
        return view

    return decorate


def operation_of(view: Callable) -> Operation | None:
    """Return the operation a view function declares, if any."""
    return getattr(view, "api_operation", None)


def current_operation() -> Operation:
    """Return the operation the current request is routed to (a view without one is a programming error)."""
    found = operation_of(current_app.view_functions[request.endpoint])
    if found is None:
        raise LookupError(f"{request.endpoint} declares no API operation")
    return found


def text_max_length() -> int:
    """Return the longest annotation text the configuration allows (the only configured schema value)."""
    return int(current_app.config["ANNOTATION_MAX_LENGTH"])


def components() -> dict[str, dict]:
    """Return the component schemas for the current configuration (shared: never mutate them)."""
    return schemas.components(text_max_length())


@lru_cache(maxsize=256)
def _validator(schema_json: str, max_length: int) -> Draft202012Validator:
    schema = json.loads(schema_json)
    return Draft202012Validator({**schema, "components": {"schemas": schemas.components(max_length)}})


def validator_for(schema: dict) -> Draft202012Validator:
    """Return a (cached) validator for `schema`, which may refer to the component schemas."""
    return _validator(json.dumps(schema, sort_keys=True), text_max_length())


@dataclass(frozen=True)
class BodyCheck:
    """A request body's schema read by two validators built from it once.

    jsonschema_rs (compiled) says whether a body fits in microseconds; jsonschema, a hundred times
    slower, says what is wrong with one that does not, in the errors `explain` reads. Only a body the
    compiled validator refuses (or cannot read) goes on to jsonschema, which decides: the two are held
    to the same verdicts by tests/functional/api/test_api_body_validators.py, and the schemas avoid
    what engines read differently (`\\s`: see app.api.schemas.base.WHITE_SPACE; `format`, which neither asserts).
    """

    fast: object  # a jsonschema_rs validator
    full: Draft202012Validator

    def errors(self, data) -> list[ValidationError]:
        """Return the body's schema violations (none when it fits)."""
        try:
            if self.fast.is_valid(data):
                return []
        except ValueError:  # a value the compiled validator cannot take in: jsonschema reads it
            pass
        return list(self.full.iter_errors(data))


@lru_cache(maxsize=64)
def _body_check(name: str, max_length: int) -> BodyCheck:
    # Loaded with the first body: a worker that only serves pages (the browser's saves are forms) never
    # holds it (10 MB).
    import jsonschema_rs

    schema = {**schemas.ref(name), "components": {"schemas": schemas.components(max_length)}}
    return BodyCheck(jsonschema_rs.validator_for(schema, validate_formats=False), Draft202012Validator(schema))


def body_check(name: str) -> BodyCheck:
    """Return the (cached) check of the component schema `name` as a request body."""
    return _body_check(name, text_max_length())


# --- Reading the request ------------------------------------------------------------------------

def query_args() -> dict:
    """Return the operation's query parameters, converted and checked against their schemas.

    Absent parameters take their schema's default (or are left out); a value that does not fit,
    an empty one included, and a parameter given twice are refused with a 400 naming it.
    """
    values = {}
    for name, schema in current_operation().query.items():
        raw = request.args.getlist(name)
        if len(raw) > 1:
            api_abort(400, f"`{name}` is given {len(raw)} times; give it once.", "invalid_parameter")
        if not raw:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        values[name] = _query_value(name, raw[0], schema)
    return values


def _query_value(name: str, raw: str, schema: dict):
    candidates = ([int(raw)] if _WHOLE_NUMBER.fullmatch(raw) else []) + [raw]
    check = validator_for(schema)
    for value in candidates:
        if check.is_valid(value):
            return _converted(name, value, schema)
    # Say what is wrong with the reading the schema meant: "123…" read as a number breaks a string
    # schema only by its type, while the same digits read as text may be, say, too long.
    errors = [max(check.iter_errors(value), key=relevance) for value in candidates]
    error = next((e for e in errors if e.validator != "type"), errors[0])
    api_abort(400, explain(error, name, raw), "invalid_parameter")


def _converted(name: str, value, schema: dict):
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            api_abort(400, f"`{name}` is not a day of the calendar ({value!r}); write it like 2025-03-31.",
                      "invalid_parameter")
    return value


def json_body():
    """Return the request's JSON body checked against the operation's schema: 415, 400 or 422 otherwise."""
    require_json_content_type()
    try:
        data = request.get_json()
    except BadRequest:
        api_abort(400, "The request body is not valid JSON.", "invalid_json")
    errors = body_check(current_operation().body).errors(data)
    if errors:
        error = max(errors, key=relevance)
        raise ServiceError(explain(error), _location(error) or None)
    return data


# --- Saying what is wrong -------------------------------------------------------------------------

def _location(error: ValidationError) -> str:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = [n for n in error.validator_value if isinstance(error.instance, dict) and n not in error.instance]
        parts += missing[:1]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def explain(error: ValidationError, name: str | None = None, raw: str | None = None) -> str:
    """Turn a schema violation into a sentence naming the field and what it must be."""
    custom = error.schema.get("x-errors", {}) if isinstance(error.schema, dict) else {}
    if error.context and error.validator in ("anyOf", "oneOf"):
        # The alternative meant is the one whose type the value has; what is wrong deeper inside it is
        # more useful than the alternatives' summary.
        meant = max([e for e in error.context if e.validator != "type"] or error.context, key=relevance)
        if error.validator not in custom or len(meant.absolute_path) > len(error.absolute_path):
            return explain(meant, name, raw)
    if error.validator in custom:
        return f"{_subject(error, name)} {custom[error.validator]}"
    return f"{_subject(error, name)} {_generated(error, raw)}"


def _subject(error: ValidationError, name: str | None) -> str:
    location = name or _location(error)
    return f"`{location}`" if location else "The request body"


def _generated(error: ValidationError, raw: str | None) -> str:
    kind, limit, schema = error.validator, error.validator_value, error.schema
    shown = raw if raw is not None else error.instance
    if kind == "required":
        return "is required."
    if kind == "type":
        types = limit if isinstance(limit, list) else [limit]
        return "must be " + " or ".join(_TYPE_WORDS.get(t, t) for t in types) + f", not {json.dumps(shown)}."
    if kind == "enum":
        return "must be one of " + ", ".join(json.dumps(v) for v in limit) + f", not {json.dumps(shown)}."
    if kind == "const":
        return f"must be {json.dumps(limit)}."
    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"must be a whole number from {low:,} to {high:,}, not {shown}."
        return f"must be at least {low:,}." if kind == "minimum" else f"must be at most {high:,}."
    if kind == "minLength":
        return "must not be empty." if limit == 1 else f"must be at least {limit:,} characters long."
    if kind == "maxLength":
        return f"is too long: {len(error.instance):,} characters, {limit:,} at most."
    if kind == "maxItems":
        return f"holds too many items: {limit:,} at most."
    if kind == "minItems":
        return f"needs at least {limit:,} item{'s' if limit != 1 else ''}."
    return error.message.replace("\n", " ")[:300] + "."
