"""outgoing documents

Revision ID: 0005_outgoing
Revises: 0004_incoming
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_outgoing'
down_revision = '0004_incoming'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
