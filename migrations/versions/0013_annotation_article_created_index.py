"""Index annotations by article and creation time, so "new since your last visit" reads only the new ones

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 06:20:00

Every signed-in view of an article asks for the annotations written since the reader's last
visit; with the article alone indexed, that scanned all of the article's annotations.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index('ix_annotations_article_created', ['article_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index('ix_annotations_article_created')
