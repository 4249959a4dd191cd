"""search thesaurus: synonym groups and their topics

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('synonym_groups',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('synonym_group_topics',
    sa.Column('group_id', sa.String(length=80), nullable=False),
    sa.Column('topic_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['synonym_groups.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'topic_id')
    )


def downgrade() -> None:
    op.drop_table('synonym_group_topics')
    op.drop_table('synonym_groups')
