"""Convert between CSL name objects and the "Family, Given" strings reference files use.

A CSL name here is ``{"family", "given"}`` (either may be absent, plus an
optional ``"suffix"``) or ``{"literal"}`` for organisations and "et al.".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["clean_name", "format_inverted", "initials", "parse_inverted"]

_INITIAL_PARTS = re.compile(r"[\s.\-\u2010]+")
_ALREADY_INITIALS = re.compile(r"^[A-Z]{1,4}$")


def clean_name(name: Mapping[str, object]) -> dict[str, str] | None:
    """Return a CSL name with only known, non-blank string parts, or None if nothing is left.

    CSL particles ("van", "de la") are folded into the family name because
    Vancouver, RIS and MEDLINE all print them as part of it.
    """
    parts = {key: " ".join(str(value).replace("\x00", "").split()) for key, value in name.items()
             if value is not None}
    family = " ".join(
        parts[key]
        for key in ("dropping-particle", "non-dropping-particle", "family")
        if parts.get(key)
    )
    cleaned = {"family": family, **{k: parts.get(k, "") for k in ("given", "suffix", "literal")}}
    if cleaned["literal"]:
        return {"literal": cleaned["literal"]}
    result = {key: cleaned[key] for key in ("family", "given", "suffix") if cleaned[key]}
    if not result.get("family") and not result.get("given"):
        return None
    return result


def parse_inverted(text: str) -> dict[str, str] | None:
    """Return the CSL name of a RIS-style "Family, Given[, Suffix]" string, or None if blank.

    Text without a comma is kept whole as a literal: it is usually an
    organisation or "et al.", and guessing where a family name ends would
    mangle "Cancer Research UK".
    """
    text = " ".join(text.split())
    if not text:
        return None
    if "," not in text:
        return {"literal": text}
    family, _, rest = (part.strip() for part in text.partition(","))
    given, _, suffix = (part.strip() for part in rest.partition(","))
    return clean_name({"family": family, "given": given, "suffix": suffix})


def is_et_al(name: Mapping[str, str]) -> bool:
    """Tell whether a CSL name is the literal "et al." that ends a truncated author list (no author)."""
    return (name.get("literal") or "").strip().lower().rstrip(".").strip() in ("et al", "and others")


def format_inverted(name: Mapping[str, str]) -> str:
    """Return a CSL name as "Family, Given[, Suffix]", or its literal text.

    A name with only a family part keeps a trailing comma so that reading it
    back does not turn it into a literal.
    """
    if name.get("literal"):
        return name["literal"]
    text = f"{name.get('family', '')}, {name.get('given', '')}".rstrip()
    if name.get("suffix"):
        text += f", {name['suffix']}"
    return text


def initials(given: str | None) -> str:
    """Return NLM initials for given names: "George S." -> "GS", "Jean-Pierre" -> "JP"."""
    if not given:
        return ""
    compact = given.replace(" ", "")
    if _ALREADY_INITIALS.match(compact) and " " not in given.strip():
        return compact
    return "".join(part[0].upper() for part in _INITIAL_PARTS.split(given) if part)
