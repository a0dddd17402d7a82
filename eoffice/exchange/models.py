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


class OutboxPackage(AgencyOwnedMixin, Base):
    """A package for the exchange to deliver, written in the same transaction as the change that asks for it."""

    __tablename__ = "exchange_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable package id: a retried delivery carries the same id, so receiving stays idempotent.
    package_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_recipient.id", ondelete="CASCADE"))
    #: edXML BussinessDocType: 0 new, 1 recall, 2 update, 3 replace.
    business_type: Mapped[int] = mapped_column(default=NEW)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Paper copy sent too (edXML Bussiness/Paper), which the e-document ratio reads.
    paper: Mapped[bool] = mapped_column(default=False)
    #: pending until the exchange module delivers it.
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recipient = relationship("OutgoingRecipient")
