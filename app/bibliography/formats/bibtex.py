"""Read and write BibTeX (and the common biblatex fields) via bibtexparser v2.

Reading: bibtexparser splits the file and resolves @string macros; this
module then decodes LaTeX (``{\\"o}`` -> "ö") with pylatexenc, configured as
bibtexparser's LatexDecodingMiddleware is. The middleware itself is not
used: in 2.1.0 it decodes every field, so "%" in a URL starts a comment and
"~" in a DOI becomes a non-breaking space, and it skips author lists split
into NameParts. Here only prose fields are decoded; ``doi``, ``url``,
``pmid`` and ``pmcid`` are read verbatim.

Writing is done here rather than by bibtexparser's writer, to control
escaping: values are UTF-8, LaTeX specials are escaped, words with inner
capitals ("TMEM", "mRNA") are braced so styles keep their case, "et al."
becomes ``and others``, organisations are braced, and Postil extras go in
``note`` as ``postil:`` pairs (see ``_common``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import bibtexparser
import pylatexenc.latex2text
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec

from app.bibliography.dates import MONTH_ABBREVIATIONS, month_number, parse_date
from app.bibliography.errors import FormatError
from app.bibliography.formats._common import (
    ParsedEntry,
    build_entry,
    citation_keys,
    decode_postil_note,
    encode_postil_note,
    failed_entry,
)
from app.bibliography.record import StudyRecord

__all__ = ["parse_bibtex", "to_bibtex"]

_BIBTEX_TO_CSL = {
    "article": "article-journal",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "techreport": "report",
    "report": "report",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "unpublished": "manuscript",
    "dataset": "dataset",
    "patent": "patent",
    "misc": "article",
}
_CSL_TO_BIBTEX = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "book": "book",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "report": "techreport",
    "thesis": "phdthesis",
    "manuscript": "unpublished",
    "dataset": "dataset",
    "patent": "patent",
}
_CONTAINER_FIELD = {"incollection": "booktitle", "inproceedings": "booktitle"}
_VERBATIM_UNESCAPES = (("\\_", "_"), ("\\%", "%"), ("\\&", "&"), ("\\#", "#"), ("\\~{}", "~"))
_LATEX_SPECIALS = re.compile(r"[\\{}&%$#_~^]")
_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Words with a capital after their first letter: acronyms and names like mRNA.
_CASE_SENSITIVE_WORD = re.compile(r"(?<![\\\w])(\w+[A-Z]\w*)")
_WHITESPACE = re.compile(r"\s+")
_PLAIN_GROUP = re.compile(r"\{([^\\{}$~%`']+)\}")
_SIMPLE_ESCAPE = re.compile(r"\\([%&$#_{}])")
_NEEDS_LATEX = re.compile(r"[\\{}$~%]|--|``|''")
_PAGE_DASH = re.compile(r"\s*[-\u2013\u2014]+\s*")


def _decoder() -> LatexNodes2Text:
    context = pylatexenc.latex2text.get_default_latex_context_db()
    context.add_context_category(
        "postil-bibtex", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s")]
    )
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_DECODER = _decoder()


def _latex_text(value: str | None) -> str | None:
    """Return the plain Unicode text of a LaTeX field value, on one line."""
    if not value:
        return None
    # pylatexenc takes a millisecond or more a field. Without macros, a value
    # is plain text once case-protecting braces ("{TMEM}") and escapes ("\%")
    # are undone, so pylatexenc is only called for real LaTeX such as accents.
    # (With macros the braces must stay: they hold arguments, as in \c{C}.)
    if "\\" not in _SIMPLE_ESCAPE.sub("", value):
        plain = value
        for _ in range(3):  # "{{TMEM}}" is protected twice over
            plain, changed = _PLAIN_GROUP.subn(r"\1", plain)
            if not changed:
                break
        if not _NEEDS_LATEX.search(_SIMPLE_ESCAPE.sub("", plain)):
            return _WHITESPACE.sub(" ", _SIMPLE_ESCAPE.sub(r"\1", plain)).strip() or None
    try:
        text = _DECODER.latex_to_text(value)
    except Exception:
        # pylatexenc gives up on some malformed input; braces are the main noise then.
        text = value.replace("{", "").replace("}", "")
    # "~" is a tie (no-break space) and \textasciicircum decodes to a modifier letter.
    text = text.replace("\xa0", " ").replace("\u02c6", "^")
    return _WHITESPACE.sub(" ", text).strip() or None


def _verbatim(value: str | None) -> str | None:
    if not value:
        return None
    text = value.replace("{", "").replace("}", "")
    for escaped, plain in _VERBATIM_UNESCAPES:
        text = text.replace(escaped, plain)
    return text.strip() or None


def _unenclose(value: Any) -> Any:
    # Blocks bibtexparser flags as failed skip its middlewares, so keep their {} or "".
    enclosures = (("{", "}"), ('"', '"'))
    if isinstance(value, str) and len(value) >= 2 and (value[0], value[-1]) in enclosures:
        return value[1:-1]
    return value


def _name(raw: str) -> dict[str, str] | None:
    raw = raw.strip()
    if raw.lower() == "others":
        return {"literal": "et al."}
    parts = parse_single_name_into_parts(raw, strict=False)
    if not parts.first and not parts.von and not parts.jr and len(parts.last) == 1:
        only = parts.last[0]
        if only.startswith("{") and only.endswith("}"):
            return {"literal": _latex_text(only) or only}
    name = {
        "family": _latex_text(" ".join(parts.von + parts.last)),
        "given": _latex_text(" ".join(parts.first)),
        "suffix": _latex_text(" ".join(parts.jr)),
    }
    cleaned = {key: value for key, value in name.items() if value}
    return cleaned or None


def _authors(value: str | None) -> list[dict[str, str]]:
    if not value:
        return []
    return [name for raw in split_multiple_persons_names(value) if (name := _name(raw))]


# Entry types whose booktitle names the volume of proceedings (the title when the entry lacks its own).
_PROCEEDINGS = frozenset({"proceedings", "inproceedings", "conference", "mvproceedings"})


def _date(fields: dict[str, str]) -> tuple[int | None, int | None, int | None]:
    year, month, day = parse_date(_latex_text(fields.get("date")))
    if year is None:
        year = parse_date(_latex_text(fields.get("year")))[0]
    if month is None:
        month = month_number(_latex_text(fields.get("month")))
    return year, month, day


def _pages(value: str | None) -> str | None:
    text = _verbatim(value)
    return _PAGE_DASH.sub("-", text) if text else None


def _entry_fields(entry: Entry, enclosed: bool) -> dict[str, str]:
    fields: dict[str, str] = {}
    for bib_field in entry.fields:
        value = _unenclose(bib_field.value) if enclosed else bib_field.value
        # The first of a repeated field wins, as BibTeX itself does.
        fields.setdefault(bib_field.key.lower(), value if isinstance(value, str) else str(value))
    return fields


def _record(entry: Entry, enclosed: bool, warnings: list[str]) -> StudyRecord:
    fields = _entry_fields(entry, enclosed)
    entry_type = entry.entry_type.lower()
    year, month, day = _date(fields)
    note = _latex_text(fields.get("note"))
    container = next(
        (fields[k] for k in ("journal", "journaltitle", "booktitle") if fields.get(k)), None
    )
    bibliographic = {
        "citation_key": entry.key,
        "csl_type": _BIBTEX_TO_CSL.get(entry_type, "article"),
        "title": _title_of(fields, entry_type, warnings),
        "authors": _authors(fields.get("author")),
        "container_title": _latex_text(container),
        "container_title_short": _latex_text(fields.get("shortjournal")),
        "issued_year": year,
        "issued_month": month,
        "issued_day": day,
        "volume": _latex_text(fields.get("volume")),
        "issue": _latex_text(fields.get("number") or fields.get("issue")),
        "pages": _pages(fields.get("pages")),
        "doi": _verbatim(fields.get("doi")),
        "pmid": _verbatim(fields.get("pmid")),
        "pmcid": _verbatim(fields.get("pmcid")),
        "url": _verbatim(fields.get("url")),
        "abstract": _latex_text(fields.get("abstract")),
        "genre": _latex_text(fields.get("type")),
    }
    return StudyRecord.from_fields(bibliographic, extras=decode_postil_note(note), note=note, warnings=warnings)


def _title_of(fields: dict[str, str], entry_type: str, warnings: list[str]) -> str:
    """Return the title, or for proceedings without one the `booktitle` (saying so)."""
    title = _latex_text(fields.get("title"))
    if not title and entry_type in _PROCEEDINGS and (booktitle := _latex_text(fields.get("booktitle"))):
        warnings.append("it has no title, so its booktitle was used")
        return booktitle
    return title or ""


def _title_hint(entry: Entry, enclosed: bool) -> str | None:
    title = entry.fields_dict.get("title")
    return _latex_text(_unenclose(title.value) if enclosed else title.value) if title else None


def parse_bibtex(text: str) -> list[ParsedEntry]:
    """Read BibTeX text into one entry per @entry; raise FormatError if none can be read."""
    library = bibtexparser.parse_string(text)
    entries: list[ParsedEntry] = []
    syntax_errors: list[str] = []
    for block in library.blocks:
        index = len(entries) + 1
        entry, enclosed = block, False
        if isinstance(block, ParsingFailedBlock):
            # Duplicate keys or fields are not worth losing a study over.
            entry, enclosed = block.ignore_error_block, True
            if not isinstance(entry, Entry):
                line = (block.start_line or 0) + 1
                reason = f"BibTeX syntax error in the entry on line {line}"
                syntax_errors.append(reason)
                entries.append(failed_entry(index, reason))
                continue
        if isinstance(entry, Entry):
            entries.append(
                build_entry(
                    index,
                    lambda warnings, e=entry, enc=enclosed: _record(e, enc, warnings),
                    _title_hint(entry, enclosed),
                    entry.key,
                )
            )
    if len(syntax_errors) == len(entries):
        if syntax_errors:
            raise FormatError(f"No BibTeX entry could be read: {syntax_errors[0]}")
        raise FormatError("No BibTeX entries found: each entry starts like '@article{key,'")
    return entries


def _escape(value: str) -> str:
    return _LATEX_SPECIALS.sub(lambda match: _LATEX_ESCAPES[match.group(0)], value)


def _text_value(value: str) -> str:
    # "--" would read back as an en dash, so keep the hyphens apart.
    return _escape(" ".join(value.split())).replace("--", "-{}-")


def _title_value(value: str) -> str:
    return _CASE_SENSITIVE_WORD.sub(r"{\1}", _text_value(value))


def _bib_name(name: dict[str, str]) -> str:
    literal = name.get("literal")
    if literal:
        if literal.lower().rstrip(".") == "et al":
            return "others"
        return f"{{{_text_value(literal)}}}"
    family = _text_value(name.get("family", ""))
    if "," in family or " and " in family.lower():
        family = f"{{{family}}}"
    parts = [family]
    if name.get("suffix"):
        parts.append(_text_value(name["suffix"]))
    if name.get("given"):
        parts.append(_text_value(name["given"]))
    elif name.get("suffix"):
        parts.append("")
    return ", ".join(parts)


def _verbatim_value(value: str) -> str:
    # Unbalanced braces would end the field early; percent-encoding keeps the link valid.
    return value.replace("{", "%7B").replace("}", "%7D")


def _bib_fields(record: StudyRecord) -> list[tuple[str, str]]:
    entry_type = _CSL_TO_BIBTEX.get(record.csl_type, "misc")
    container_field = _CONTAINER_FIELD.get(entry_type, "journal")
    date = None
    if record.issued_day is not None:
        date = f"{record.issued_year:04d}-{record.issued_month:02d}-{record.issued_day:02d}"
    text_fields = [
        ("author", " and ".join(_bib_name(n) for n in record.authors) or None),
        ("title", _title_value(record.title)),
        (container_field, record.container_title and _title_value(record.container_title)),
        (
            "shortjournal",
            record.container_title_short and _text_value(record.container_title_short),
        ),
        ("year", str(record.issued_year) if record.issued_year is not None else None),
        ("date", date),
        ("volume", record.volume and _text_value(record.volume)),
        ("number", record.issue and _text_value(record.issue)),
        ("pages", record.pages and _PAGE_DASH.sub("--", _escape(record.pages))),
        ("doi", record.doi and _verbatim_value(record.doi)),
        ("pmid", record.pmid),
        ("pmcid", record.pmcid),
        ("url", record.url and _verbatim_value(record.url)),
        ("abstract", record.abstract and _text_value(record.abstract)),
        ("type", record.genre and _text_value(record.genre)),
        ("note", (note := encode_postil_note(record)) and _text_value(note)),
    ]
    return [(key, value) for key, value in text_fields if value]


def _bib_entry(record: StudyRecord, key: str) -> str:
    entry_type = _CSL_TO_BIBTEX.get(record.csl_type, "misc")
    lines = [f"@{entry_type}{{{key},"]
    for name, value in _bib_fields(record):
        lines.append(f"  {name} = {{{value}}},")
        if name == "year" and record.issued_month is not None:
            # The bare macro ("jul") is what every BibTeX style understands.
            lines.append(f"  month = {MONTH_ABBREVIATIONS[record.issued_month - 1].lower()},")
    lines.append("}")
    return "\n".join(lines)


def to_bibtex(records: Iterable[StudyRecord]) -> str:
    """Return records as BibTeX, generating unique keys like ``karagiannis2017`` where missing."""
    records = list(records)
    keys = citation_keys(records, bibtex_safe=True)
    return "\n\n".join(_bib_entry(r, k) for r, k in zip(records, keys, strict=True)) + "\n"
