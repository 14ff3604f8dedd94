"""Keep the W3C `canonical` and `via` IRIs an API client sends with an annotation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canonical', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('via', sa.String(length=2048), nullable=True))


def downgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_column('via')
        batch_op.drop_column('canonical')
