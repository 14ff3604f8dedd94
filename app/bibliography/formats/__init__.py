"""Turn reference files (CSL-JSON, RIS, BibTeX, PubMed .nbib) into StudyRecords and back.

``parse`` reads bytes in any supported format, guessing it when not given,
and returns every record with either a StudyRecord or an error naming the
record: one bad record never stops the others. Only a file that cannot be
read at all raises FormatError. ``export`` and the ``to_*`` functions write
records back out; see each format module for its field mapping and how
Postil's extras travel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import MappingProxyType

from app.bibliography.encodings import decode_text
from app.bibliography.errors import FormatError
from app.bibliography.formats._common import (
    ParsedEntry,
    ParseResult,
    citation_keys,
    decode_postil_note,
    encode_postil_note,
)
from app.bibliography.formats.bibtex import parse_bibtex, to_bibtex
from app.bibliography.formats.csl_json import parse_csl_json, to_csl_json
from app.bibliography.formats.nbib import parse_nbib
from app.bibliography.formats.ris import parse_ris, to_ris
from app.bibliography.record import StudyRecord

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "FormatError",
    "ParseResult",
    "ParsedEntry",
    "citation_keys",
    "decode_postil_note",
    "encode_postil_note",
    "export",
    "guess_format",
    "normalise_format",
    "parse",
    "to_bibtex",
    "to_csl_json",
    "to_ris",
]

FORMATS = ("csl-json", "ris", "bibtex", "nbib")

#: Writable formats with the file extension and media type a download should use.
EXPORT_FORMATS = MappingProxyType(
    {
        "csl-json": (".json", "application/vnd.citationstyles.csl+json"),
        "ris": (".ris", "application/x-research-info-systems"),
        "bibtex": (".bib", "application/x-bibtex"),
    }
)

_ALIASES = {
    "csl-json": "csl-json",
    "csljson": "csl-json",
    "csl": "csl-json",
    "json": "csl-json",
    "ris": "ris",
    "bibtex": "bibtex",
    "bib": "bibtex",
    "biblatex": "bibtex",
    "nbib": "nbib",
    "medline": "nbib",
    "pubmed": "nbib",
}
_EXTENSIONS = {
    ".json": "csl-json",
    ".csljson": "csl-json",
    ".ris": "ris",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".nbib": "nbib",
    ".medline": "nbib",
}
_PARSERS: dict[str, Callable[[str], list[ParsedEntry]]] = {
    "csl-json": parse_csl_json,
    "ris": parse_ris,
    "bibtex": parse_bibtex,
    "nbib": parse_nbib,
}
_WRITERS: dict[str, Callable[[Iterable[StudyRecord]], str]] = {
    "csl-json": to_csl_json,
    "ris": to_ris,
    "bibtex": to_bibtex,
}
_SNIFFERS = (
    ("nbib", re.compile(r"^PMID- ?\d", re.MULTILINE)),
    ("ris", re.compile(r"^TY {1,2}- ", re.MULTILINE)),
    # Leading blanks of one line only: "^\s*" in multi-line mode rescans every following blank line.
    ("bibtex", re.compile(r"^[ \t]*@[A-Za-z]+\s*[{(]", re.MULTILINE)),
)
_SUPPORTED = "Postil reads CSL-JSON, RIS, BibTeX and PubMed (.nbib) files"


def normalise_format(name: str) -> str:
    """Return the canonical name for "bib", "JSON", "pubmed"...; raise FormatError if unknown."""
    canonical = _ALIASES.get(name.strip().lower().lstrip("."))
    if canonical is None:
        raise FormatError(f"Unknown format '{name}': {_SUPPORTED}")
    return canonical


def guess_format(text: str, filename: str | None = None) -> str:
    """Return the format the text is written in, by its content, else by the file extension.

    Content wins because people rename PubMed exports to .txt or .ris.
    Raises FormatError when neither tells.
    """
    if text.lstrip()[:1] in ("[", "{"):
        return "csl-json"
    for name, pattern in _SNIFFERS:
        if pattern.search(text):
            return name
    if filename:
        lowered = filename.lower()
        for extension, name in _EXTENSIONS.items():
            if lowered.endswith(extension):
                return name
    raise FormatError(f"Could not tell what kind of reference file this is: {_SUPPORTED}")




def parse(
    data: bytes | str, format: str | None = None, filename: str | None = None
) -> ParseResult:
    """Read a reference file into a ParseResult, one entry per record, in file order.

    ``format`` is one of FORMATS (or an alias such as "bib"); when None it is
    guessed. Bytes in any encoding are decoded (app.bibliography.encodings)
    and the result names the encoding used. Raises FormatError when the file
    is empty, not text, of an unknown format, or yields no record at all.
    """
    text, encoding = decode_text(data)
    if not text.strip():
        raise FormatError("The file is empty")
    name = normalise_format(format) if format else guess_format(text, filename)
    return ParseResult(records=_PARSERS[name](text), encoding=encoding)


def export(records: Iterable[StudyRecord], format: str) -> str:
    """Return records written as "csl-json", "ris" or "bibtex"; raise FormatError for others."""
    name = normalise_format(format)
    if name not in _WRITERS:
        raise FormatError(f"Postil cannot write {name} files: choose CSL-JSON, RIS or BibTeX")
    return _WRITERS[name](records)
