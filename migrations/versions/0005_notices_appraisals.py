"""Study notices (retractions, corrections, expressions of concern) and structured appraisals

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('study_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('retraction', 'expression_of_concern', 'correction', name='notice_kind', native_enum=False, length=30), nullable=False),
    sa.Column('notice_key', sa.String(length=255), nullable=False),
    sa.Column('notice_date', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_study_notices_study_id_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_notices')),
    sa.UniqueConstraint('study_id', 'kind', 'notice_key', name=op.f('uq_study_notices_study_id_kind_notice_key'))
    )
    with op.batch_alter_table('study_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_notices_study_id'), ['study_id'], unique=False)

    op.create_table('appraisals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('tool', sa.String(length=20), nullable=False),
    sa.Column('domain', sa.String(length=40), nullable=False),
    sa.Column('domain_text', sa.String(length=200), nullable=True),
    sa.Column('judgement', sa.String(length=20), nullable=False),
    sa.Column('grade_factor', sa.String(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_appraisals_annotation_id_annotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appraisals')),
    sa.UniqueConstraint('annotation_id', name=op.f('uq_appraisals_annotation_id'))
    )


def downgrade():
    op.drop_table('appraisals')
    with op.batch_alter_table('study_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_notices_study_id'))
    op.drop_table('study_notices')
