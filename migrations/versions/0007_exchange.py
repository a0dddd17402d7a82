"""exchange: the partner directory (with contact data, kind, base URL or local agency, certificates) and the outbox
move from outgoing_partner / outgoing_outbox to exchange_partner / exchange_outbox, rows kept

Revision ID: 0007_exchange
Revises: 0006_stored_verification

The new tables are created under their new names with every constraint named as the naming convention says,
the rows are copied with their ids, and the old tables are dropped. Renaming in place would keep the old
constraint names on PostgreSQL, and on SQLite a table that other rows refer to cannot be rebuilt (batch mode)
while foreign keys are enforced: the migration runs inside a transaction, where PRAGMA foreign_keys cannot be
turned off, and dropping the old table would cascade into the outbox. So the order below is chosen so that
no table is dropped while another refers to it: the outbox is copied without its foreign key to the
recipients, the recipients are re-pointed at the new partner table, then the outbox gets its key back.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_exchange'
down_revision = '0006_stored_verification'
branch_labels = None
depends_on = None

PARTNER_COLUMNS = "id, organ_id, name, email, active, agency_id, created_at, updated_at"
OUTBOX_COLUMNS = ("id, package_id, document_id, recipient_id, business_type, reason, paper, status, attempts, "
                  "created_at, agency_id")


def _outbox_table(name: str) -> None:
    op.create_table(name,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('business_type', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('paper', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f(f'fk_{name}_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f(f'fk_{name}_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    sa.UniqueConstraint('package_id', name=op.f(f'uq_{name}_package_id'))
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{name}_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{name}_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{name}_status'), ['status'], unique=False)


def _drop_outbox_table(name: str) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f'ix_{name}_status'))
        batch_op.drop_index(batch_op.f(f'ix_{name}_document_id'))
        batch_op.drop_index(batch_op.f(f'ix_{name}_agency_id'))
    op.drop_table(name)


def _outbox_recipient_key(name: str) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f(f'fk_{name}_recipient_id_outgoing_recipient'), 'outgoing_recipient',
                                    ['recipient_id'], ['id'], ondelete='CASCADE')


def _point_recipients_at(old: str, new: str) -> None:
    with op.batch_alter_table('outgoing_recipient', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'fk_outgoing_recipient_partner_id_{old}'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f(f'fk_outgoing_recipient_partner_id_{new}'), new,
                                    ['partner_id'], ['id'], ondelete='RESTRICT')


def _copy(source: str, target: str, columns: str) -> None:
    """Copy the rows of `columns` (ids included) from `source` to `target`."""
    op.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}")


def _restart_ids(table: str) -> None:
    # Rows were copied with their ids; PostgreSQL's sequence must continue after them. SQLite needs nothing.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                   f"FROM {table}")


def upgrade():
    op.create_table('exchange_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organ_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organization_in_charge', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=250), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('telephone', sa.String(length=20), nullable=False),
    sa.Column('fax', sa.String(length=20), nullable=False),
    sa.Column('website', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('target_agency_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('endpoint', 'local')", name=op.f('ck_exchange_partner_kind')),
    sa.CheckConstraint("(kind = 'local') = (target_agency_id IS NOT NULL)", name=op.f('ck_exchange_partner_kind_target')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_exchange_partner_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['target_agency_id'], ['agency.id'], name=op.f('fk_exchange_partner_target_agency_id_agency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_partner')),
    sa.UniqueConstraint('agency_id', 'organ_id', name='uq_exchange_partner_agency_organ')
    )
    with op.batch_alter_table('exchange_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_partner_agency_id'), ['agency_id'], unique=False)
    # The partners of outgoing were all other deployments' agencies, kept without an address yet.
    op.execute(f"INSERT INTO exchange_partner ({PARTNER_COLUMNS}, organization_in_charge, address, telephone, fax, "
               f"website, kind, base_url) SELECT {PARTNER_COLUMNS}, '', '', '', '', '', 'endpoint', '' "
               f"FROM outgoing_partner")
    _restart_ids('exchange_partner')

    op.create_table('exchange_partner_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['exchange_partner.id'], name=op.f('fk_exchange_partner_certificate_partner_id_exchange_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_partner_certificate')),
    sa.UniqueConstraint('partner_id', 'sha256', name='uq_exchange_partner_certificate_sha256')
    )
    with op.batch_alter_table('exchange_partner_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_partner_certificate_partner_id'), ['partner_id'], unique=False)

    _outbox_table('exchange_outbox')
    _copy('outgoing_outbox', 'exchange_outbox', OUTBOX_COLUMNS)
    _restart_ids('exchange_outbox')
    _drop_outbox_table('outgoing_outbox')
    _point_recipients_at('outgoing_partner', 'exchange_partner')
    _outbox_recipient_key('exchange_outbox')
    with op.batch_alter_table('outgoing_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_partner_agency_id'))
    op.drop_table('outgoing_partner')


def downgrade():
    op.create_table('outgoing_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organ_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_outgoing_partner_agency_id_agency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_partner')),
    sa.UniqueConstraint('agency_id', 'organ_id', name='uq_outgoing_partner_agency_organ')
    )
    with op.batch_alter_table('outgoing_partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_partner_agency_id'), ['agency_id'], unique=False)
    # Contact data, kinds and certificates have no place in the old table and are lost.
    _copy('exchange_partner', 'outgoing_partner', PARTNER_COLUMNS)
    _restart_ids('outgoing_partner')

    _outbox_table('outgoing_outbox')
    _copy('exchange_outbox', 'outgoing_outbox', OUTBOX_COLUMNS)
    _restart_ids('outgoing_outbox')
    _drop_outbox_table('exchange_outbox')
    _point_recipients_at('exchange_partner', 'outgoing_partner')
    _outbox_recipient_key('outgoing_outbox')
    with op.batch_alter_table('exchange_partner_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_partner_certificate_partner_id'))
    op.drop_table('exchange_partner_certificate')
    with op.batch_alter_table('exchange_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_partner_agency_id'))
    op.drop_table('exchange_partner')
