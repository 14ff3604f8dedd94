"""Read the answers of bibliographic services into StudyRecords and notices.

``crossref`` reads Crossref's ``/works/{doi}`` JSON; ``pubmed`` reads NCBI E-utilities' ``esummary``
JSON and ``efetch`` XML. Both return a ``LookedUp``: the record to review, the notices found about
it, and warnings for the person reviewing. Fetching is done elsewhere (app.clients.metadata); these
functions take the decoded answer and raise ``SourceFormatError`` when it is not what the service
documents, or ``NotFoundAtSource`` when the service says it has no such record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.bibliography.errors import BibliographyError
from app.bibliography.notices import NoticeRecord
from app.bibliography.record import StudyRecord

__all__ = ["LookedUp", "NotFoundAtSource", "SourceFormatError"]


class SourceFormatError(BibliographyError):
    """The service answered with something other than its documented format."""


class NotFoundAtSource(BibliographyError):
    """The service has no record of this identifier."""


@dataclass
class LookedUp:
    """A study as a service describes it, for a person to review before it is saved."""

    record: StudyRecord
    source: str
    notices: list[NoticeRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
