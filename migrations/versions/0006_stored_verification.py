"""stored verification reports: one per (file hash, trust set, policy version)

Revision ID: 0006_stored_verification
Revises: 0005_outgoing
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_stored_verification'
down_revision = '0005_outgoing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('trust_key', sa.String(length=64), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_verification')),
    sa.UniqueConstraint('file_sha256', 'trust_key', 'policy_version', name='uq_stored_verification_file_trust_policy')
    )
    with op.batch_alter_table('stored_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_verification_file_sha256'), ['file_sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('stored_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_verification_file_sha256'))
    op.drop_table('stored_verification')
