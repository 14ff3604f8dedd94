"""Reference files in, normalised study records out, and back again.

A pure package: no Flask, no database. ``formats.parse`` reads CSL-JSON,
RIS, BibTeX and PubMed .nbib into ``StudyRecord``s (one error per bad
record, never one per file unless the file is unreadable); ``formats``
writes CSL-JSON, RIS and BibTeX; ``identifiers`` normalises DOIs/PMIDs and
finds duplicates; ``evidence`` holds study designs and CEBM 2011 levels;
``vancouver`` formats a reference for display.
"""

from app.bibliography.errors import (
    BibliographyError,
    FormatError,
    InvalidIdentifier,
    InvalidRecord,
)
from app.bibliography.evidence import DESIGNS, EVIDENCE_LEVELS, suggest_level
from app.bibliography.formats import EXPORT_FORMATS, ParsedEntry, ParseResult, export, parse
from app.bibliography.record import StudyRecord
from app.bibliography.vancouver import format_vancouver, format_vancouver_html

__all__ = [
    "DESIGNS",
    "EVIDENCE_LEVELS",
    "EXPORT_FORMATS",
    "BibliographyError",
    "FormatError",
    "InvalidIdentifier",
    "InvalidRecord",
    "ParseResult",
    "ParsedEntry",
    "StudyRecord",
    "export",
    "format_vancouver",
    "format_vancouver_html",
    "parse",
    "suggest_level",
]
