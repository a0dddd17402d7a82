"""incoming documents

Revision ID: 0004_incoming
Revises: 0003_files
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_incoming'
down_revision = '0003_files'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
