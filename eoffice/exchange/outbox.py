"""The outbox's delivery: one attempt per job run, exponential back-off, a dead letter after the last attempt,
an admin's retry, and the sweep that queues again what a crash or a back-off left waiting.

A delivery job reads the row and the document, seals the package with the agency's exchange key and hands it to
the partner's transport, writing nothing before: the local transport runs the receiving pipeline in the same
session, and that pipeline verifies PDFs with no write transaction open. The job runner commits once at the end.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from eoffice.core.errors import Conflict
from eoffice.core.time import utcnow
from eoffice.exchange import packages
from eoffice.exchange.keys import exchange_key
from eoffice.exchange.models import (
    DEAD, DOCUMENT_PACKAGE, LOCAL, NEW, PENDING, REFUSED, RETRYING, SENT, STATUS_PACKAGE, ExchangePartner,
    OutboxPackage,
)
from eoffice.exchange.transports import TransportError, transport_for
from eoffice.extensions import db, jobs

log = logging.getLogger(__name__)
JOB = "exchange.deliver"
#: How long a pending row waits for its job before the sweeper queues it again (a crash between commit and
#: queue, a worker that died mid-delivery). Delivering twice is harmless: receiving is idempotent.
GRACE = timedelta(minutes=5)


class Undeliverable(Exception):
    """Nothing can deliver this row until someone changes something (no partner, a secret document)."""


def schedule(row: OutboxPackage) -> None:
    """Give a new row its grace period and queue its delivery after the commit (flushes)."""
    row.next_attempt_at = utcnow() + GRACE
    db.session.flush()
    jobs.enqueue(JOB, row.id)


def queue_status(agency, partner: ExchangePartner, document_identifier: str, code: str, *, description: str = "",
                 incoming_document_id: int | None = None) -> OutboxPackage | None:
    """Queue the status package `code` for the document `document_identifier` that `partner` sent `agency`; once
    per document, partner and code (None when it was queued already)."""
    found = db.session.scalar(select(OutboxPackage.id).where(
        OutboxPackage.agency_id == agency.id, OutboxPackage.partner_id == partner.id,
        OutboxPackage.document_identifier == document_identifier, OutboxPackage.status_code == code))
    if found is not None:
        return None
    exchange_key(agency)  # made now, inside this transaction, so the job only reads it
    row = OutboxPackage(agency_id=agency.id, kind=STATUS_PACKAGE, package_id=uuid.uuid4().hex,
                        partner_id=partner.id, document_identifier=document_identifier, status_code=code,
                        description=(description or "")[:500], incoming_document_id=incoming_document_id,
                        status=PENDING)
    db.session.add(row)
    schedule(row)
    return row


def _partner_of(row: OutboxPackage) -> ExchangePartner:
    if row.partner_id is not None:
        return row.partner
    recipient = row.recipient
    if recipient is not None and recipient.partner_id is not None:
        return db.session.get(ExchangePartner, recipient.partner_id)
    if recipient is not None and recipient.target_agency_id is not None:
        partner = db.session.scalar(select(ExchangePartner).where(
            ExchangePartner.agency_id == row.agency_id, ExchangePartner.kind == LOCAL,
            ExchangePartner.target_agency_id == recipient.target_agency_id))
        if partner is not None:
            return partner
    raise Undeliverable("the recipient is not in the partner directory")


def _sealed(row: OutboxPackage, partner: ExchangePartner) -> tuple[bytes, str]:
    from eoffice.accounts.models import Agency

    if not partner.active:
        raise Undeliverable("the partner is inactive")
    if row.kind == STATUS_PACKAGE:
        agency = db.session.get(Agency, row.agency_id)
        package = packages.status_package(agency, response_organ_id=partner.organ_id,
                                          document_id=row.document_identifier, code=row.status_code,
                                          description=row.description)
        return packages.seal_package(agency, package), row.document_identifier
    from eoffice.outgoing.models import OutgoingDocument

    doc = db.session.get(OutgoingDocument, row.document_id)
    try:
        package = packages.document_package(doc, partner, business_type=row.business_type, reason=row.reason,
                                            paper=row.paper)
    except packages.SecretDocument as exc:
        raise Undeliverable(exc.message) from None
    return packages.seal_package(doc.agency, package), package.document_id


def deliver_outbox(outbox_id: int) -> dict:
    """One delivery attempt of an outbox row; the outcome is on the row (sent, retrying, dead, refused)."""
    row = db.session.get(OutboxPackage, outbox_id)
    if row is None or row.status not in (PENDING, RETRYING):
        return {"id": outbox_id, "skipped": getattr(row, "status", "missing")}
    try:
        partner = _partner_of(row)
        data, document_identifier = _sealed(row, partner)
        ack = transport_for(partner).send(data, partner)
    except Undeliverable as exc:
        db.session.rollback()
        return _dead(db.session.get(OutboxPackage, outbox_id), str(exc))
    except Exception as exc:  # TransportError, a busy verifier, a receiver's failure: all worth another try
        if not isinstance(exc, TransportError):
            log.exception("delivery of outbox %s failed", outbox_id)
        db.session.rollback()
        return _failed(db.session.get(OutboxPackage, outbox_id), f"{type(exc).__name__}: {exc}")
    row = db.session.get(OutboxPackage, outbox_id)
    row.partner_id, row.document_identifier = partner.id, document_identifier
    row.attempts += 1
    if ack.done:
        row.status, row.ack, row.sent_at, row.last_error = SENT, ack.code, utcnow(), None
    else:
        row.status, row.ack, row.last_error = REFUSED, ack.code, ack.message or ack.code
        if ack.code == "no_address":  # the admin can give the address and retry the dead letter
            row.status = DEAD
        _recipient_failed(row, ack.message or ack.code)
    db.session.flush()
    return {"id": row.id, "status": row.status, "ack": ack.code}


def _failed(row: OutboxPackage, error: str) -> dict:
    config = current_app.config
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= config["EXCHANGE_MAX_ATTEMPTS"]:
        return _dead(row, error, counted=True)
    delay = config["EXCHANGE_RETRY_BASE_SECONDS"] * 2 ** (row.attempts - 1)
    row.status, row.next_attempt_at = RETRYING, utcnow() + timedelta(seconds=delay)
    db.session.flush()
    return {"id": row.id, "status": row.status, "attempts": row.attempts, "error": row.last_error}


def _dead(row: OutboxPackage, error: str, counted: bool = False) -> dict:
    if not counted:
        row.attempts += 1
    row.status, row.last_error, row.next_attempt_at = DEAD, error[:2000], None
    _recipient_failed(row, error)
    db.session.flush()
    return {"id": row.id, "status": row.status, "attempts": row.attempts, "error": row.last_error}


def _recipient_failed(row: OutboxPackage, error: str) -> None:
    from eoffice.outgoing.models import FAILED

    if row.kind == DOCUMENT_PACKAGE and row.business_type == NEW and row.recipient is not None:
        row.recipient.status, row.recipient.status_at = FAILED, utcnow()
        row.recipient.note = error[:500]


def retry_outbox(row: OutboxPackage, *, actor=None) -> OutboxPackage:
    """An admin sends a dead letter (or a row waiting for its back-off) again now, with a fresh set of attempts."""
    from eoffice.outgoing.models import QUEUED

    if row.status not in (DEAD, RETRYING):
        raise Conflict(_("Only a dead or retrying package can be sent again."), code="wrong_state")
    row.status, row.attempts = PENDING, 0
    if row.kind == DOCUMENT_PACKAGE and row.business_type == NEW and row.recipient is not None:
        row.recipient.status, row.recipient.status_at, row.recipient.note = QUEUED, utcnow(), ""
    schedule(row)
    return row


def sweep_outbox(limit: int = 500) -> list[int]:
    """Queue again the rows whose back-off ended and the pending rows whose job never came (flushes)."""
    now = utcnow()
    rows = db.session.scalars(select(OutboxPackage).where(
        OutboxPackage.status.in_((PENDING, RETRYING)),
        or_(OutboxPackage.next_attempt_at.is_(None), OutboxPackage.next_attempt_at <= now))
        .order_by(OutboxPackage.id).limit(limit)).all()
    for row in rows:
        row.next_attempt_at = now + GRACE
        jobs.enqueue(JOB, row.id)
    db.session.flush()
    return [row.id for row in rows]
