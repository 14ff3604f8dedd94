"""Initial schema: users, articles, revisions, studies, citations, annotations

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 08:31:20.757662

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('standfirst', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('commented_work_key', sa.String(length=120), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='article_status', native_enum=False, length=20), nullable=False),
    sa.Column('display_rev', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('slug', name=op.f('uq_articles_slug'))
    )
    op.create_table('studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citation_key', sa.String(length=120), nullable=True),
    sa.Column('csl_type', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('title_normalised', sa.Text(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('container_title', sa.String(length=300), nullable=True),
    sa.Column('container_title_short', sa.String(length=120), nullable=True),
    sa.Column('issued_year', sa.Integer(), nullable=True),
    sa.Column('issued_month', sa.Integer(), nullable=True),
    sa.Column('issued_day', sa.Integer(), nullable=True),
    sa.Column('volume', sa.String(length=40), nullable=True),
    sa.Column('issue', sa.String(length=40), nullable=True),
    sa.Column('pages', sa.String(length=60), nullable=True),
    sa.Column('doi', sa.String(length=255), nullable=True),
    sa.Column('pmid', sa.String(length=16), nullable=True),
    sa.Column('pmcid', sa.String(length=20), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('abstract', sa.Text(), nullable=True),
    sa.Column('genre', sa.String(length=80), nullable=True),
    sa.Column('design', sa.String(length=40), nullable=True),
    sa.Column('population', sa.Text(), nullable=True),
    sa.Column('sample_size', sa.Integer(), nullable=True),
    sa.Column('key_findings', sa.Text(), nullable=True),
    sa.Column('evidence_level', sa.Integer(), nullable=True),
    sa.Column('retracted', sa.Boolean(), nullable=False),
    sa.Column('retraction_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studies')),
    sa.UniqueConstraint('citation_key', name=op.f('uq_studies_citation_key')),
    sa.UniqueConstraint('doi', name=op.f('uq_studies_doi')),
    sa.UniqueConstraint('pmid', name=op.f('uq_studies_pmid'))
    )
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_studies_title_normalised'), ['title_normalised'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('profession', sa.String(length=120), nullable=False),
    sa.Column('affiliation', sa.String(length=200), nullable=False),
    sa.Column('competing_interests', sa.Text(), nullable=True),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.Enum('reader', 'moderator', 'admin', name='user_role', native_enum=False, length=20), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('trusted', sa.Boolean(), nullable=False),
    sa.Column('suspended_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspended_indefinitely', sa.Boolean(), nullable=False),
    sa.Column('suspension_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('session_token', name=op.f('uq_users_session_token'))
    )
    # Emails are unique whatever their case (autogenerate cannot render expression indexes).
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    op.create_table('annotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('root_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('comment', 'question', 'critique', 'support', 'practice', name='annotation_kind', native_enum=False, length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=True),
    sa.Column('visibility', sa.Enum('public', 'private', name='annotation_visibility', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'published', 'hidden', 'removed', name='annotation_status', native_enum=False, length=20), nullable=False),
    sa.Column('exact', sa.Text(), nullable=True),
    sa.Column('prefix', sa.Text(), nullable=True),
    sa.Column('suffix', sa.Text(), nullable=True),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('original_exact', sa.Text(), nullable=True),
    sa.Column('created_version', sa.Integer(), nullable=False),
    sa.Column('anchor_version', sa.Integer(), nullable=False),
    sa.Column('anchor_state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_annotations_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_annotations_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['annotations.id'], name=op.f('fk_annotations_parent_id_annotations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['root_id'], ['annotations.id'], name=op.f('fk_annotations_root_id_annotations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_annotations_study_id_studies'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotations'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index('ix_annotations_article_status', ['article_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotations_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotations_root_id'), ['root_id'], unique=False)

    op.create_table('article_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_revisions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_article_revisions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
    sa.UniqueConstraint('article_id', 'version', name=op.f('uq_article_revisions_article_id_version'))
    )
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_revisions_article_id'), ['article_id'], unique=False)

    op.create_table('citations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_citations_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_citations_study_id_studies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citations')),
    sa.UniqueConstraint('article_id', 'key', name=op.f('uq_citations_article_id_key')),
    sa.UniqueConstraint('article_id', 'position', name=op.f('uq_citations_article_id_position')),
    sa.UniqueConstraint('article_id', 'study_id', name=op.f('uq_citations_article_id_study_id'))
    )
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citations_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_citations_study_id'), ['study_id'], unique=False)

    op.create_table('annotation_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_annotation_revisions_annotation_id_annotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation_revisions'))
    )
    with op.batch_alter_table('annotation_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_revisions_annotation_id'), ['annotation_id'], unique=False)



def downgrade():
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('annotation_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_revisions_annotation_id'))

    op.drop_table('annotation_revisions')
    with op.batch_alter_table('citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citations_study_id'))
        batch_op.drop_index(batch_op.f('ix_citations_article_id'))

    op.drop_table('citations')
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_revisions_article_id'))

    op.drop_table('article_revisions')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_root_id'))
        batch_op.drop_index(batch_op.f('ix_annotations_author_id'))
        batch_op.drop_index('ix_annotations_article_status')

    op.drop_table('annotations')
    op.drop_table('users')
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_studies_title_normalised'))

    op.drop_table('studies')
    op.drop_table('articles')
