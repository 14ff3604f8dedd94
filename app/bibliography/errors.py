"""Exceptions raised by the bibliography package.

Every error subclasses ``ValueError`` so callers that only care about "bad
input" can catch one thing, while the message is always fit to show a user.
"""


class BibliographyError(ValueError):
    """Base class: the input cannot become a valid study record."""


class InvalidIdentifier(BibliographyError):
    """A DOI, PMID or PMCID does not have the shape the registry issues."""


class InvalidRecord(BibliographyError):
    """A record breaks a rule of ``StudyRecord`` (no title, unknown design...)."""


class FormatError(BibliographyError):
    """A whole file cannot be read; no record in it was imported."""
