"""example questions: staff-written citizen questions per statement, service and law

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('statements', 'services', 'laws')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('questions', sa.Text(), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('questions')
