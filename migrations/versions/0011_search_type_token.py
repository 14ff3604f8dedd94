"""Search: SQLite's full-text index also indexes each document's type, so a search can ask for one type

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 06:00:00

SQLite only (PostgreSQL filters the type in the same table as its tsvector). `search_documents`
gains a virtual generated column `type_token` ("postilarticledoc", "postilannotationdoc",
"postilstudydoc": one word no text contains, where the type's own name, "study" or "article",
is an everyday word), and `search_fts` a fifth column indexing it. A search then counts and ranks
the matches of one type inside the engine ("(words) AND postilstudydoc") instead of looking up
the type of every match. The index is recreated and filled from the documents table; the
triggers that keep it in step are recreated with the new column. A later migration that rebuilds
`search_documents` in batch mode must recreate the generated column, the index and the triggers.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TRIGGERS = ("search_documents_ai", "search_documents_ad", "search_documents_au")


def _fts_ddl(columns: tuple[str, ...]) -> tuple[str, ...]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return (
        f"CREATE VIRTUAL TABLE search_fts USING fts5({names}, content='search_documents', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
        f"INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new}); END",
        "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new}); END",
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
        "INSERT INTO search_fts(search_fts) VALUES ('optimize')",
    )


def _drop_fts() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_fts()
    op.execute("ALTER TABLE search_documents ADD COLUMN type_token TEXT "
                "GENERATED ALWAYS AS ('postil' || doc_type || 'doc') VIRTUAL")
    for statement in _fts_ddl(("title", "body", "quote", "extra", "type_token")):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_fts()
    op.execute("ALTER TABLE search_documents DROP COLUMN type_token")
    for statement in _fts_ddl(("title", "body", "quote", "extra")):
        op.execute(statement)
