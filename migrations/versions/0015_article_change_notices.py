"""PostgreSQL tells the app's workers which article changed (NOTIFY postil_articles), as each commit lands

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 17:30:00

An anonymous reader's article page is answered from each worker's page cache under the article's
page key (app.main.fast_pages). On SQLite `PRAGMA data_version` says for nothing whether anything
was committed since the key was read; PostgreSQL has no such thing, so every view read the key, a
round trip. With this trigger every change of an article row (its display revision is bumped by
every change a reader could see) sends the article's slug on the `postil_articles` channel when its
transaction commits, to every worker listening, on every app server. SQLite needs nothing.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION postil_article_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM pg_notify('postil_articles', OLD.slug);
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.slug IS DISTINCT FROM OLD.slug) THEN
                PERFORM pg_notify('postil_articles', NEW.slug);
            END IF;
            RETURN NULL;
        END
        $$""")
    op.execute("CREATE TRIGGER articles_changed AFTER INSERT OR UPDATE OR DELETE ON articles "
               "FOR EACH ROW EXECUTE FUNCTION postil_article_changed()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER articles_changed ON articles")
    op.execute("DROP FUNCTION postil_article_changed()")
