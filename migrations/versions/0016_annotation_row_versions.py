"""Number every change of an annotation row, so that a page reads again only the annotations changed since

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 19:45:00

The article page's outline (app.services.reading) holds a few columns of every annotation an
anonymous reader may read. Rebuilding it after each new annotation read all of them again: at 5,000
annotations that was a third of the first render. With a version on every row, set by the database
whenever the row is written, the page keeps its outline and reads only the rows whose version is at
or past the mark it took when it last read (`row_version >= mark`).

- SQLite: a per-article counter. Writers hold the write lock from their first write to COMMIT, so
  versions are given in commit order; the mark is the article's highest version plus one.
- PostgreSQL: the writing transaction's id. Transactions commit in any order, so the mark is the
  oldest transaction still running when the outline is read (`pg_snapshot_xmin`): every change not
  yet visible then carries that id or a later one.

A change to an author's name, profession or competing interests (joined into the outline) gives
their annotations new versions too. Annotations are never deleted one by one (they are marked
deleted; their keys RESTRICT); an article's deletion takes them all with it, and a new article under
its id has another creation time, which the outline's key holds.

On SQLite, a later migration that rebuilds `annotations` or `users` (Alembic's batch mode copies the
table) drops these triggers with it and must create them again: tests/functional/test_outline_changes.py
fails without them.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('annotations', sa.Column('row_version', sa.BigInteger(), server_default='0', nullable=False))
    op.create_index('ix_annotations_article_version', 'annotations', ['article_id', 'row_version'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE annotations SET row_version = pg_current_xact_id()::text::bigint")
        op.execute("""
            CREATE FUNCTION postil_annotation_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.row_version := pg_current_xact_id()::text::bigint;
                RETURN NEW;
            END
            $$""")
        op.execute("CREATE TRIGGER annotations_versioned BEFORE INSERT OR UPDATE ON annotations "
                   "FOR EACH ROW EXECUTE FUNCTION postil_annotation_versioned()")
        op.execute("""
            CREATE FUNCTION postil_author_shown_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE annotations SET row_version = row_version WHERE author_id = NEW.id;
                RETURN NULL;
            END
            $$""")
        op.execute("CREATE TRIGGER users_shown_changed AFTER UPDATE OF display_name, profession, competing_interests "
                   "ON users FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name "
                   "OR OLD.profession IS DISTINCT FROM NEW.profession "
                   "OR OLD.competing_interests IS DISTINCT FROM NEW.competing_interests) "
                   "EXECUTE FUNCTION postil_author_shown_changed()")
        return
    op.execute("UPDATE annotations SET row_version = id")
    next_version = ("(SELECT coalesce(max(row_version), 0) + 1 FROM annotations WHERE article_id = NEW.article_id)")
    op.execute(f"""
        CREATE TRIGGER annotations_versioned_insert AFTER INSERT ON annotations
        BEGIN
            UPDATE annotations SET row_version = {next_version} WHERE id = NEW.id;
        END""")
    # Not when the row's version is what changed: that is this trigger's own update.
    op.execute(f"""
        CREATE TRIGGER annotations_versioned_update AFTER UPDATE ON annotations
        WHEN NEW.row_version IS OLD.row_version
        BEGIN
            UPDATE annotations SET row_version = {next_version} WHERE id = NEW.id;
        END""")
    op.execute("""
        CREATE TRIGGER users_shown_changed AFTER UPDATE OF display_name, profession, competing_interests ON users
        WHEN OLD.display_name IS NOT NEW.display_name OR OLD.profession IS NOT NEW.profession
             OR OLD.competing_interests IS NOT NEW.competing_interests
        BEGIN
            UPDATE annotations SET row_version = row_version WHERE author_id = NEW.id;
        END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER users_shown_changed ON users")
        op.execute("DROP FUNCTION postil_author_shown_changed()")
        op.execute("DROP TRIGGER annotations_versioned ON annotations")
        op.execute("DROP FUNCTION postil_annotation_versioned()")
    else:
        op.execute("DROP TRIGGER users_shown_changed")
        op.execute("DROP TRIGGER annotations_versioned_update")
        op.execute("DROP TRIGGER annotations_versioned_insert")
    op.drop_index('ix_annotations_article_version', table_name='annotations')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_column('row_version')
