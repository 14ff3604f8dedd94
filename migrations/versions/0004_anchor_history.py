"""Anchor history: every annotation's selectors as written and in each article version since

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

Existing annotations get one "migrated" record holding the selectors they have now (their original
ones from here on); the wording their author vouched for is the quote as first written where it was
kept, and the state once called "fuzzy" is "reworded".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('anchor_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('article_version', sa.Integer(), nullable=False),
    sa.Column('event', sa.Enum('written', 'revision', 'confirmed', 'reattached', 'migrated', name='anchor_event', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('exact', sa.Text(), nullable=False),
    sa.Column('prefix', sa.Text(), nullable=False),
    sa.Column('suffix', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_anchor_records_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_anchor_records_annotation_id_annotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anchor_records'))
    )
    with op.batch_alter_table('anchor_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anchor_records_annotation_id'), ['annotation_id'], unique=False)

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_exact', sa.Text(), nullable=True))

    op.execute(sa.text(
        'INSERT INTO anchor_records (annotation_id, article_version, event, state, exact, prefix, suffix, '
        '"start", "end", actor_id, created_at) '
        "SELECT id, anchor_version, 'migrated', "
        "CASE anchor_state WHEN 'fuzzy' THEN 'reworded' ELSE anchor_state END, "
        "exact, COALESCE(prefix, ''), COALESCE(suffix, ''), \"start\", \"end\", NULL, modified_at "
        'FROM annotations WHERE parent_id IS NULL AND exact IS NOT NULL ORDER BY id'))
    op.execute(sa.text("UPDATE annotations SET original_exact = exact "
                       "WHERE original_exact IS NULL AND parent_id IS NULL"))
    op.execute(sa.text("UPDATE annotations SET confirmed_exact = original_exact WHERE parent_id IS NULL"))
    op.execute(sa.text("UPDATE annotations SET anchor_state = 'reworded' WHERE anchor_state = 'fuzzy'"))


def downgrade():
    # The older code shows "fuzzy" annotations attached: a changed passage must not be, so it becomes an orphan.
    op.execute(sa.text("UPDATE annotations SET anchor_state = 'fuzzy' WHERE anchor_state = 'reworded'"))
    op.execute(sa.text('UPDATE annotations SET anchor_state = \'orphaned\', "start" = NULL, "end" = NULL '
                       "WHERE anchor_state = 'changed'"))
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_column('confirmed_exact')

    with op.batch_alter_table('anchor_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anchor_records_annotation_id'))

    op.drop_table('anchor_records')
