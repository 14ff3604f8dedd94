"""The two full-text engines behind one interface, chosen from the database's dialect.

Each engine turns a parsed query (app.text.query) into SQL: a subquery of the matching documents
(of every type, or of one) with a relevance score (higher is better), the snippets of a few
documents with the matched words between app.text.snippets' markers, and the rows of a JSON tag
list. Queries reach the engines only
as bound parameters built from letters and digits, so nothing a reader types is ever engine syntax.

- SQLite: FTS5 (`search_fts`), `bm25()` with per-column weights, `snippet()` and `highlight()`;
  a type is one more word to match (the `type_token` column, migration 0011).
- PostgreSQL: the `tsv` column of search_documents, `to_tsquery` on the `postil_english`
  configuration, `ts_rank_cd()` and `ts_headline()`.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Select, bindparam, cast, column, func, literal_column, select, table
from sqlalchemy.dialects.postgresql import REGCONFIG

from app.extensions import db
from app.models import SearchDocument
from app.text import query as q
from app.text.search_documents import DOC_TYPES
from app.text.snippets import ELLIPSIS, END, START

FTS_TABLE = "search_fts"
PG_CONFIG = "postil_english"
# Relevance weights of title, body, quote and extra (PostgreSQL's A, B, C, D weights agree in order).
WEIGHTS = (4.0, 2.0, 1.0, 0.5)
# SQLite's fifth column, the document's type, never counts towards relevance.
FTS_WEIGHTS = (*WEIGHTS, 0.0)
SNIPPET_WORDS = 28


@dataclass(frozen=True)
class Snippet:
    """A document's fields with matched words marked (app.text.snippets markers)."""

    title: str
    body: str
    quote: str


class Engine:
    """What search needs from a full-text engine."""

    name = "engine"

    def matches(self, nodes, excluded=(), ranked: bool = True, doc_type: str | None = None) -> Select:
        """Return a select of (doc_id, score) for documents matching every node and none of `excluded`.

        Without `ranked` the select has only doc_id: counting and faceting need no relevance. With
        `doc_type`, only documents of that type (the engine keeps them, not a join).
        """
        raise NotImplementedError

    def any_match(self, nodes) -> Select:
        """Return a select of doc ids matching any of `nodes` (for exclusions without words to rank)."""
        raise NotImplementedError

    def match_values(self, nodes, excluded=()) -> dict[str, str]:
        """Return the values of the named parameters `matches` and `any_match` bind for these words.

        A statement built for other words runs for these with them (the words are never in its SQL).
        """
        raise NotImplementedError

    def documents(self, query: q.Query, doc_ids: list[int]) -> dict[int, tuple]:
        """Return the documents `doc_ids` and their fields marked for `query`: {id: (row, Snippet or None)}.

        No relevance here: the page's statement ranked them already, and SQLite's bm25() would read
        the whole of every matched word's posting list again. Without words to mark, no snippets.
        """
        if not query.required:
            return {row.id: (row, None) for row in db.session.execute(select(_DOCS).where(_DOCS.c.id.in_(doc_ids)))}
        rows = db.session.execute(self._marked(query, doc_ids)).all()
        return {row.id: (row, Snippet(row.marked_title or "", row.marked_body or "", row.marked_quote or ""))
                for row in rows}

    def _marked(self, query: q.Query, doc_ids: list[int]) -> Select:
        """Return a select of the documents `doc_ids` with their marked title, body and quote."""
        raise NotImplementedError

    def json_elements(self, json_column, lateral: bool = False):
        """Return a table-valued expression with one row (`value`) per element of a JSON list column.

        `lateral` when it is joined beside the table holding the column (rather than in a subquery).
        """
        raise NotImplementedError


_FTS = table(FTS_TABLE, column("rowid", Integer))
_DOCS = SearchDocument.__table__
_FTS_TABLE_REF = literal_column(FTS_TABLE)


class SQLiteEngine(Engine):
    """FTS5 with external content (search_documents), Porter stemming and folded accents."""

    name = "sqlite"

    def _match(self, expression: str, name: str | None = None):
        words = bindparam(name, expression) if name else bindparam("fts_query", expression, unique=True)
        return _FTS_TABLE_REF.op("MATCH")(words)

    @staticmethod
    def _expression(nodes, excluded=(), doc_type: str | None = None) -> str:
        expression = q.fts5_match(nodes)
        if excluded:
            expression = f"({expression}) NOT ({q.fts5_any(excluded)})"
        if doc_type is not None:
            expression = f'({expression}) AND "{type_token(doc_type)}"'
        return expression

    def matches(self, nodes, excluded=(), ranked: bool = True, doc_type: str | None = None) -> Select:
        columns = [_FTS.c.rowid.label("doc_id")]
        if ranked:
            columns.append((-func.bm25(_FTS_TABLE_REF, *FTS_WEIGHTS)).label("score"))
        expression = self._expression(nodes, excluded, doc_type)
        return select(*columns).where(self._match(expression, match_param(doc_type)))

    def any_match(self, nodes) -> Select:
        return select(_FTS.c.rowid).where(self._match(q.fts5_any(nodes), EXCLUDED_PARAM))

    def match_values(self, nodes, excluded=()) -> dict[str, str]:
        values = {match_param(t): self._expression(nodes, excluded, t) for t in (None, *DOC_TYPES)} if nodes else {}
        return values | ({EXCLUDED_PARAM: q.fts5_any(excluded)} if excluded else {})

    def _marked(self, query: q.Query, doc_ids: list[int]) -> Select:
        ref = _FTS_TABLE_REF
        return select(
            _DOCS,
            func.highlight(ref, 0, START, END).label("marked_title"),
            func.snippet(ref, 1, START, END, ELLIPSIS, SNIPPET_WORDS).label("marked_body"),
            func.highlight(ref, 2, START, END).label("marked_quote"),
        ).select_from(_FTS.join(_DOCS, _DOCS.c.id == _FTS.c.rowid)).where(
            self._match(q.fts5_match(query.required)), _FTS.c.rowid.in_(doc_ids))

    def json_elements(self, json_column, lateral: bool = False):
        return func.json_each(json_column).table_valued("value")


EXCLUDED_PARAM = "match_excluded"


def match_param(doc_type: str | None) -> str:
    """Return the name of the parameter carrying the words matched in documents of `doc_type` (None: any)."""
    return f"match_{doc_type or 'any'}"


def type_token(doc_type: str) -> str:
    """Return the word SQLite's index holds for documents of `doc_type` (the generated `type_token` column)."""
    return f"postil{doc_type}doc"


_PG_DOCS = table("search_documents", column("id", Integer), column("doc_type"), column("tsv"), column("title"),
                 column("body"), column("quote"))
_HEADLINE_ALL = f"HighlightAll=true, StartSel={START}, StopSel={END}"
_HEADLINE_FRAGMENT = (f"StartSel={START}, StopSel={END}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
                      f"ShortWord=2, MaxFragments=2, FragmentDelimiter=\" {ELLIPSIS} \"")


class PostgreSQLEngine(Engine):
    """tsvector with a GIN index on the postil_english configuration (unaccent, Snowball English)."""

    name = "postgresql"

    def _tsquery(self, text: str, name: str | None = None):
        words = bindparam(name, text) if name else bindparam("ts_query", text, unique=True)
        return func.to_tsquery(cast(PG_CONFIG, REGCONFIG), words)

    @staticmethod
    def _text(nodes, excluded=()) -> str:
        text = q.tsquery_match(nodes)
        return f"({text}) & !({q.tsquery_any(excluded)})" if excluded else text

    def matches(self, nodes, excluded=(), ranked: bool = True, doc_type: str | None = None) -> Select:
        # One text for every type: the type is a condition on the documents' column here.
        tsquery = self._tsquery(self._text(nodes, excluded), match_param(None))
        columns = [_PG_DOCS.c.id.label("doc_id")]
        if ranked:
            columns.append(func.ts_rank_cd(_PG_DOCS.c.tsv, tsquery).label("score"))
        stmt = select(*columns).where(_PG_DOCS.c.tsv.op("@@")(tsquery))
        return stmt if doc_type is None else stmt.where(_PG_DOCS.c.doc_type == doc_type)

    def any_match(self, nodes) -> Select:
        return select(_PG_DOCS.c.id).where(_PG_DOCS.c.tsv.op("@@")(self._tsquery(q.tsquery_any(nodes), EXCLUDED_PARAM)))

    def match_values(self, nodes, excluded=()) -> dict[str, str]:
        values = {match_param(None): self._text(nodes, excluded)} if nodes else {}
        return values | ({EXCLUDED_PARAM: q.tsquery_any(excluded)} if excluded else {})

    def _marked(self, query: q.Query, doc_ids: list[int]) -> Select:
        tsquery = self._tsquery(q.tsquery_match(query.required))
        config = cast(PG_CONFIG, REGCONFIG)
        return select(
            _DOCS,
            func.ts_headline(config, _DOCS.c.title, tsquery, _HEADLINE_ALL).label("marked_title"),
            func.ts_headline(config, _DOCS.c.body, tsquery, _HEADLINE_FRAGMENT).label("marked_body"),
            func.ts_headline(config, _DOCS.c.quote, tsquery, _HEADLINE_ALL).label("marked_quote"),
        ).where(_DOCS.c.id.in_(doc_ids))

    def json_elements(self, json_column, lateral: bool = False):
        elements = func.json_array_elements_text(json_column).table_valued("value")
        return elements.lateral() if lateral else elements


def engine_for(dialect_name: str | None = None) -> Engine:
    """Return the engine of the current database (or of `dialect_name`)."""
    name = dialect_name or db.session.get_bind().dialect.name
    return PostgreSQLEngine() if name == "postgresql" else SQLiteEngine()
