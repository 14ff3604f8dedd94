"""Sign-up confirms the email address through a one-time link: accounts remember whether it was

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 06:00:00

Existing accounts are confirmed: they signed up under the earlier rules, and some have written already.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed')
