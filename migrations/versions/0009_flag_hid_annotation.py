"""Flags remember whether they hid their annotation, to cap automatic hides per flagger per day

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 03:40:00

Existing flags get False: hides before this version do not count against anyone's allowance.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hid_annotation', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_column('hid_annotation')
