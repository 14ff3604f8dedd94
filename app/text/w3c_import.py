"""Read annotations exported by other tools: W3C Web Annotation JSON-LD and Hypothesis exports.

Accepted shapes: one ``Annotation``; a list of them; an ``AnnotationCollection`` (items under
``first.items``, or ``items``) or an ``AnnotationPage``; Hypothesis's API and export files
(``{"rows": [...]}``, ``{"annotations": [...]}`` or a list of objects with ``text`` and ``target``).
From each annotation this keeps what Postil can anchor and show: the quote with its context
(``TextQuoteSelector``), the position (``TextPositionSelector``), the text (a ``TextualBody``'s
``value``, or Hypothesis's ``text``), tags, the motivation, and for a reply the id of the annotation
it answers. Anything else is ignored. A file that holds no annotation raises ``NotAnnotations``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImportedAnnotation", "NotAnnotations", "read_annotations"]

MAX_ANNOTATIONS = 2000
_EXPECTED = ("expected W3C Web Annotations (an Annotation, a list of them or an AnnotationCollection) "
             "or a Hypothesis export")


class NotAnnotations(ValueError):
    """The data is not a set of annotations; the message says what was expected."""


@dataclass
class ImportedAnnotation:
    """One annotation as another tool described it."""

    index: int
    source_id: str | None
    text: str
    motivation: str | None = None
    tags: list[str] = field(default_factory=list)
    exact: str | None = None
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    reply_to: str | None = None
    created: str | None = None


def _types(item: Mapping) -> set[str]:
    value = item.get("type", item.get("@type"))
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values if v}


def _items(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if not isinstance(data, Mapping):
        return None
    kinds = _types(data)
    if "AnnotationCollection" in kinds:
        first = data.get("first")
        if isinstance(first, Mapping):
            return list(first.get("items") or [])
        return list(data.get("items") or [])
    if "AnnotationPage" in kinds:
        return list(data.get("items") or [])
    for key in ("rows", "annotations"):
        if isinstance(data.get(key), list):
            return data[key]
    if "Annotation" in kinds or ("target" in data and ("text" in data or "body" in data)):
        return [data]
    return None


def _is_annotation(item: Any) -> bool:
    return isinstance(item, Mapping) and ("Annotation" in _types(item) or ("target" in item and (
        "text" in item or "body" in item)))


def _text_of(item: Mapping) -> tuple[str, list[str], str | None]:
    """Return the annotation's text, its tags and the motivation a body states."""
    tags = [str(t) for t in item.get("tags") or [] if isinstance(t, (str, int))]
    if isinstance(item.get("text"), str):
        return item["text"], tags, None
    bodies = item.get("body")
    bodies = bodies if isinstance(bodies, list) else [bodies] if bodies is not None else []
    texts: list[str] = []
    motivation = None
    for body in bodies:
        if isinstance(body, str):
            texts.append(body)
            continue
        if not isinstance(body, Mapping):
            continue
        value = body.get("value", body.get("chars"))
        if not isinstance(value, str):
            continue
        if body.get("purpose") == "tagging":
            tags.append(value)
        else:
            texts.append(value)
            motivation = motivation or (body.get("purpose") if isinstance(body.get("purpose"), str) else None)
    return "\n\n".join(t for t in texts if t.strip()), tags, motivation


def _selectors(target: Any) -> list[Mapping]:
    targets = target if isinstance(target, list) else [target]
    found: list[Mapping] = []
    for one in targets:
        if not isinstance(one, Mapping):
            continue
        selector = one.get("selector")
        for candidate in selector if isinstance(selector, list) else [selector]:
            if isinstance(candidate, Mapping):
                found.append(candidate)
                refined = candidate.get("refinedBy")
                if isinstance(refined, Mapping):
                    found.append(refined)
    return found


def _clean(value: str) -> str:
    # NUL belongs in no text, and PostgreSQL cannot store it.
    return value.replace("\x00", "")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _reply_to(item: Mapping) -> str | None:
    references = item.get("references")
    if isinstance(references, list) and references:
        return str(references[-1])
    target = item.get("target")
    motivation = item.get("motivation")
    replying = motivation == "replying" or (isinstance(motivation, list) and "replying" in motivation)
    if isinstance(target, str) and replying:
        return target
    return None


def _one(index: int, item: Mapping) -> ImportedAnnotation:
    text, tags, body_motivation = _text_of(item)
    motivation = item.get("motivation")
    if isinstance(motivation, list):
        motivation = next((m for m in motivation if isinstance(m, str)), None)
    found = ImportedAnnotation(index=index, source_id=str(item["id"]) if item.get("id") else None, text=text,
                               motivation=motivation if isinstance(motivation, str) else body_motivation,
                               tags=tags, reply_to=_reply_to(item),
                               created=item.get("created") if isinstance(item.get("created"), str) else None)
    for selector in _selectors(item.get("target")):
        kind = selector.get("type")
        if kind == "TextQuoteSelector" and isinstance(selector.get("exact"), str) and found.exact is None:
            found.exact = _clean(selector["exact"])
            found.prefix = _clean(selector.get("prefix")) if isinstance(selector.get("prefix"), str) else ""
            found.suffix = _clean(selector.get("suffix")) if isinstance(selector.get("suffix"), str) else ""
        elif kind == "TextPositionSelector" and found.start is None:
            found.start, found.end = _int(selector.get("start")), _int(selector.get("end"))
    return found


def read_annotations(data: Any) -> list[ImportedAnnotation]:
    """Return the annotations held by decoded JSON, in file order; raise NotAnnotations when it holds none."""
    items = _items(data)
    if items is None:
        raise NotAnnotations(f"The file holds no annotations: {_EXPECTED}.")
    annotations = [_one(index, item) for index, item in enumerate(items, start=1) if _is_annotation(item)]
    if not annotations:
        raise NotAnnotations(f"The file holds no annotations: {_EXPECTED}.")
    if len(annotations) > MAX_ANNOTATIONS:
        raise NotAnnotations(f"The file holds {len(annotations):,} annotations; import at most {MAX_ANNOTATIONS:,} "
                             "at a time.")
    return annotations
