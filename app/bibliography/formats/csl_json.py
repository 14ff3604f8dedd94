"""Read and write CSL-JSON, the format that carries every StudyRecord field losslessly.

Accepts a list of items, a single item, or an ``{"items": [...]}`` wrapper.
Postil extras live under each item's ``"postil"`` key; items without one get
their design and population from a ``note`` such as
``"study_type: animal model (murine models ...)"`` and from ``genre``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from app.bibliography.errors import FormatError
from app.bibliography.formats._common import ParsedEntry, build_entry, citation_keys
from app.bibliography.record import StudyRecord

__all__ = ["parse_csl_json", "to_csl_json"]

_NOT_CSL = (
    "The JSON is not CSL-JSON: expected a list of references, each an object with a title"
)


def _items(data: Any) -> list[Any]:
    if isinstance(data, Mapping):
        wrapped = data.get("items")
        return wrapped if isinstance(wrapped, list) else [data]
    if isinstance(data, list):
        return data
    raise FormatError(_NOT_CSL)


def parse_csl_json(text: str) -> list[ParsedEntry]:
    """Read CSL-JSON text into one entry per item.

    Raises FormatError when the text is not JSON or no item is an object with a title.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(
            f"The file is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    items = _items(data)
    if not any(isinstance(item, Mapping) and "title" in item for item in items):
        raise FormatError(_NOT_CSL)
    entries = []
    for index, item in enumerate(items, start=1):
        title = item.get("title") if isinstance(item, Mapping) else None
        key = item.get("id") if isinstance(item, Mapping) else None
        entries.append(
            build_entry(
                index,
                lambda warnings, item=item: StudyRecord.from_csl(item, warnings=warnings),
                title=title if isinstance(title, str) else None,
                key=str(key) if key is not None else None,
            )
        )
    return entries


def to_csl_json(records: Iterable[StudyRecord]) -> str:
    """Return records as a CSL-JSON list; records without a key get a unique generated ``id``."""
    records = list(records)
    items = []
    for record, key in zip(records, citation_keys(records), strict=True):
        # "id" first, as citeproc-js and Zotero write it.
        items.append({"id": key, **{k: v for k, v in record.to_csl().items() if k != "id"}})
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
