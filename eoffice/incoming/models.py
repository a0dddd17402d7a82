"""Incoming documents (văn bản đến), their files, the direction and the assignments that follow it, the handling
history (TraceHeaderList), deadline-extension requests and the in-app notifications of deadlines.

The columns of `IncomingDocument` are the incoming input fields of Decree 30, Phụ lục VI Part II.II; the edXML tag
of each is named in its comment.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.time import utcnow

# Document states: received (waiting for the clerk) → registered (waiting for a leader) → directed → completed;
# received or registered → returned (sent back to the sender with a reason); any state → recalled (on the issuer's
# recall order: the content is removed, the metadata and the history stay).
RECEIVED, REGISTERED, DIRECTED, COMPLETED, RETURNED = "received", "registered", "directed", "completed", "returned"
RECALLED = "recalled"
DOCUMENT_STATES = (RECEIVED, REGISTERED, DIRECTED, COMPLETED, RETURNED, RECALLED)
STATE_LABELS = {RECEIVED: _l("Received"), REGISTERED: _l("Registered"), DIRECTED: _l("Directed"),
                COMPLETED: _l("Completed"), RETURNED: _l("Returned"), RECALLED: _l("Recalled")}

# Urgency as edXML Priority (0 normal … 3 Hỏa tốc): a larger number sorts first.
URGENCY_LABELS = {0: _l("Normal"), 1: _l("Urgent"), 2: _l("Very urgent"), 3: _l("Express")}
# Secrecy (độ mật): 0 is not secret; 1–3 are Mật, Tối mật, Tuyệt mật.
SECRECY_LABELS = {0: _l("Normal"), 1: _l("Secret"), 2: _l("Top secret"), 3: _l("Absolutely secret")}

# Assignment roles: lead (chủ trì), co-handling (phối hợp), for information (để biết).
LEAD, CO, INFO = "lead", "co", "info"
ASSIGNMENT_ROLES = (LEAD, CO, INFO)
ROLE_LABELS = {LEAD: _l("Lead"), CO: _l("Co-handling"), INFO: _l("For information")}
# Assignment states; "overdue" is not stored: it is an open assignment whose deadline has passed.
NEW, READ, IN_PROGRESS, DONE = "new", "read", "in_progress", "done"
ASSIGNMENT_STATES = (NEW, READ, IN_PROGRESS, DONE)
OVERDUE = "overdue"
ASSIGNMENT_STATE_LABELS = {NEW: _l("New"), READ: _l("Read"), IN_PROGRESS: _l("In progress"), DONE: _l("Done"),
                           OVERDUE: _l("Overdue")}

# File kinds: the document itself, its attachments, and result files added by handlers.
MAIN, ATTACHMENT, RESULT = "main", "attachment", "result"
# Extension request states.
PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
# Notification kinds.
NEAR_DUE = "near_due"


class IncomingDocument(AgencyOwnedMixin, TimestampMixin, Base):
    """One incoming document of an agency, from its receipt to its completion."""

    __tablename__ = "incoming_document"
    __table_args__ = (
        sa.CheckConstraint(sa.column("state").in_(DOCUMENT_STATES), name="state"),
        sa.CheckConstraint("urgency BETWEEN 0 AND 3", name="urgency"),
        sa.CheckConstraint("secrecy BETWEEN 0 AND 3", name="secrecy"),
        sa.UniqueConstraint("book_id", "arrival_year", "arrival_number",
                            name="uq_incoming_document_book_year_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: received, registered, directed, completed or returned.
    state: Mapped[str] = mapped_column(sa.String(20), default=RECEIVED, index=True)
    #: The sender's document identifier (edXML DocumentId `OrganId,yyyy/MM/dd,Number/Notation`), when known.
    document_identifier: Mapped[str] = mapped_column(sa.String(100), default="", index=True)
    #: OrganId of the issuing agency (13 characters today; room for longer codes).
    issuer_code: Mapped[str] = mapped_column(sa.String(64), default="")
    #: OrganName of the issuing agency (Tác giả in the register).
    issuer_name: Mapped[str] = mapped_column(sa.String(200))
    #: CodeNumber, the number as printed (may carry a leading zero).
    code_number: Mapped[str] = mapped_column(sa.String(11), default="")
    #: CodeNotation, the symbol, e.g. `QĐ-UBND`.
    code_notation: Mapped[str] = mapped_column(sa.String(30), default="")
    #: IssuedDate.
    issued_date: Mapped[date | None] = mapped_column(sa.Date)
    document_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_type.id", ondelete="RESTRICT"))
    #: TypeName as received (kept even when it matches no catalogue type, e.g. from another country's sender).
    type_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Subject (trích yếu).
    subject: Mapped[str] = mapped_column(sa.String(500))
    #: SignerInfo: Position and FullName.
    signer_position: Mapped[str] = mapped_column(sa.String(100), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(50), default="")
    #: PageAmount.
    page_amount: Mapped[int | None]
    #: Language.
    language: Mapped[str] = mapped_column(sa.String(30), default="vi")
    #: Urgency, edXML Priority 0–3 (Thường, Khẩn, Thượng khẩn, Hỏa tốc).
    urgency: Mapped[int] = mapped_column(sa.SmallInteger, default=0, index=True)
    #: Secrecy 0–3 (Thường, Mật, Tối mật, Tuyệt mật).
    secrecy: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    #: DueDate: the answer or handling deadline the sender set.
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    #: ToPlaces: the units or people the sender addressed.
    to_places: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: Description (ghi chú).
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    #: FileNotation of the work record (hồ sơ) the document is filed in; printed on the "ĐẾN" stamp.
    file_code: Mapped[str] = mapped_column(sa.String(20), default="")
    #: ArrivalDate.
    arrival_date: Mapped[date | None] = mapped_column(sa.Date)
    #: How it came: `upload` (scan or file brought by the clerk) or `internal` (issued by a unit of the agency).
    source: Mapped[str] = mapped_column(sa.String(20), default="upload")
    #: Received as an electronic document (signed PDF), as opposed to a scan of paper.
    electronic: Mapped[bool] = mapped_column(default=False)
    #: The verification report of the main PDF (JSON of VerificationReport.to_dict()).
    verification: Mapped[str | None] = mapped_column(sa.Text)
    #: Whether every signature of the main PDF was valid at intake; None when the file is not signed.
    signature_valid: Mapped[bool | None]
    #: Why the clerk registered it although duplicates were found.
    duplicate_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: ArrivalNumber: book, year and number given at registration.
    book_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registry_book.id", ondelete="RESTRICT"), index=True)
    arrival_year: Mapped[int | None]
    arrival_number: Mapped[int | None]
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The leader the clerk presented it to (mandatory for secret documents); None means any leader.
    presented_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The leader who directed it, the opinion and when.
    directed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    direction_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    directed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    agency = relationship("Agency")
    document_type = relationship("DocumentType")
    book = relationship("RegistryBook")
    directed_by = relationship("User", foreign_keys=[directed_by_id])
    presented_to = relationship("User", foreign_keys=[presented_to_id])
    files: Mapped[list[IncomingFile]] = relationship(back_populates="document", order_by="IncomingFile.id",
                                                     cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="document", order_by="Assignment.id",
                                                         cascade="all, delete-orphan")
    trace: Mapped[list[TraceEntry]] = relationship(back_populates="document", order_by="TraceEntry.id",
                                                   cascade="all, delete-orphan")

    @property
    def secret(self) -> bool:
        return self.secrecy > 0

    @property
    def number_symbol(self) -> str:
        """`15/QĐ-UBND` as received."""
        return "/".join(part for part in (self.code_number, self.code_notation) if part)

    @property
    def arrival_number_text(self) -> str:
        return f"{self.arrival_number:02d}" if self.arrival_number else ""

    @property
    def verification_data(self) -> dict | None:
        return json.loads(self.verification) if self.verification else None

    def __repr__(self) -> str:
        return f"<IncomingDocument {self.id} {self.state}>"


class IncomingFile(Base):
    """A file of an incoming document: the document, an attachment, or a handler's result file."""

    __tablename__ = "incoming_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_document.id", ondelete="CASCADE"), index=True)
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"))
    #: main, attachment or result.
    kind: Mapped[str] = mapped_column(sa.String(20), default=MAIN)
    #: For result files: the assignment whose work they are.
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_assignment.id", ondelete="SET NULL"))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[IncomingDocument] = relationship(back_populates="files")
    stored = relationship("StoredFile")


class Assignment(AgencyOwnedMixin, Base):
    """One unit's or one person's share of the work on a document, given by the directing leader or handed down
    (re-assigned) by the holder of a parent assignment."""

    __tablename__ = "incoming_assignment"
    __table_args__ = (
        sa.CheckConstraint(sa.column("role").in_(ASSIGNMENT_ROLES), name="role"),
        sa.CheckConstraint(sa.column("state").in_(ASSIGNMENT_STATES), name="state"),
        # Exactly one of unit and user.
        sa.CheckConstraint("(unit_id IS NULL) <> (user_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_document.id", ondelete="CASCADE"), index=True)
    #: The assignment this one was handed down from; None for the leader's direction.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_assignment.id", ondelete="CASCADE"),
                                                  index=True)
    #: lead, co or info.
    role: Mapped[str] = mapped_column(sa.String(10))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: The handling deadline (thời hạn giải quyết) of this assignee.
    deadline: Mapped[date | None] = mapped_column(sa.Date, index=True)
    #: new, read, in_progress or done.
    state: Mapped[str] = mapped_column(sa.String(20), default=NEW)
    #: What the giver asked of this assignee.
    note: Mapped[str] = mapped_column(sa.Text, default="")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[IncomingDocument] = relationship(back_populates="assignments")
    parent: Mapped[Assignment | None] = relationship(remote_side=[id])
    unit = relationship("Unit")
    user = relationship("User", foreign_keys=[user_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])

    @property
    def target_name(self) -> str:
        return self.unit.name if self.unit_id else self.user.full_name

    def is_overdue(self, today: date) -> bool:
        return self.state != DONE and self.deadline is not None and self.deadline < today

    def display_state(self, today: date) -> str:
        return OVERDUE if self.is_overdue(today) else self.state


class TraceEntry(Base):
    """One row of the handling history (TraceHeaderList): who did what, when, with what opinion."""

    __tablename__ = "incoming_trace"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_document.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: What happened, e.g. `register`, `direct`, `reassign`, `comment`, `complete`.
    action: Mapped[str] = mapped_column(sa.String(30))
    #: The opinion, comment or reason given with it.
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: JSON details (targets, deadlines, numbers).
    data: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[IncomingDocument] = relationship(back_populates="trace")
    actor = relationship("User")

    @property
    def details(self) -> dict:
        return json.loads(self.data or "{}")


class ExtensionRequest(Base):
    """A handler's request for a later deadline, decided by the leader who directed the document."""

    __tablename__ = "incoming_extension"
    __table_args__ = (sa.CheckConstraint(sa.column("state").in_((PENDING, APPROVED, REFUSED)), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_assignment.id", ondelete="CASCADE"),
                                               index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    requested_deadline: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: pending, approved or refused.
    state: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    requested_by = relationship("User", foreign_keys=[requested_by_id])


class Notification(AgencyOwnedMixin, Base):
    """An in-app notice to one user about one assignment: near its deadline, or past it. Given once per
    assignment, user and kind (the unique constraint makes a repeated reminder run harmless)."""

    __tablename__ = "incoming_notification"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "user_id", "kind",
                                          name="uq_incoming_notification_assignment_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_document.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_assignment.id", ondelete="CASCADE"))
    #: near_due or overdue.
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: The deadline the notice is about.
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[IncomingDocument] = relationship()


#: How each history action reads on the document page.
TRACE_LABELS = {"receive": _l("Received"), "register": _l("Registered"), "return": _l("Returned to the sender"),
                "direct": _l("Directed"), "reassign": _l("Handed down"), "forward": _l("Forwarded for information"),
                "comment": _l("Commented"), "read": _l("Read"), "extension_request": _l("Asked for more time"),
                "extension_approve": _l("Approved more time"), "extension_refuse": _l("Refused more time"),
                "complete": _l("Completed"), "recall": _l("Recalled by its issuer")}
