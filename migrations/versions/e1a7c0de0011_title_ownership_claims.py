"""title: ownership claims, confirmed titles, organisation aliases, registry-named organisations

Revision ID: e1a7c0de0011
Revises: baa88ee0a6d9
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.types


# revision identifiers, used by Alembic.
revision = 'e1a7c0de0011'
down_revision = 'baa88ee0a6d9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_confirmed', sa.Boolean(), server_default=sa.text('true'), nullable=False))
        batch_op.add_column(sa.Column('title_note', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.Text(), server_default='', nullable=False))
        batch_op.alter_column('uscc', existing_type=sa.String(length=18), nullable=True)
    op.create_table('ownership_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'rejected', 'withdrawn', name='claimstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('evidence_file_id', sa.Integer(), nullable=True),
    sa.Column('patentees', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', marketplace.types.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', marketplace.types.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['user.id'], name=op.f('fk_ownership_claim_claimed_by_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_ownership_claim_decided_by_id_user')),
    sa.ForeignKeyConstraint(['evidence_file_id'], ['stored_file.id'], name=op.f('fk_ownership_claim_evidence_file_id_stored_file')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_ownership_claim_org_id_organization')),
    sa.ForeignKeyConstraint(['patent_id'], ['patent.id'], name=op.f('fk_ownership_claim_patent_id_patent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_claim'))
    )
    with op.batch_alter_table('ownership_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_claim_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_claim_patent_id'), ['patent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_claim_status'), ['status'], unique=False)
        batch_op.create_index('uq_ownership_claim_pending', ['patent_id', 'org_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_table('ownership_claim')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.alter_column('uscc', existing_type=sa.String(length=18), nullable=False)
        batch_op.drop_column('aliases')
    with op.batch_alter_table('patent', schema=None) as batch_op:
        batch_op.drop_column('title_note')
        batch_op.drop_column('title_confirmed')
