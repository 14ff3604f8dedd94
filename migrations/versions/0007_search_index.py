"""Search index: documents table, SQLite FTS5 or PostgreSQL tsvector, filled from existing content

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00

Each engine indexes the `search_documents` table with its own full-text engine:

- SQLite: an FTS5 table `search_fts` with external content (the documents table), tokenised with
  `porter unicode61 remove_diacritics 2` (English stemming, accents folded), kept in step by three
  triggers. A later migration that rebuilds `search_documents` in batch mode must recreate them.
- PostgreSQL: a text search configuration `postil_english` (unaccent, then the Snowball English
  stemmer without a stop-word list, so that both engines match the same words), a generated
  `tsv` column weighting title, body, quote and extra A to D, and a GIN index on it.

The documents are then built from the articles, annotations and studies already stored.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ("title", "body", "quote", "extra")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, quote, extra, content='search_documents', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, body, quote, extra) "
    "VALUES (new.id, new.title, new.body, new.quote, new.extra); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, quote, extra) "
    "VALUES ('delete', old.id, old.title, old.body, old.quote, old.extra); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, quote, extra) "
    "VALUES ('delete', old.id, old.title, old.body, old.quote, old.extra); "
    "INSERT INTO search_fts(rowid, title, body, quote, extra) "
    "VALUES (new.id, new.title, new.body, new.quote, new.extra); END",
)

POSTGRESQL_DDL = (
    "CREATE TEXT SEARCH DICTIONARY postil_english_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION postil_english (COPY = pg_catalog.english)",
    "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('postil_english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('postil_english', coalesce(body, '')), 'B') || "
    "setweight(to_tsvector('postil_english', coalesce(quote, '')), 'C') || "
    "setweight(to_tsvector('postil_english', coalesce(extra, '')), 'D')) STORED",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
)
_WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart"


def _postgresql_config(bind) -> None:
    has_unaccent = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").scalar() is not None
    if has_unaccent:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(POSTGRESQL_DDL[0])
    op.execute(POSTGRESQL_DDL[1])
    dictionaries = "unaccent, postil_english_stem" if has_unaccent else "postil_english_stem"
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION postil_english ALTER MAPPING FOR {_WORD_TOKENS} "
               f"WITH {dictionaries}")
    for statement in POSTGRESQL_DDL[2:]:
        op.execute(statement)


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(length=20), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('annotation_id', sa.Integer(), nullable=True),
    sa.Column('study_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('extra', sa.Text(), nullable=False),
    sa.Column('dated', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_search_documents_annotation_id_annotations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_search_documents_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_search_documents_study_id_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('annotation_id', name=op.f('uq_search_documents_annotation_id')),
    sa.UniqueConstraint('study_id', name=op.f('uq_search_documents_study_id'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_article_id'), ['article_id'], unique=False)
        batch_op.create_index('ix_search_documents_doc_type_dated', ['doc_type', 'dated'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _postgresql_config(bind)

    from app.services.search.index import rebuild

    rebuild(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_doc_type_dated')
        batch_op.drop_index(batch_op.f('ix_search_documents_article_id'))
    op.drop_table('search_documents')
    if bind.dialect.name == "postgresql":
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS postil_english")
        op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS postil_english_stem")
