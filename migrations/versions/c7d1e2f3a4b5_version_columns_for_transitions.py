"""version columns: the compare-and-set every transition claims its subject with

Revision ID: c7d1e2f3a4b5
Revises: e1a7c0de0011
Create Date: 2026-12-02 05:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d1e2f3a4b5'
down_revision = 'e1a7c0de0011'
branch_labels = None
depends_on = None

TABLES = ('deal', 'pledge_review', 'insurance_policy', 'listing')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
