"""Receiving a package, from the HTTP endpoint or from the local transport (the same pipeline, by named steps):

1. read: size limit and the hardened parser (nothing stored for a package that cannot be read);
2. sender: the agency of this deployment it is addressed to, and the sender in that agency's directory (an
   unknown sender is refused, with no status back: there is nobody known to tell);
3. envelope: the XMLDSig signature checked against the sender's certificates; only the signed content is read on;
4. rules: the edXML validation; the attachments must decode, and each is a PDF (the signature's digest covers
   every attachment, so an altered one fails step 3);
5. once: a package already accepted (same sender and package key) is acknowledged again and nothing more happens;
6. PDF: the signatures verified by the signing module with no write transaction open, and refused unless valid;
7. intake: the incoming module's `create_incoming` (the same steps as manual intake) makes a document waiting to
   be registered (chờ tiếp nhận) with every header field; the inbox row; status 01 back at once.

A refusal after step 2 queues status 02 with the reason and is answered 422 (`PackageRefused`), its 02 kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from flask import current_app
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eoffice.accounts.models import Agency
from eoffice.core.db import end_transaction_for_slow_work, in_write_transaction
from eoffice.core.errors import AppError, ValidationFailed
from eoffice.core.time import VN_TZ, utcnow
from eoffice.exchange import services
from eoffice.exchange.edxml import EdxmlError, StatusPackage, parse_package, validate_package
from eoffice.exchange.edxml.model import parse_date, parse_timestamp
from eoffice.exchange.models import (
    DOCUMENT_PACKAGE, NEW, RECALL, STATUS_PACKAGE, ExchangePartner, InboxPackage, OutboxPackage,
)
from eoffice.exchange.outbox import queue_status
from eoffice.exchange.packages import package_key
from eoffice.extensions import db

SOURCE = "exchange"


class PackageRefused(AppError):
    """The package is refused; `code` says why. Changes are kept: the status 02 queued for a known sender."""

    status, code = 422, "package_refused"

    def __init__(self, message: str, *, code: str, details: dict | None = None, status: int | None = None):
        super().__init__(message, code=code, details={"ack": "fail", **(details or {})}, keep_changes=True)
        if status:
            self.status = status


@dataclass(frozen=True)
class Received:
    """What receiving did: the kind of package, whether it was a duplicate, the row it made or found."""

    kind: str
    duplicate: bool
    agency_id: int
    incoming_document_id: int | None = None
    recipient_id: int | None = None


def receive_package(data: bytes) -> Received:
    """Receive one edXML package (bytes as they came); PackageRefused when it is not accepted."""
    try:
        claimed = parse_package(data, max_bytes=current_app.config["EXCHANGE_MAX_PACKAGE_BYTES"])
    except EdxmlError as exc:
        status = 413 if exc.problem.code == "too_large" else 400
        # Nothing is known or stored about bytes that are not a package: no status goes anywhere.
        raise PackageRefused(str(exc), code=exc.problem.code, status=status) from None
    if isinstance(claimed, StatusPackage):
        return _receive_status(data, claimed)
    return _receive_document(data, claimed)


def _refuse(message: str, code: str, *, agency=None, partner=None, document_identifier=None,
            details: dict | None = None):
    if agency is not None and partner is not None and document_identifier:
        _begin_writing()
        queue_status(agency, partner, document_identifier[:100], "02", description=f"{code}: {message}"[:500])
    raise PackageRefused(message, code=code, details=details)


def _begin_writing() -> None:
    # The endpoint begins without SQLite's write lock (reads_before_writing) so that parsing and checking the
    # envelope hold none; the writes that follow need a transaction that takes it at BEGIN, or a concurrent
    # writer makes them fail at once ("database is locked") instead of waiting.
    if not in_write_transaction(db.session()):
        end_transaction_for_slow_work(db.session)


def _agency(organ_id: str | None):
    agency = db.session.scalar(select(Agency).where(Agency.code == organ_id)) if organ_id else None
    if agency is None:
        _refuse(_("The package is not addressed to an agency of this deployment."), "not_addressed")
    return agency


def _sender(agency, organ_id: str | None) -> ExchangePartner:
    partner = db.session.scalar(select(ExchangePartner).where(
        ExchangePartner.agency_id == agency.id, ExchangePartner.organ_id == (organ_id or ""),
        ExchangePartner.active.is_(True))) if organ_id else None
    if partner is None:
        _refuse(_("The sender is not in the recipient's partner directory."), "unknown_sender")
    return partner


def _signed_package(data: bytes, partner: ExchangePartner, refuse):
    """Step 3: the package as its verified signature covers it."""
    try:
        verified = services.verify_partner_envelope(partner, data)
    except ValidationFailed as exc:
        refuse(exc.message, exc.code)
    package = parse_package(etree.tostring(verified.signed))
    if package.from_.organ_id != partner.organ_id:
        refuse(_("The signed package names another sender."), "sender_mismatch")
    problems = validate_package(package)
    if problems:
        refuse(_("The package is not valid edXML: %(p)s", p="; ".join(p.message for p in problems[:5])),
               "invalid_package")
    return package


def _inbox_row(agency, partner, key: str, kind: str) -> InboxPackage | None:
    return db.session.scalar(select(InboxPackage).where(
        InboxPackage.agency_id == agency.id, InboxPackage.sender_organ_id == partner.organ_id,
        InboxPackage.package_key == key, InboxPackage.kind == kind))


def _receive_document(data: bytes, claimed) -> Received:
    from eoffice.incoming import services as incoming

    here = [org.organ_id for org in claimed.to if org.organ_id]
    agency = _agency(next((code for code in here if db.session.scalar(
        select(Agency.id).where(Agency.code == code)) is not None), None))
    partner = _sender(agency, claimed.from_.organ_id)

    def refuse(message, code, details=None):
        _refuse(message, code, agency=agency, partner=partner, document_identifier=claimed.document_id,
                details=details)

    package = _signed_package(data, partner, refuse)
    bussiness = package.bussiness
    business_type = int((bussiness.bussiness_doc_type if bussiness else None) or NEW)
    key = package_key(package)
    found = _inbox_row(agency, partner, key, DOCUMENT_PACKAGE)
    if found is not None:
        return Received(DOCUMENT_PACKAGE, True, agency.id, found.incoming_document_id)
    if business_type != NEW:
        return _receive_business(agency, partner, package, business_type, key, refuse)
    try:
        files = [(a.name or f"{n}.pdf", a.decoded()) for n, a in enumerate(package.attachments, start=1)]
    except ValueError as exc:
        refuse(str(exc), "invalid_attachment")
    if not files:
        refuse(_("The package carries no document file."), "no_attachment")
    # Step 6: the slow part, with the read transaction closed; a file that is not a readable PDF is refused.
    try:
        report = incoming.verify_uploads(agency, files)
    except ValidationFailed as exc:
        refuse(exc.message, exc.code)
    if not (report.signed and report.valid):
        refuse(_("The signatures of the document file are not valid."), "signature_failed",
               details={"verification": report.to_dict()})
    inbox = InboxPackage(agency_id=agency.id, sender_organ_id=partner.organ_id, package_key=key,
                         partner_id=partner.id, kind=DOCUMENT_PACKAGE, business_type=NEW)
    try:
        with db.session.begin_nested():
            db.session.add(inbox)
    except IntegrityError:  # the same package, accepted a moment ago by another worker
        found = _inbox_row(agency, partner, key, DOCUMENT_PACKAGE)
        return Received(DOCUMENT_PACKAGE, True, agency.id, found.incoming_document_id if found else None)
    doc = incoming.create_incoming(agency, actor=None, files=files, source=SOURCE, electronic=True, report=report,
                                   **_fields(package))
    inbox.incoming_document_id = doc.id
    db.session.flush()
    queue_status(agency, partner, package.document_id, "01", incoming_document_id=doc.id)
    return Received(DOCUMENT_PACKAGE, False, agency.id, doc.id)


def _fields(package) -> dict:
    """The incoming document's header fields from the package (cut to the columns' lengths)."""
    from eoffice.incoming.services.intake import TEXT_FIELDS
    from eoffice.registry.models import DocumentType

    code, signer, other = package.code, package.signer_info, package.other_info
    type_name = package.document_type.type_name if package.document_type else ""
    document_type = db.session.scalar(select(DocumentType).where(DocumentType.name == type_name)) \
        if type_name else None
    priority = int(other.priority) if other and (other.priority or "").isdigit() else 0
    page_amount = int(other.page_amount) if other and (other.page_amount or "").isdigit() else None
    values = {
        "document_identifier": package.document_id, "issuer_code": package.from_.organ_id,
        "issuer_name": package.from_.organ_name or package.from_.organ_id,
        "code_number": code.code_number if code else "", "code_notation": code.code_notation if code else "",
        "type_name": type_name, "subject": package.subject,
        "signer_position": signer.position if signer else "", "signer_name": signer.full_name if signer else "",
        "to_places": "; ".join(package.to_places or []), "description": package.content or "",
    }
    fields = {key: (value or "")[:TEXT_FIELDS[key]] for key, value in values.items()}
    fields.update(issued_date=package.promulgation_date, due_date=parse_date(package.due_date),
                  urgency=min(priority, 3), page_amount=page_amount if page_amount and page_amount < 1000 else None,
                  document_type_id=document_type.id if document_type else None)
    return fields


def _receive_business(agency, partner, package, business_type: int, key: str, refuse) -> Received:
    """A recall, update or replace of a document received earlier: recorded once; a recall is carried out."""
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import IncomingDocument

    original = _inbox_row(agency, partner, package.document_id or "", DOCUMENT_PACKAGE)
    if original is None or original.incoming_document_id is None:
        refuse(_("No document received earlier matches this package."), "unknown_document")
    reason = (package.bussiness.bussiness_doc_reason or "").strip() or "-"
    db.session.add(InboxPackage(agency_id=agency.id, sender_organ_id=partner.organ_id, package_key=key,
                                partner_id=partner.id, kind=DOCUMENT_PACKAGE, business_type=business_type,
                                incoming_document_id=original.incoming_document_id, description=reason[:500]))
    doc = db.session.get(IncomingDocument, original.incoming_document_id)
    if business_type == RECALL and doc.state != "recalled":
        incoming.recall_incoming(doc, reason=reason, actor=None)
    db.session.flush()
    return Received(DOCUMENT_PACKAGE, False, agency.id, doc.id)


def _receive_status(data: bytes, claimed: StatusPackage) -> Received:
    from eoffice.outgoing.models import DELIVERED, FAILED

    response_for = claimed.response_for
    agency = _agency(response_for.organ_id if response_for else None)
    partner = _sender(agency, claimed.from_.organ_id)

    def refuse(message, code, details=None):
        _refuse(message, code, details=details)  # a status is never answered with a status

    package = _signed_package(data, partner, refuse)
    _begin_writing()
    key = package_key(package)
    found = _inbox_row(agency, partner, key, STATUS_PACKAGE)
    if found is not None:
        return Received(STATUS_PACKAGE, True, agency.id, recipient_id=found.recipient_id)
    sent = db.session.scalar(select(OutboxPackage).where(
        OutboxPackage.agency_id == agency.id, OutboxPackage.kind == DOCUMENT_PACKAGE,
        OutboxPackage.business_type == NEW, OutboxPackage.partner_id == partner.id,
        OutboxPackage.document_identifier == package.response_for.document_id).order_by(OutboxPackage.id))
    if sent is None or sent.recipient is None:
        refuse(_("No document sent to this partner matches the status."), "unknown_document")
    stamp = parse_timestamp(package.timestamp)
    at = _from_local(stamp) if stamp else utcnow()
    recipient, code = sent.recipient, package.status_code
    db.session.add(InboxPackage(agency_id=agency.id, sender_organ_id=partner.organ_id, package_key=key,
                                partner_id=partner.id, kind=STATUS_PACKAGE, status_code=code,
                                recipient_id=recipient.id, status_at=at, description=package.description or ""))
    # Codes move forward (01 → 06); one arriving late does not take a recipient back.
    if code == "02" or not recipient.exchange_status or code >= recipient.exchange_status:
        recipient.exchange_status, recipient.status_at = code, at
        if code == "02":
            recipient.status, recipient.note = FAILED, (package.description or "")[:500]
        elif code in ("01", "03", "04", "05", "06"):
            recipient.status = DELIVERED
    db.session.flush()
    return Received(STATUS_PACKAGE, False, agency.id, recipient_id=recipient.id)


def _from_local(naive):
    # edXML timestamps are Vietnam time without a zone.
    return naive.replace(tzinfo=VN_TZ).astimezone(timezone.utc)
