"""outgoing documents: partners, approval step definitions, documents, file versions, review steps and history,
recipients, exchange outbox

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

    op.create_table('outgoing_step_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_type_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('required_approvals', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('unit_head', 'format_check', 'leader', 'signer')", name=op.f('ck_outgoing_step_definition_kind')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_outgoing_step_definition_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_type_id'], ['document_type.id'], name=op.f('fk_outgoing_step_definition_document_type_id_document_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_step_definition'))
    )
    with op.batch_alter_table('outgoing_step_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_step_definition_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_step_definition_document_type_id'), ['document_type_id'], unique=False)

    op.create_table('outgoing_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('document_type_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_position', sa.String(length=100), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('drafting_unit_id', sa.Integer(), nullable=False),
    sa.Column('drafter_id', sa.Integer(), nullable=False),
    sa.Column('places', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('secrecy', sa.String(length=10), nullable=False),
    sa.Column('page_amount', sa.Integer(), nullable=True),
    sa.Column('issued_amount', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=30), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('current_position', sa.Integer(), nullable=True),
    sa.Column('book_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('symbol', sa.String(length=50), nullable=True),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sa.String(length=500), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'in_review', 'approved', 'signed', 'issued', 'recalled', 'replaced')", name=op.f('ck_outgoing_document_status')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_outgoing_document_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['book_id'], ['registry_book.id'], name=op.f('fk_outgoing_document_book_id_registry_book'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_type_id'], ['document_type.id'], name=op.f('fk_outgoing_document_document_type_id_document_type'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['drafter_id'], ['user.id'], name=op.f('fk_outgoing_document_drafter_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['drafting_unit_id'], ['unit.id'], name=op.f('fk_outgoing_document_drafting_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_outgoing_document_issued_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_document_replaced_by_id_outgoing_document'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signer_id'], ['user.id'], name=op.f('fk_outgoing_document_signer_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_document')),
    sa.UniqueConstraint('agency_id', 'book_id', 'year', 'number', name='uq_outgoing_document_book_number')
    )
    with op.batch_alter_table('outgoing_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_document_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_drafter_id'), ['drafter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_drafting_unit_id'), ['drafting_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_issued_date'), ['issued_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_signer_id'), ['signer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_document_symbol'), ['symbol'], unique=False)

    op.create_table('outgoing_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('main', 'appendix', 'signing_copy', 'leader_signed', 'issued', 'appendix_issued')", name=op.f('ck_outgoing_file_role')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_outgoing_file_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_file_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_file_id'], ['stored_file.id'], name=op.f('fk_outgoing_file_source_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_outgoing_file_stored_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_file')),
    sa.UniqueConstraint('document_id', 'role', 'position', 'version', name='uq_outgoing_file_document_role_position_version')
    )
    with op.batch_alter_table('outgoing_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_file_document_id'), ['document_id'], unique=False)

    op.create_table('outgoing_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('target_agency_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organ_id', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('exchange_status', sa.String(length=2), nullable=False),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.CheckConstraint("kind IN ('unit', 'agency', 'partner', 'place')", name=op.f('ck_outgoing_recipient_kind')),
    sa.CheckConstraint("mode IN ('electronic', 'electronic_paper', 'paper')", name=op.f('ck_outgoing_recipient_mode')),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_recipient_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['outgoing_partner.id'], name=op.f('fk_outgoing_recipient_partner_id_outgoing_partner'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['target_agency_id'], ['agency.id'], name=op.f('fk_outgoing_recipient_target_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_outgoing_recipient_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_recipient'))
    )
    with op.batch_alter_table('outgoing_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_recipient_document_id'), ['document_id'], unique=False)

    op.create_table('outgoing_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('required_approvals', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_step_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_step'))
    )
    with op.batch_alter_table('outgoing_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_step_document_id'), ['document_id'], unique=False)

    op.create_table('outgoing_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_outgoing_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_event_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['outgoing_step.id'], name=op.f('fk_outgoing_event_step_id_outgoing_step'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_event'))
    )
    with op.batch_alter_table('outgoing_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_event_document_id'), ['document_id'], unique=False)

    op.create_table('outgoing_outbox',
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
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_outgoing_outbox_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_outgoing_outbox_document_id_outgoing_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['outgoing_recipient.id'], name=op.f('fk_outgoing_outbox_recipient_id_outgoing_recipient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_outbox')),
    sa.UniqueConstraint('package_id', name=op.f('uq_outgoing_outbox_package_id'))
    )
    with op.batch_alter_table('outgoing_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_outbox_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_outbox_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_outbox_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('outgoing_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_outgoing_outbox_document_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_outbox_agency_id'))

    op.drop_table('outgoing_outbox')
    with op.batch_alter_table('outgoing_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_event_document_id'))

    op.drop_table('outgoing_event')
    with op.batch_alter_table('outgoing_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_step_document_id'))

    op.drop_table('outgoing_step')
    with op.batch_alter_table('outgoing_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_recipient_document_id'))

    op.drop_table('outgoing_recipient')
    with op.batch_alter_table('outgoing_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_file_document_id'))

    op.drop_table('outgoing_file')
    with op.batch_alter_table('outgoing_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_document_symbol'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_status'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_signer_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_issued_date'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_drafting_unit_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_drafter_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_document_agency_id'))

    op.drop_table('outgoing_document')
    with op.batch_alter_table('outgoing_step_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_step_definition_document_type_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_step_definition_agency_id'))

    op.drop_table('outgoing_step_definition')
    with op.batch_alter_table('outgoing_partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_partner_agency_id'))

    op.drop_table('outgoing_partner')
