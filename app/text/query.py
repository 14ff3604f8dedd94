"""Search queries as readers type them, parsed into a small tree that each engine compiles safely.

The syntax, documented on the search page: words (all must match), "exact phrase", -exclude,
prefix*, and fielded filters (`tag:`, `author:`, `kind:`, `design:`, `level:`, `article:`, `is:`;
quote a value with spaces: `tag:"breast cancer"`; `-kind:question` excludes). A DOI, PMID or PMCID
typed alone is recognised as an identifier.

Everything else a reader types is a word: engine operators (AND, OR, NOT, NEAR), parentheses,
carets, colons, unbalanced quotes, SQL. Only runs of letters and digits ever reach an engine, and
the compilers below quote every one of them, so no input can form engine syntax: a query either
searches for words or says plainly why it cannot.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from app.bibliography.errors import InvalidIdentifier
from app.bibliography.identifiers import normalise_doi, normalise_pmcid, normalise_pmid
from app.text.vocabulary import MAX_EXPRESSION_WORDS, synonyms_of, variants

MAX_QUERY_LENGTH = 500
# Words, phrases and filters searched at most; the rest is left out with a notice.
MAX_TERMS = 24
MIN_PREFIX = 3
FIELDS = ("tag", "author", "kind", "design", "level", "article", "is")

# A word as both engines' tokenisers see it: letters and digits (the underscore separates).
_PIECE = re.compile(r"[^\W_]+")
_FIELD = re.compile(r"([A-Za-z]+):")
_PMID = re.compile(r"(?:pmid\s*:?\s*)?\d{1,8}", re.IGNORECASE)
_PMCID = re.compile(r"pmc\s*\d{1,9}|pmcid\s*:?\s*pmc\s*\d{1,9}", re.IGNORECASE)
_DOI_HINT = re.compile(r"(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+", re.IGNORECASE)


class QueryError(ValueError):
    """A query that cannot be searched at all (too long); the message says what to do."""


@dataclass(frozen=True)
class Term:
    """A word, or a phrase when it has several, or a prefix (one word ending in *)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class AnyOf:
    """Any of the options matches (synonyms and spelling variants)."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    """Every part matches (the words of an expression typed without quotes)."""

    parts: tuple[Node, ...]


Node = Term | AnyOf | AllOf


@dataclass(frozen=True)
class FieldFilter:
    """A fielded filter such as `kind:question`; `negated` for `-kind:question`. Values are lower case."""

    field: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Identifier:
    """A DOI, PMID or PMCID typed alone, normalised."""

    scheme: str
    value: str


@dataclass(frozen=True)
class Query:
    """A parsed query: what must match, what must not, the filters, and notices for the reader."""

    text: str
    required: tuple[Node, ...] = ()
    excluded: tuple[Node, ...] = ()
    filters: tuple[FieldFilter, ...] = ()
    identifier: Identifier | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_text(self) -> bool:
        """Tell whether some words must match (the engines rank only then)."""
        return bool(self.required)

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing was asked for (exclusions alone ask for nothing)."""
        return not (self.required or self.filters)

    def values(self, name: str, negated: bool = False) -> list[str]:
        """Return the values of the filters on field `name` (the negated ones with `negated`)."""
        return [f.value for f in self.filters if f.field == name and f.negated == negated]


@dataclass
class _Entry:
    words: tuple[str, ...]
    negated: bool = False
    prefix: bool = False
    quoted: bool = False

    @property
    def plain_word(self) -> bool:
        return len(self.words) == 1 and not (self.negated or self.prefix or self.quoted)


def clean(text: str) -> str:
    """Return `text` in NFC with control and format characters turned into spaces."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def parse(text: str) -> Query:
    """Parse what a reader typed; raise QueryError when it is longer than MAX_QUERY_LENGTH."""
    if len(text or "") > MAX_QUERY_LENGTH:
        raise QueryError(f"Your search is {len(text):,} characters long; search accepts at most "
                         f"{MAX_QUERY_LENGTH}. Keep the words that matter and try again.")
    cleaned = " ".join(clean(text).split())
    identifier = identifier_in(cleaned)
    notices: list[str] = []
    entries, filters = _scan(cleaned, notices)
    if len(entries) + len(filters) > MAX_TERMS:
        notices.append(f"Only the first {MAX_TERMS} words and filters were searched.")
        filters = filters[:MAX_TERMS]
        entries = entries[:max(0, MAX_TERMS - len(filters))]
    required, excluded = _nodes(entries)
    if excluded and not required and not filters:
        notices.append("Add a word or a filter to search for: a “-word” only leaves results out.")
    return Query(text=cleaned, required=tuple(required), excluded=tuple(excluded), filters=tuple(filters),
                 identifier=identifier, notices=tuple(notices))


def identifier_in(text: str) -> Identifier | None:
    """Return the DOI, PMID or PMCID when `text` is one typed alone, else None."""
    text = text.strip()
    try:
        if _DOI_HINT.fullmatch(text):
            return Identifier("doi", normalise_doi(text))
        if _PMCID.fullmatch(text):
            return Identifier("pmcid", normalise_pmcid(re.sub(r"(?i)^pmcid\s*:?\s*", "", text)))
        if _PMID.fullmatch(text):
            return Identifier("pmid", normalise_pmid(text))
    except InvalidIdentifier:
        return None
    return None


def _scan(text: str, notices: list[str]) -> tuple[list[_Entry], list[FieldFilter]]:
    """Split the cleaned text into word entries and fielded filters."""
    entries: list[_Entry] = []
    filters: list[FieldFilter] = []
    position, length = 0, len(text)
    while position < length:
        if text[position] == " ":
            position += 1
            continue
        negated = text[position] == "-"
        if negated:
            position += 1
            if position >= length or text[position] == " ":
                continue  # a lone "-"
        name = _FIELD.match(text, position)
        if name and name.group(1).lower() in FIELDS:
            position = name.end()
            value, position, _ = _value(text, position)
            value = " ".join(value.split()).lower()
            if value:
                filters.append(FieldFilter(name.group(1).lower(), value, negated))
            else:
                notices.append(f"“{name.group(1).lower()}:” needs a value, e.g. {name.group(1).lower()}:example.")
            continue
        raw, position, quoted = _value(text, position)
        entry = _entry(raw, negated, quoted, notices)
        if entry is not None:
            entries.append(entry)
    return entries, filters


def _value(text: str, position: int) -> tuple[str, int, bool]:
    """Read a quoted string (closed or not) or a bare run up to the next space."""
    if position < len(text) and text[position] == '"':
        end = text.find('"', position + 1)
        if end < 0:
            return text[position + 1:], len(text), True
        return text[position + 1:end], end + 1, True
    end = text.find(" ", position)
    end = len(text) if end < 0 else end
    return text[position:end], end, False


def _entry(raw: str, negated: bool, quoted: bool, notices: list[str]) -> _Entry | None:
    pieces = tuple(p.lower() for p in _PIECE.findall(raw))
    if not pieces:
        return None
    prefix = not quoted and len(pieces) == 1 and raw.rstrip().endswith("*")
    if prefix and len(pieces[0]) < MIN_PREFIX:
        notices.append(f"A prefix needs at least {MIN_PREFIX} letters: “{pieces[0]}*” was searched as "
                       f"the word “{pieces[0]}”.")
        prefix = False
    return _Entry(pieces, negated=negated, prefix=prefix, quoted=quoted or len(pieces) > 1)


def _nodes(entries: list[_Entry]) -> tuple[list[Node], list[Node]]:
    """Turn entries into nodes, joining consecutive plain words that form a synonym expression."""
    required: list[Node] = []
    excluded: list[Node] = []
    index = 0
    while index < len(entries):
        run = _synonym_run(entries, index)
        if run:
            words = tuple(e.words[0] for e in entries[index:index + run])
            typed = AllOf(tuple(_word(w) for w in words))
            required.append(AnyOf((typed, *(Term(form) for form in synonyms_of(words)))))
            index += run
            continue
        entry = entries[index]
        (excluded if entry.negated else required).append(_node(entry))
        index += 1
    return required, excluded


def _synonym_run(entries: list[_Entry], index: int) -> int:
    """Return how many plain words from `index` form a multi-word synonym expression (0 if none)."""
    longest = min(MAX_EXPRESSION_WORDS, len(entries) - index)
    for size in range(longest, 1, -1):
        run = entries[index:index + size]
        if all(e.plain_word for e in run) and synonyms_of(tuple(e.words[0] for e in run)):
            return size
    return 0


def _node(entry: _Entry) -> Node:
    if entry.prefix:
        return Term(entry.words, prefix=True)
    if len(entry.words) == 1:
        # A quoted word is searched as typed (stemmed by the engine, but with no variants).
        return Term(entry.words) if entry.quoted else _word(entry.words[0])
    others = synonyms_of(entry.words)
    return AnyOf((Term(entry.words), *(Term(form) for form in others))) if others else Term(entry.words)


def _word(word: str) -> Node:
    forms = list(synonyms_of((word,))) + [(v,) for v in variants(word)]
    if not forms:
        return Term((word,))
    return AnyOf((Term((word,)), *(Term(form) for form in forms)))


# --- Compilers: one per engine, quoting every word ----------------------------------------------

def fts5_expression(node: Node) -> str:
    """Return the FTS5 query syntax for `node`; every word is a quoted string."""
    if isinstance(node, Term):
        return '"' + " ".join(node.words) + '"' + ("*" if node.prefix else "")
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts5_expression(o) for o in node.options) + ")"
    return "(" + " AND ".join(fts5_expression(p) for p in node.parts) + ")"


def fts5_match(nodes: tuple[Node, ...] | list[Node]) -> str:
    """Return an FTS5 MATCH string requiring every node (an empty list has none: callers check)."""
    return " AND ".join(fts5_expression(n) for n in nodes)


def fts5_any(nodes: tuple[Node, ...] | list[Node]) -> str:
    """Return an FTS5 MATCH string matching any of `nodes`."""
    return " OR ".join(fts5_expression(n) for n in nodes)


def tsquery_expression(node: Node) -> str:
    """Return PostgreSQL to_tsquery syntax for `node`; every word is a quoted lexeme."""
    if isinstance(node, Term):
        lexemes = " <-> ".join(f"'{w}'" for w in node.words)
        return lexemes + (":*" if node.prefix else "")
    if isinstance(node, AnyOf):
        return "(" + " | ".join(tsquery_expression(o) for o in node.options) + ")"
    return "(" + " & ".join(tsquery_expression(p) for p in node.parts) + ")"


def tsquery_match(nodes: tuple[Node, ...] | list[Node]) -> str:
    """Return to_tsquery text requiring every node."""
    return " & ".join(f"({tsquery_expression(n)})" for n in nodes)


def tsquery_any(nodes: tuple[Node, ...] | list[Node]) -> str:
    """Return to_tsquery text matching any of `nodes`."""
    return " | ".join(f"({tsquery_expression(n)})" for n in nodes)


def words_of(query: Query) -> list[str]:
    """Return every word the query looks for (for highlighting outside the engines), without duplicates."""
    out: list[str] = []

    def walk(node: Node) -> None:
        if isinstance(node, Term):
            out.extend(w for w in node.words if w not in out)
        else:
            for child in (node.options if isinstance(node, AnyOf) else node.parts):
                walk(child)

    for node in query.required:
        walk(node)
    return out


# --- Editing a query: what facet links and filter chips do ---------------------------------------

def filter_token(name: str, value: str, negated: bool = False) -> str:
    """Return the query text of one filter, quoting a value with spaces: tag:"breast cancer"."""
    value = " ".join(value.replace('"', " ").split())
    shown = f'"{value}"' if " " in value else value
    return f"{'-' if negated else ''}{name}:{shown}"


def with_filter(text: str, name: str, value: str) -> str:
    """Return `text` with the filter name:value added (unchanged when it is already there)."""
    if any(f.field == name and f.value == value.lower() and not f.negated for f in _filters_in(text)):
        return text
    return f"{text.strip()} {filter_token(name, value)}".strip()


def without_filter(text: str, name: str, value: str, negated: bool = False) -> str:
    """Return `text` without the filter name:value (in any case, quoted or not)."""
    words = " ".join(value.split())
    pattern = re.compile(r'(?<!\S)' + ("-" if negated else "") + re.escape(name) + r':(?:"\s*'
                         + r"\s+".join(map(re.escape, words.split())) + r'\s*"?|' + re.escape(words) + r')(?!\S)',
                         re.IGNORECASE)
    return " ".join(pattern.sub(" ", text).split())


def _filters_in(text: str) -> list[FieldFilter]:
    try:
        return list(parse(text).filters)
    except QueryError:
        return []
