"""Exchange (liên thông văn bản): the partner directory, the partners' certificates and the outbox.

A partner is an agency an agency exchanges edXML packages with. It is either an endpoint (another deployment,
reached by HTTP POST at its base URL) or local (another agency of this deployment, reached through the same
pipeline without leaving the process). Each agency keeps its own directory.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.time import utcnow

# Partner kinds: another deployment (base URL) or an agency of this one (target agency).
ENDPOINT, LOCAL = "endpoint", "local"
PARTNER_KINDS = (ENDPOINT, LOCAL)

# edXML BussinessDocType.
NEW, RECALL, UPDATE, REPLACE = 0, 1, 2, 3

#: Room for an OrganId: 13 characters today (`000.00.00.G22`); QCVN leaves the length open, so no pattern is kept.
ORGAN_ID_LENGTH = 64


class ExchangePartner(AgencyOwnedMixin, TimestampMixin, Base):
    """An agency that this agency exchanges documents with, with the contact data of the edXML `From`/`To`."""

    __tablename__ = "exchange_partner"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "organ_id", name="uq_exchange_partner_agency_organ"),
        sa.CheckConstraint(sa.column("kind").in_(PARTNER_KINDS), name="kind"),
        # A local partner names the agency of this deployment it is; an endpoint never does.
        sa.CheckConstraint("(kind = 'local') = (target_agency_id IS NOT NULL)", name="kind_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: OrganId, the national identifier code (mã định danh).
    organ_id: Mapped[str] = mapped_column(sa.String(ORGAN_ID_LENGTH))
    #: OrganName (edXML: 200).
    name: Mapped[str] = mapped_column(sa.String(200))
    #: OrganizationInCharge: the superior body (cơ quan chủ quản).
    organization_in_charge: Mapped[str] = mapped_column(sa.String(200), default="")
    #: OrganAdd.
    address: Mapped[str] = mapped_column(sa.String(250), default="")
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    telephone: Mapped[str] = mapped_column(sa.String(20), default="")
    fax: Mapped[str] = mapped_column(sa.String(20), default="")
    website: Mapped[str] = mapped_column(sa.String(100), default="")
    #: endpoint (another deployment) or local (an agency of this deployment).
    kind: Mapped[str] = mapped_column(sa.String(10), default=ENDPOINT)
    #: Endpoint: the base URL of the partner's deployment (packages go to `<base>/exchange/v1/packages`);
    #: empty for a partner kept for paper and address data only (rows from before the exchange module).
    base_url: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Local: the agency of this deployment the partner is.
    target_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    #: An inactive partner stays in the history of what was sent, but nothing new goes to it.
    active: Mapped[bool] = mapped_column(default=True)

    target_agency = relationship("Agency", foreign_keys=[target_agency_id])
    certificates: Mapped[list[PartnerCertificate]] = relationship(
        back_populates="partner", order_by="PartnerCertificate.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<ExchangePartner {self.id} {self.organ_id} {self.kind}>"


class PartnerCertificate(Base):
    """A certificate (or CA certificate) that the partner's envelope signatures must use or chain to."""

    __tablename__ = "exchange_partner_certificate"
    __table_args__ = (sa.UniqueConstraint("partner_id", "sha256", name="uq_exchange_partner_certificate_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_partner.id", ondelete="CASCADE"), index=True)
    #: The certificate in PEM.
    pem: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of the DER, hex: identifies the certificate (no duplicates per partner).
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: Subject and end of validity, for the admin pages.
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[ExchangePartner] = relationship(back_populates="certificates")


# Outbox row kinds and delivery states.
DOCUMENT_PACKAGE, STATUS_PACKAGE = "document", "status"
#: pending (queued) → sent | retrying (back-off) → … → dead (dead letter, retried by an admin) | refused (the
#: receiver answered no: a business refusal, not retried; its status 02 says why).
PENDING, SENT, RETRYING, DEAD, REFUSED = "pending", "sent", "retrying", "dead", "refused"
OUTBOX_STATES = (PENDING, SENT, RETRYING, DEAD, REFUSED)


class OutboxPackage(AgencyOwnedMixin, Base):
    """A package for the exchange to deliver, written in the same transaction as the change that asks for it:
    a document package (an issued document, a recall, an update, a replacement) for one outgoing recipient, or a
    status package (01…16) answering a received document."""

    __tablename__ = "exchange_outbox"
    __table_args__ = (
        # Each status code is sent once per document and recipient (NULL codes, the document rows, never clash).
        sa.UniqueConstraint("agency_id", "partner_id", "document_identifier", "status_code",
                            name="uq_exchange_outbox_status_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable package id: a retried delivery carries the same id, so receiving stays idempotent.
    package_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: document or status.
    kind: Mapped[str] = mapped_column(sa.String(10), default=DOCUMENT_PACKAGE)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"),
                                                    index=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_recipient.id", ondelete="CASCADE"))
    #: The partner the package goes to (a document row takes it from its recipient at delivery).
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_partner.id", ondelete="RESTRICT"))
    #: The edXML DocumentId the package carries (document) or answers (status, ResponseFor/DocumentId).
    document_identifier: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    #: Status rows: the received document answered and the code with its description.
    incoming_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incoming_document.id", ondelete="SET NULL"))
    status_code: Mapped[str | None] = mapped_column(sa.String(2))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    #: edXML BussinessDocType: 0 new, 1 recall, 2 update, 3 replace.
    business_type: Mapped[int] = mapped_column(default=NEW)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Paper copy sent too (edXML Bussiness/Paper), which the e-document ratio reads.
    paper: Mapped[bool] = mapped_column(default=False)
    #: pending, sent, retrying, dead or refused (OUTBOX_STATES).
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: When the sweeper may queue it again: the back-off of a retrying row, the grace period of a pending one.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last failure or refusal, as the transport reported it (shown to admins).
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: The receiver's transport acknowledgement (done, duplicate) and when it came.
    ack: Mapped[str | None] = mapped_column(sa.String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recipient = relationship("OutgoingRecipient")
    partner = relationship(ExchangePartner)


class InboxPackage(AgencyOwnedMixin, Base):
    """A package this agency accepted, once per sender and package key: what makes receiving idempotent (the same
    document package twice makes one incoming document; the same status code twice is applied once)."""

    __tablename__ = "exchange_inbox"
    __table_args__ = (sa.UniqueConstraint("agency_id", "sender_organ_id", "package_key",
                                          name="uq_exchange_inbox_agency_sender_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: OrganId of the sending agency (From).
    sender_organ_id: Mapped[str] = mapped_column(sa.String(ORGAN_ID_LENGTH))
    #: The DocumentId, with the business type and reason digest for recall/update/replace, or
    #: `status:<code>:<DocumentId>` for a status package.
    package_key: Mapped[str] = mapped_column(sa.String(250))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_partner.id", ondelete="RESTRICT"))
    #: document or status.
    kind: Mapped[str] = mapped_column(sa.String(10))
    business_type: Mapped[int] = mapped_column(default=NEW)
    #: Document packages: the incoming document made from it.
    incoming_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incoming_document.id", ondelete="SET NULL"), index=True)
    #: Status packages: the code and the outgoing recipient it was applied to, with the time the receiver gave.
    status_code: Mapped[str | None] = mapped_column(sa.String(2))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_recipient.id", ondelete="SET NULL"))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeKey(AgencyOwnedMixin, Base):
    """The agency's exchange key: signs the envelopes its deployment sends at job time, when no clerk is there to
    give the seal's PIN. The private key is sealed with the instance's secret box; the self-signed certificate is
    what partners keep in their directory (a local partner's is found here)."""

    __tablename__ = "exchange_key"
    __table_args__ = (sa.UniqueConstraint("agency_id", name="uq_exchange_key_agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: PKCS#8 PEM of the RSA key, sealed with `core.secretbox`.
    sealed_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
