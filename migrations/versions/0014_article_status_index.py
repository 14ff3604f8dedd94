"""Index articles by status, so that "which articles are published" never reads their large rows

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 09:05:00

Every search keeps only annotations and passages of published articles, and asks which those are
once per part of its statement; without an index that read every article's row, bodies included.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_status_id')
