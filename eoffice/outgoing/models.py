"""Outgoing documents (văn bản đi): drafts and their file versions, the approval steps, recipients with their
transmission mode and delivery status. The partner directory and the outbox are the exchange module's."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.time import utcnow
# Recipients refer to the exchange's partner directory, whose table must be in the metadata with theirs;
# BussinessDocType lives with the outbox that carries it and is re-exported for the outgoing services.
from eoffice.exchange.models import NEW, RECALL, REPLACE, UPDATE  # noqa: F401

# Document states, in the order of the flow; recalled and replaced are frozen end states.
DRAFT, IN_REVIEW, APPROVED, SIGNED, ISSUED, RECALLED, REPLACED = (
    "draft", "in_review", "approved", "signed", "issued", "recalled", "replaced")
STATUSES = (DRAFT, IN_REVIEW, APPROVED, SIGNED, ISSUED, RECALLED, REPLACED)

# Secrecy (độ mật); the empty string is an ordinary document.
SECRECY_LEVELS = ("", "mat", "toi_mat", "tuyet_mat")
# Urgency as edXML Priority: 0 normal, 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc, 4 Hỏa tốc hẹn giờ.
PRIORITIES = (0, 1, 2, 3, 4)

# Approval step kinds: who may act on a step of that kind (see services.can_act_on_step).
UNIT_HEAD, FORMAT_CHECK, LEADER_REVIEW, SIGNER = "unit_head", "format_check", "leader", "signer"
STEP_KINDS = (UNIT_HEAD, FORMAT_CHECK, LEADER_REVIEW, SIGNER)

# File roles: what the drafter uploads, and what the flow makes of it.
MAIN, APPENDIX, SIGNING_COPY, LEADER_SIGNED, ISSUED_FILE, APPENDIX_ISSUED = (
    "main", "appendix", "signing_copy", "leader_signed", "issued", "appendix_issued")
FILE_ROLES = (MAIN, APPENDIX, SIGNING_COPY, LEADER_SIGNED, ISSUED_FILE, APPENDIX_ISSUED)

# Recipient kinds and transmission modes (Phụ lục VI; edXML Bussiness/Paper).
UNIT_RECIPIENT, AGENCY_RECIPIENT, PARTNER_RECIPIENT, PLACE_RECIPIENT = "unit", "agency", "partner", "place"
RECIPIENT_KINDS = (UNIT_RECIPIENT, AGENCY_RECIPIENT, PARTNER_RECIPIENT, PLACE_RECIPIENT)
ELECTRONIC, ELECTRONIC_PAPER, PAPER = "electronic", "electronic_paper", "paper"
MODES = (ELECTRONIC, ELECTRONIC_PAPER, PAPER)
# Delivery status of one recipient.
PENDING, QUEUED, DELIVERED, PAPER_SENT, FAILED, RECALLED_STATUS = (
    "pending", "queued", "delivered", "paper_sent", "failed", "recalled")


class ApprovalStepDefinition(AgencyOwnedMixin, TimestampMixin, Base):
    """One step of the approval chain an agency configures, for one document type or (type empty) for all.

    Steps run in `position` order; steps sharing a position run in parallel, and the next position starts when
    every step of the current one has its `required_approvals`.
    """

    __tablename__ = "outgoing_step_definition"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(STEP_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The document type the chain applies to; None for the agency's default chain.
    document_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_type.id", ondelete="CASCADE"),
                                                         index=True)
    position: Mapped[int] = mapped_column(default=1)
    #: unit_head (a leader of the drafting unit), format_check (a clerk), leader (any leader), signer.
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: n of an n-of-m step: how many eligible people must approve.
    required_approvals: Mapped[int] = mapped_column(default=1)


class OutgoingDocument(AgencyOwnedMixin, TimestampMixin, Base):
    """An outgoing document from its first draft to its delivery; the fields follow Phụ lục VI Part II §I."""

    __tablename__ = "outgoing_document"
    __table_args__ = (sa.CheckConstraint(sa.column("status").in_(STATUSES), name="status"),
                      sa.UniqueConstraint("agency_id", "book_id", "year", "number",
                                          name="uq_outgoing_document_book_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT, index=True)
    document_type_id: Mapped[int] = mapped_column(sa.ForeignKey("document_type.id", ondelete="RESTRICT"))
    #: Trích yếu (edXML Subject: 500).
    subject: Mapped[str] = mapped_column(sa.String(500))
    #: The competent signer and, as printed in the signature block, position (100) and full name (50).
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    signer_position: Mapped[str] = mapped_column(sa.String(100), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(100), default="")
    drafting_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    drafter_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: Free-text places that receive paper copies ("Như Điều 3", "Lưu: VT"), edXML ToPlaces.
    places: Mapped[str] = mapped_column(sa.Text, default="")
    #: Hạn trả lời văn bản (DueDate).
    due_date: Mapped[date | None]
    #: edXML Priority: 0 normal … 4 Hỏa tốc hẹn giờ.
    priority: Mapped[int] = mapped_column(default=0)
    #: "", mat, toi_mat, tuyet_mat; a secret document never goes through electronic exchange.
    secrecy: Mapped[str] = mapped_column(sa.String(10), default="")
    page_amount: Mapped[int | None]
    #: Số lượng bản phát hành (IssuedAmount).
    issued_amount: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(sa.String(30), default="vi")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Bumped by every change of content or data, so an approval names what it approved.
    revision: Mapped[int] = mapped_column(default=1)
    #: Position of the approval steps now waiting; None outside review.
    current_position: Mapped[int | None]
    #: Set at issuing: the book, the year and number it gave, the composed symbol and the issue date.
    book_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registry_book.id", ondelete="RESTRICT"))
    year: Mapped[int | None]
    number: Mapped[int | None]
    #: Number and symbol, e.g. `15/QĐ-UBND` (CodeNumber/CodeNotation together: 11 + 30).
    symbol: Mapped[str | None] = mapped_column(sa.String(50), index=True)
    issued_date: Mapped[date | None] = mapped_column(index=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the document was recalled, updated or replaced, and by which document.
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="SET NULL"))

    agency = relationship("Agency")
    document_type = relationship("DocumentType")
    signer = relationship("User", foreign_keys=[signer_id])
    drafter = relationship("User", foreign_keys=[drafter_id])
    drafting_unit = relationship("Unit")
    book = relationship("RegistryBook")
    files: Mapped[list[OutgoingFile]] = relationship(back_populates="document", order_by="OutgoingFile.id",
                                                     cascade="all, delete-orphan")
    steps: Mapped[list[OutgoingStep]] = relationship(back_populates="document",
                                                     order_by="(OutgoingStep.position, OutgoingStep.id)",
                                                     cascade="all, delete-orphan")
    events: Mapped[list[OutgoingEvent]] = relationship(back_populates="document", order_by="OutgoingEvent.id",
                                                       cascade="all, delete-orphan")
    recipients: Mapped[list[OutgoingRecipient]] = relationship(back_populates="document",
                                                               order_by="OutgoingRecipient.id",
                                                               cascade="all, delete-orphan")

    @property
    def is_secret(self) -> bool:
        return bool(self.secrecy)

    def current_file(self, role: str, position: int = 0) -> OutgoingFile | None:
        """The newest version of the file of `role` (and appendix `position`)."""
        found = [f for f in self.files if f.role == role and f.position == position]
        return max(found, key=lambda f: f.version) if found else None

    def appendix_positions(self) -> list[int]:
        return sorted({f.position for f in self.files if f.role == APPENDIX})

    def __repr__(self) -> str:
        return f"<OutgoingDocument {self.id} {self.status}>"


class OutgoingFile(Base):
    """One version of one file of a document; uploads and every signature add versions, nothing is replaced."""

    __tablename__ = "outgoing_file"
    __table_args__ = (sa.CheckConstraint(sa.column("role").in_(FILE_ROLES), name="role"),
                      sa.UniqueConstraint("document_id", "role", "position", "version",
                                          name="uq_outgoing_file_document_role_position_version"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"), index=True)
    #: main, appendix, signing_copy, leader_signed, issued, appendix_issued.
    role: Mapped[str] = mapped_column(sa.String(20))
    #: 0 for the main document; 1, 2, … for appendices.
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"))
    #: The DOCX the PDF was converted from, kept with it.
    source_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="files")
    stored_file = relationship("StoredFile", foreign_keys=[stored_file_id])
    source_file = relationship("StoredFile", foreign_keys=[source_file_id])
    created_by = relationship("User")


class OutgoingStep(Base):
    """A document's own copy of an approval step, taken when it is submitted, so that changing the agency's
    configuration never changes a review under way."""

    __tablename__ = "outgoing_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    required_approvals: Mapped[int] = mapped_column(default=1)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[OutgoingDocument] = relationship(back_populates="steps")


class OutgoingEvent(Base):
    """The handling history: submissions, approvals, returns with comments, changes, signing, issuing, recall."""

    __tablename__ = "outgoing_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_step.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: create, change, upload, submit, approve, return, sign, issue, recall, update, replace.
    action: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: The document revision acted on.
    revision: Mapped[int] = mapped_column(default=1)
    #: An approval stops counting when the draft changes after it or is returned.
    valid: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="events")
    step: Mapped[OutgoingStep | None] = relationship()
    actor = relationship("User")


class OutgoingRecipient(Base):
    """One recipient (nơi nhận) with its transmission mode and delivery status."""

    __tablename__ = "outgoing_recipient"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(RECIPIENT_KINDS), name="kind"),
                      sa.CheckConstraint(sa.column("mode").in_(MODES), name="mode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_document.id", ondelete="CASCADE"), index=True)
    #: unit (of the same agency), agency (of this deployment), partner (directory), place (free text).
    kind: Mapped[str] = mapped_column(sa.String(10))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"))
    target_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_partner.id", ondelete="RESTRICT"))
    #: OrganName and OrganId as sent (copied, so later renames do not rewrite history).
    name: Mapped[str] = mapped_column(sa.String(200))
    organ_id: Mapped[str] = mapped_column(sa.String(64), default="")
    #: electronic, electronic_paper, paper.
    mode: Mapped[str] = mapped_column(sa.String(20), default=ELECTRONIC)
    #: pending, queued (in the exchange outbox), delivered, paper_sent, failed, recalled.
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    #: Last edXML status code reported back (01 arrived … 16), filled by the exchange module.
    exchange_status: Mapped[str] = mapped_column(sa.String(2), default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    document: Mapped[OutgoingDocument] = relationship(back_populates="recipients")

    @property
    def electronic(self) -> bool:
        return self.mode in (ELECTRONIC, ELECTRONIC_PAPER)
