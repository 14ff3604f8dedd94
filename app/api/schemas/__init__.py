"""Every request and response body of the API, as JSON Schema (2020-12) dictionaries: the one source.

The same dictionaries are served in /api/openapi.json, validate what clients send (app/api/contract.py)
and check every response in the tests. They are plain JSON Schema rather than pydantic or marshmallow
models because OpenAPI 3.1 *is* JSON Schema 2020-12: what is written here is served as it is, with no
generator in between that could drift from what is enforced, and it can say what the W3C Web
Annotation model needs (keys such as `@context`, a body that is one object or a list, "exactly one
TextQuoteSelector" with `contains`/`maxContains`, rules for replies with `if`/`then`). The
serialisers build plain dictionaries, so a model layer would add a copy of every field without
removing one.

One module per resource; the only value read from the configuration is the longest annotation text
(`ANNOTATION_MAX_LENGTH`), so the schemas are built per value of it and cached.
"""
from __future__ import annotations

from functools import lru_cache

from app.api.schemas import annotations, articles, base, conversation, groups, moderation, search, studies
from app.api.schemas.base import JSON, JSON_LD, ref

__all__ = ["JSON", "JSON_LD", "components", "ref"]


@lru_cache(maxsize=4)
def components(text_max_length: int) -> dict[str, dict]:
    """Return every component schema by name, for annotation texts of at most `text_max_length` characters."""
    return {**base.SCHEMAS, **articles.SCHEMAS, **annotations.schemas(text_max_length), **studies.SCHEMAS,
            **moderation.SCHEMAS, **conversation.SCHEMAS, **search.SCHEMAS, **groups.SCHEMAS}
