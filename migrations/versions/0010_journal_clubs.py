"""Journal clubs: groups, members, invitations, sessions, prompts, attendance; annotations and log entries in a group

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 04:13:23

Existing annotations keep group_id NULL (public or private as before); existing accounts get the
UTC time zone; existing log entries name no group.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('join_policy', sa.Enum('invitation', 'open', name='group_join_policy', native_enum=False, length=20), nullable=False),
    sa.Column('premoderate_new_members', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_groups_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('slug', name=op.f('uq_groups_slug'))
    )
    op.create_table('group_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_group_invitations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_invitations_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], name=op.f('fk_group_invitations_used_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_invitations')),
    sa.UniqueConstraint('digest', name=op.f('uq_group_invitations_digest'))
    )
    with op.batch_alter_table('group_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_invitations_group_id'), ['group_id'], unique=False)

    op.create_table('group_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'moderator', 'member', name='group_role', native_enum=False, length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_memberships_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_memberships')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_group_memberships_group_id_user_id'))
    )
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_memberships_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('group_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('agenda_html', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_group_sessions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_group_sessions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_sessions_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_sessions'))
    )
    with op.batch_alter_table('group_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_sessions_article_id'), ['article_id'], unique=False)
        batch_op.create_index('ix_group_sessions_group_starts', ['group_id', 'starts_at'], unique=False)

    op.create_table('session_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id'], name=op.f('fk_session_attendance_session_id_group_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_attendance_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendance')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_attendance_session_id_user_id'))
    )
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_attendance_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('session_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_session_prompts_annotation_id_annotations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id'], name=op.f('fk_session_prompts_session_id_group_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_prompts')),
    sa.UniqueConstraint('annotation_id', name=op.f('uq_session_prompts_annotation_id'))
    )
    with op.batch_alter_table('session_prompts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_prompts_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_annotations_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_annotations_group_id_groups'), 'groups', ['group_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_moderation_log_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_moderation_log_group_id_groups'), 'groups', ['group_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_moderation_log_group_id_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_moderation_log_group_id'))
        batch_op.drop_column('group_id')

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_annotations_group_id_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_annotations_group_id'))
        batch_op.drop_column('group_id')

    with op.batch_alter_table('session_prompts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_prompts_session_id'))

    op.drop_table('session_prompts')
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_attendance_session_id'))

    op.drop_table('session_attendance')
    with op.batch_alter_table('group_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_group_sessions_group_starts')
        batch_op.drop_index(batch_op.f('ix_group_sessions_article_id'))

    op.drop_table('group_sessions')
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_memberships_user_id'))
        batch_op.drop_index(batch_op.f('ix_group_memberships_group_id'))

    op.drop_table('group_memberships')
    with op.batch_alter_table('group_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_invitations_group_id'))

    op.drop_table('group_invitations')
    op.drop_table('groups')
