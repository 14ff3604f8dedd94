"""Notices about studies: store them once, flag retracted studies, tell the readers who rely on them.

A notice arrives from a Crossref lookup, a PubMed lookup or the Retraction Watch CSV. It is stored
once per study, kind and notice (its DOI, else its source's id), so importing the same file again, or
hearing of the same retraction from two sources, changes nothing. A new notice marks the pages of the
articles citing the study as stale (their badges and banner change) and notifies the readers who
linked the study in an annotation and those who follow it (``notify_study_notice``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from app.bibliography import FormatError
from app.bibliography.notices import NOTICE_LABELS, NoticeRecord, human_date, read_retraction_watch
from app.extensions import db
from app.models import NoticeKind, Study, StudyNotice
from app.services import notifications
from app.services.errors import ServiceError
from app.services.studies import bump_citing_articles

# The notification each kind of notice sends (app.services.preferences files them all under "Study notices").
NOTICE_NOTIFICATION_KIND = {NoticeKind.RETRACTION: notifications.Kind.RETRACTION,
                            NoticeKind.EXPRESSION_OF_CONCERN: notifications.Kind.CONCERN,
                            NoticeKind.CORRECTION: notifications.Kind.CORRECTION}


def preload_notices(studies) -> None:
    """Load the notices of many studies in one query, so badges cost no query per study."""
    pending = {s.id: s for s in studies if s is not None and "notices" not in inspect(s).dict}
    if not pending:
        return
    found: dict[int, list[StudyNotice]] = {study_id: [] for study_id in pending}
    for notice in db.session.scalars(select(StudyNotice).where(StudyNotice.study_id.in_(list(pending)))
                                     .order_by(StudyNotice.id)):
        found[notice.study_id].append(notice)
    for study_id, study in pending.items():
        set_committed_value(study, "notices", found[study_id])


def add_notice(study: Study, notice: NoticeRecord) -> tuple[StudyNotice, bool]:
    """Store `notice` for `study` unless it is already there; return the row and whether it is new (flushes)."""
    existing = db.session.scalar(select(StudyNotice).where(
        StudyNotice.study_id == study.id, StudyNotice.kind == NoticeKind(notice.kind),
        StudyNotice.notice_key == notice.key))
    if existing is not None:
        if existing.notice_date is None and notice.date is not None:
            existing.notice_date = notice.date
        if existing.url is None and notice.url:
            existing.url = notice.url
        return existing, False
    row = StudyNotice(study_id=study.id, kind=NoticeKind(notice.kind), notice_key=notice.key,
                      notice_date=notice.date, source=notice.source, url=notice.url, note=notice.note or "")
    db.session.add(row)
    if notice.kind == "retraction":
        study.retracted = True
        if not study.retraction_note:
            when = f" on {human_date(notice.date)}" if notice.date else ""
            study.retraction_note = f"Retracted{when} (notice from {notice.source})."
    db.session.flush()
    if row not in study.notices:
        study.notices.append(row)
    bump_citing_articles(study)
    notify_study_notice(study, row)
    return row, True


def describe(notice: StudyNotice) -> str:
    """Return a notice in a sentence fragment: "a retraction notice dated 2 May 2024 (Retraction Watch)"."""
    label = NOTICE_LABELS[notice.kind.value][0].lower()
    when = f" dated {human_date(notice.notice_date)}" if notice.notice_date else ""
    return f"a {label} notice{when} ({notice.source})"


def notify_study_notice(study: Study, notice: StudyNotice) -> None:
    """Tell the readers who linked `study` in an annotation, and its followers, that `notice` was published."""
    notifications.study_notice(study, NOTICE_NOTIFICATION_KIND[notice.kind], f"It has {describe(notice)}.",
                               notice_id=notice.id)


# --- The Retraction Watch database ------------------------------------------------------------------


@dataclass
class RetractionMatch:
    """One row of the CSV that concerns a study Postil holds."""

    line: int
    record_id: str
    study: Study
    matched_by: str
    notice: StudyNotice
    new: bool


@dataclass
class RetractionImport:
    """What importing a Retraction Watch CSV did."""

    rows: int = 0
    matches: list[RetractionMatch] = field(default_factory=list)
    ignored: int = 0  # rows naming no notice (reinstatements)

    @property
    def new_notices(self) -> int:
        """Return how many notices were stored by this import."""
        return sum(1 for m in self.matches if m.new)


def import_retraction_watch(text: str) -> RetractionImport:
    """Match every row of a Retraction Watch CSV to stored studies by DOI, then PMID, and store its notice.

    Idempotent: a notice already stored is reported as known. Raises ServiceError (nothing changed)
    when the file is not a Retraction Watch CSV. Flushes, never commits.
    """
    studies = db.session.scalars(select(Study).where(or_(Study.doi.is_not(None), Study.pmid.is_not(None)))).all()
    by_doi = {s.doi: s for s in studies if s.doi}
    by_pmid = {s.pmid: s for s in studies if s.pmid}
    report = RetractionImport()
    try:
        for row in read_retraction_watch(text):
            report.rows += 1
            if row.notice is None:
                report.ignored += 1
                continue
            study, how = (by_doi.get(row.doi), "DOI") if row.doi else (None, "")
            if study is None and row.pmid:
                study, how = by_pmid.get(row.pmid), "PMID"
            if study is None:
                continue
            stored, new = add_notice(study, row.notice)
            report.matches.append(RetractionMatch(row.line, row.record_id, study, how, stored, new))
    except FormatError as exc:
        raise ServiceError(f"{exc}. Nothing was imported.", "file") from None
    except UnicodeError:
        raise ServiceError("The file is not readable text. Nothing was imported.", "file") from None
    return report
