"""A journal club's exports: a session's discussion as Markdown, and a member's CPD record as CSV.

Both are built from what the services already decided the member may read (the group's layer of the
page, their own annotations): nothing here queries or filters. The CPD record carries the fields a
CPD portfolio asks for (a UK royal college's CPD diary, an ACCME-style CME log): date, activity
type, title, provider, duration and credit, the article, the evidence discussed with its levels, the
participant's contributions, and room for their reflection.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from app.bibliography.evidence import DESIGNS
from app.services.group_reading import CpdRecord
from app.services.reading import Discussion, Thread
from app.text.clock import describe, local

ACTIVITY_TYPE = "Journal club (peer-group discussion of published evidence)"
CPD_COLUMNS = ("date", "start_time", "time_zone", "activity_type", "title", "provider", "participant",
               "profession", "attended", "duration_minutes", "cpd_hours", "article", "article_url",
               "studies_discussed", "prompts", "prompts_answered", "annotations_written", "my_annotations",
               "record_url", "reflection")
# Spreadsheets run a cell starting with these as a formula (CSV injection); a leading quote keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def study_line(citation) -> str:
    """Describe a cited study with its design and CEBM level of evidence."""
    study = citation.study
    design = DESIGNS.get(study.design or "", "design not stated")
    level = f"CEBM level {study.evidence_level}" if study.evidence_level else "level not graded"
    retracted = "; retracted" if study.retracted else ""
    return f"[{citation.position}] {study.title} ({design}; {level}{retracted})"


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def cpd_csv(record: CpdRecord, article_url: str, record_url: str) -> str:
    """Return the CPD record as a CSV file: a header and one row for the session."""
    zone = record.member.time_zone
    starts = local(record.session.starts_at, zone)
    mine = " | ".join(
        f"{'Reply' if a.parent_id else a.kind.label}: {_one_line(a.body, 300)}" for a in record.annotations)
    row = (starts.date().isoformat(), f"{starts:%H:%M}", getattr(starts.tzinfo, "key", zone), ACTIVITY_TYPE,
           record.session.title, f"{record.group.name} (Postil journal club)", record.member.display_name,
           record.member.profession, "yes" if record.attended else "no", record.session.duration_minutes,
           f"{record.hours:g}", record.article.title, article_url,
           " | ".join(study_line(c) for c in record.studies), len(record.prompts), record.answered_prompts,
           len(record.annotations), mine, record_url, "")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CPD_COLUMNS)
    writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + line if line.strip() else pad.rstrip() for line in (text or "").splitlines())


def _who(annotation) -> str:
    author = annotation.author
    return f"**{author.display_name}**" + (f", {author.profession}" if author.profession else "")


def _thread_lines(number: int, thread: Thread, prompts: dict, zone: str) -> Iterator[str]:
    root = thread.root
    if getattr(root, "is_stub", False):
        yield f"\n## {number}. A thread whose opening annotation is not shown\n"
    else:
        label = "Prompt" if root.id in prompts else root.kind.label
        quote = root.exact or root.original_exact or ""
        yield (f"\n## {number}. {label}\n\n" + _indent(quote, "> ") + "\n\n"
               f"{_who(root)} · {describe(root.created_at, zone)}\n\n{root.body}\n")
        if thread.is_question:
            yield "\n*Answered.*\n" if thread.answer_id else "\n*Not answered yet.*\n"
    for reply in thread.replies:
        annotation = reply.annotation
        if getattr(annotation, "is_stub", False) or annotation.is_deleted:
            continue
        accepted = " — **accepted answer**" if annotation.id == thread.answer_id else ""
        pad = "  " * (reply.depth - 1)
        yield f"\n{pad}- {_who(annotation)}{accepted}:\n\n" + _indent(annotation.body, pad + "  ") + "\n"


def discussion_markdown(data: Discussion, session, group_name: str, article_url: str, zone: str) -> Iterator[str]:
    """Yield a session's discussion as Markdown: the session, its agenda, then prompts first and every thread."""
    yield (f"# {session.title}\n\n"
           f"Journal club: {group_name}  \n"
           f"Session: {describe(session.starts_at, zone)}, {session.duration_minutes} minutes  \n"
           f"Article: {session.article.title} <{article_url}>\n")
    if session.agenda:
        yield "\n## Agenda\n\n" + session.agenda + "\n"
    threads = [*data.threads, *data.changed, *data.orphans]
    prompts = [t for t in threads if t.root.id in data.prompts]
    others = [t for t in threads if t.root.id not in data.prompts]
    if prompts:
        yield "\n# Prompts\n"
        for number, thread in enumerate(prompts, start=1):
            yield from _thread_lines(number, thread, data.prompts, zone)
    if others:
        yield "\n# Discussion\n"
        for number, thread in enumerate(others, start=len(prompts) + 1):
            yield from _thread_lines(number, thread, data.prompts, zone)
    if not threads:
        yield "\nNo annotation in the group's layer of this article yet.\n"
