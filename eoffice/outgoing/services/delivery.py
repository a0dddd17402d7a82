"""Delivery of an issued document, per recipient: units of the same agency receive it in their incoming inbox,
other agencies through an exchange outbox row written in the same transaction; recall, update and replace write
further packages. The exchange module delivers the outbox after commit and reports statuses back."""

from __future__ import annotations

import logging
import uuid

from flask_babel import gettext as _

from eoffice.core import signals
from eoffice.core.errors import Conflict, Forbidden, ValidationFailed
from eoffice.core.permissions import CLERK
from eoffice.core.time import utcnow
from eoffice.exchange import services as exchange_services
from eoffice.exchange.models import OutboxPackage
from eoffice.extensions import db
from eoffice.outgoing.models import (
    APPENDIX_ISSUED, DELIVERED, ELECTRONIC_PAPER, FAILED, ISSUED, ISSUED_FILE, NEW, PAPER, PAPER_SENT, PENDING,
    QUEUED, RECALL, RECALLED, RECALLED_STATUS, REPLACE, REPLACED, UNIT_RECIPIENT, UPDATE, OutgoingDocument,
    OutgoingRecipient,
)
from eoffice.outgoing.services.drafting import check_secret_delivery, record_event

log = logging.getLogger(__name__)
RECIPIENT_STATUSES = (PENDING, QUEUED, DELIVERED, PAPER_SENT, FAILED, RECALLED_STATUS)


def _receive_internal():
    """The incoming module's intake for documents of the same agency, when that module provides it."""
    try:
        from eoffice.incoming import services as incoming
    except ImportError:
        return None
    return getattr(incoming, "receive_internal", None)


def deliver_document(doc: OutgoingDocument, actor) -> None:
    """Hand every recipient its copy: internal units through the incoming inbox, others through the outbox."""
    check_secret_delivery(doc)
    now = utcnow()
    units = [r for r in doc.recipients if r.kind == UNIT_RECIPIENT and r.electronic]
    for recipient in doc.recipients:
        if not recipient.electronic:
            # Paper copies leave through the clerk's postal book; the clerk confirms the dispatch on the page.
            recipient.status, recipient.status_at = PENDING, now
        elif recipient.kind != UNIT_RECIPIENT:
            _write_package(doc, recipient, NEW, "", actor)
    if units:
        _deliver_internal(doc, units, actor)
    db.session.flush()


def _deliver_internal(doc: OutgoingDocument, units: list[OutgoingRecipient], actor) -> None:
    receive = _receive_internal()
    now = utcnow()
    if receive is None:
        for recipient in units:
            recipient.status, recipient.status_at = PENDING, now
            recipient.note = "incoming inbox not available"
        return
    # The document first, then its appendices, as (name, bytes).
    files = [(f.stored_file.name, f.stored_file.read()) for role in (ISSUED_FILE, APPENDIX_ISSUED)
             for f in sorted(doc.files, key=lambda f: f.position) if f.role == role]
    try:
        # A failing inbox must not undo the issuing: the number and the seal stand, the recipients say failed.
        with db.session.begin_nested():
            receive(doc.agency, subject=doc.subject, number=doc.number, symbol=doc.symbol,
                    issued_date=doc.issued_date, issuer_name=doc.agency.name, document_type_id=doc.document_type_id,
                    files=files, to_unit_ids=[r.unit_id for r in units], to_user_ids=[],
                    # edXML 4 (Hỏa tốc hẹn giờ) is a postal variant of 3 for the inbox.
                    priority=str(min(doc.priority, 3)),
                    actor=actor)
        status, note = DELIVERED, ""
    except Exception as exc:  # reported on the page, retried by the clerk
        log.exception("internal delivery of outgoing %s failed", doc.id)
        status, note = FAILED, str(exc)[:500]
    for recipient in units:
        recipient.status, recipient.status_at, recipient.note = status, now, note


def _write_package(doc: OutgoingDocument, recipient: OutgoingRecipient, business_type: int, reason: str,
                   actor) -> OutboxPackage:
    package = OutboxPackage(agency_id=doc.agency_id, package_id=uuid.uuid4().hex, document_id=doc.id,
                            recipient=recipient, business_type=business_type, reason=reason[:500],
                            paper=recipient.mode == ELECTRONIC_PAPER, status="pending")
    db.session.add(package)
    if business_type == NEW:
        recipient.status, recipient.status_at = QUEUED, utcnow()
    db.session.flush()
    signals.outgoing_dispatched.send(package, actor=actor)
    return package


def _ensure_clerk(doc: OutgoingDocument, actor) -> None:
    if not actor.has_role(CLERK) or actor.agency_id != doc.agency_id:
        raise Forbidden(_("Only a clerk of the agency can do this."))


def _packages(doc: OutgoingDocument, business_type: int, reason: str, actor) -> None:
    for recipient in doc.recipients:
        if recipient.electronic and recipient.kind != UNIT_RECIPIENT:
            _write_package(doc, recipient, business_type, reason, actor)


def recall_document(doc: OutgoingDocument, actor, reason: str) -> OutgoingDocument:
    """Recall (thu hồi): freeze the document, record why, and ask every electronic recipient to take it back."""
    _ensure_clerk(doc, actor)
    if doc.status != ISSUED:
        raise Conflict(_("Only an issued document can be recalled."), code="wrong_state")
    reason = _reason(reason)
    doc.status, doc.status_reason = RECALLED, reason
    _packages(doc, RECALL, reason, actor)
    for recipient in doc.recipients:
        recipient.status, recipient.status_at = RECALLED_STATUS, utcnow()
    record_event(doc, "recall", actor, comment=reason)
    db.session.flush()
    signals.outgoing_status_changed.send(doc, actor=actor, action="recall", reason=reason)
    return doc


def notify_update(doc: OutgoingDocument, actor, reason: str) -> OutgoingDocument:
    """Update (cập nhật): send the recipients an update package with the reason; the document stays issued."""
    _ensure_clerk(doc, actor)
    if doc.status != ISSUED:
        raise Conflict(_("Only an issued document can be updated."), code="wrong_state")
    reason = _reason(reason)
    doc.status_reason = reason
    _packages(doc, UPDATE, reason, actor)
    record_event(doc, "update", actor, comment=reason)
    db.session.flush()
    signals.outgoing_status_changed.send(doc, actor=actor, action="update", reason=reason)
    return doc


def replace_document(doc: OutgoingDocument, actor, reason: str,
                     replacement: OutgoingDocument | None = None) -> OutgoingDocument:
    """Replace (thay thế): the document is superseded, by `replacement` when given, and recipients are told."""
    _ensure_clerk(doc, actor)
    if doc.status != ISSUED:
        raise Conflict(_("Only an issued document can be replaced."), code="wrong_state")
    if replacement is not None and (replacement.agency_id != doc.agency_id or replacement.id == doc.id):
        raise ValidationFailed(_("The replacement must be another document of the agency."))
    reason = _reason(reason)
    doc.status, doc.status_reason = REPLACED, reason
    doc.replaced_by_id = replacement.id if replacement is not None else None
    _packages(doc, REPLACE, reason, actor)
    record_event(doc, "replace", actor, comment=reason)
    db.session.flush()
    signals.outgoing_status_changed.send(doc, actor=actor, action="replace", reason=reason)
    return doc


def set_recipient_status(doc: OutgoingDocument, recipient: OutgoingRecipient, actor, status: str,
                         note: str = "") -> OutgoingRecipient:
    """The clerk records a delivery by hand (paper dispatched, a retry that worked, a failure)."""
    _ensure_clerk(doc, actor)
    if recipient.document_id != doc.id or status not in RECIPIENT_STATUSES:
        raise ValidationFailed(_("Unknown recipient or status."))
    if doc.status not in (ISSUED,):
        raise Conflict(_("The document is not issued or is frozen."), code="wrong_state")
    if status in (DELIVERED, QUEUED) and recipient.mode == PAPER:
        raise ValidationFailed(_("A paper-only recipient is delivered on paper."))
    recipient.status, recipient.status_at, recipient.note = status, utcnow(), (note or "")[:500]
    record_event(doc, "deliver", actor, comment=f"{recipient.name}: {status}")
    db.session.flush()
    return recipient


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason."), details={"fields": ["reason"]})
    return reason[:500]


def add_partner(agency, *, name: str, organ_id: str, email: str = "", actor=None):
    """Add an agency outside this deployment to the partner directory (admin or clerk, from the outgoing
    settings); the directory and its rules are the exchange module's."""
    return exchange_services.create_partner(agency, {"name": name, "organ_id": organ_id, "email": email},
                                            actor=actor)
