"""exchange delivery: the outbox carries status packages too and the delivery state (attempts, back-off, dead
letter, acknowledgement); the inbox that makes receiving idempotent; each agency's exchange key

Revision ID: 0008_exchange_delivery
Revises: 0007_exchange

Existing outbox rows are document packages (kind `document`). Down, the status rows are deleted first: a
document and recipient are required again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_exchange_delivery'
down_revision = '0007_exchange'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_exchange_key_agency_id_agency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_key')),
    sa.UniqueConstraint('agency_id', name='uq_exchange_key_agency_id')
    )
    with op.batch_alter_table('exchange_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_key_agency_id'), ['agency_id'], unique=False)

    op.create_table('exchange_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_organ_id', sa.String(length=64), nullable=False),
    sa.Column('package_key', sa.String(length=250), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('business_type', sa.Integer(), nullable=False),
    sa.Column('incoming_document_id', sa.Integer(), nullable=True),
    sa.Column('status_code', sa.String(length=2), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_exchange_inbox_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['incoming_document_id'], ['incoming_document.id'], name=op.f('fk_exchange_inbox_incoming_document_id_incoming_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['exchange_partner.id'], name=op.f('fk_exchange_inbox_partner_id_exchange_partner'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recipient_id'], ['outgoing_recipient.id'], name=op.f('fk_exchange_inbox_recipient_id_outgoing_recipient'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_inbox')),
    sa.UniqueConstraint('agency_id', 'sender_organ_id', 'package_key', name='uq_exchange_inbox_agency_sender_key')
    )
    with op.batch_alter_table('exchange_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_inbox_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_inbox_incoming_document_id'), ['incoming_document_id'], unique=False)

    with op.batch_alter_table('exchange_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='document'))
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('document_identifier', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('incoming_document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status_code', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('description', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ack', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('document_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('recipient_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_exchange_outbox_document_identifier'), ['document_identifier'], unique=False)
        batch_op.create_unique_constraint('uq_exchange_outbox_status_once', ['agency_id', 'partner_id', 'document_identifier', 'status_code'])
        batch_op.create_foreign_key(batch_op.f('fk_exchange_outbox_incoming_document_id_incoming_document'), 'incoming_document', ['incoming_document_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_exchange_outbox_partner_id_exchange_partner'), 'exchange_partner', ['partner_id'], ['id'], ondelete='RESTRICT')
    # The defaults were for the rows already there; the models give every new row its values.
    with op.batch_alter_table('exchange_outbox', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('description', server_default=None)


def downgrade():
    op.execute("DELETE FROM exchange_outbox WHERE kind <> 'document'")
    with op.batch_alter_table('exchange_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_exchange_outbox_partner_id_exchange_partner'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_exchange_outbox_incoming_document_id_incoming_document'), type_='foreignkey')
        batch_op.drop_constraint('uq_exchange_outbox_status_once', type_='unique')
        batch_op.drop_index(batch_op.f('ix_exchange_outbox_document_identifier'))
        batch_op.alter_column('recipient_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('document_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('sent_at')
        batch_op.drop_column('ack')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('description')
        batch_op.drop_column('status_code')
        batch_op.drop_column('incoming_document_id')
        batch_op.drop_column('document_identifier')
        batch_op.drop_column('partner_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('exchange_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_inbox_incoming_document_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_inbox_agency_id'))

    op.drop_table('exchange_inbox')
    with op.batch_alter_table('exchange_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_key_agency_id'))

    op.drop_table('exchange_key')
