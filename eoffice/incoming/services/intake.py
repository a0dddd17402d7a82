"""Receiving incoming documents, the duplicate check, registration with an arrival number, and return to sender."""

from __future__ import annotations

import json
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from eoffice.accounts.models import Unit, User
from eoffice.core import signals
from eoffice.core.db import end_transaction_for_slow_work
from eoffice.core.errors import Conflict, NotFound, ValidationFailed
from eoffice.core.files import StoredFile, store_file
from eoffice.core.permissions import LEADER
from eoffice.core.time import local_today, utcnow
from eoffice.extensions import db
from eoffice.incoming.models import (
    ATTACHMENT, INFO, MAIN, RECEIVED, REGISTERED, RETURNED, Assignment, IncomingDocument, IncomingFile,
)
from eoffice.incoming.services.trace import record_action
from eoffice.registry.models import IN, DocumentType, RegistryBook
from eoffice.registry.services import allocate_number
from eoffice.signing.services import refuse_unverifiable, request_verification, verify_data

#: Text fields and their lengths (Phụ lục VI Part II; the issuer code keeps room for longer identifiers).
TEXT_FIELDS = {"document_identifier": 100, "issuer_code": 64, "issuer_name": 200, "code_number": 11,
               "code_notation": 30, "type_name": 100, "subject": 500, "signer_position": 100, "signer_name": 50,
               "language": 30, "to_places": 1000, "description": 500, "file_code": 20}
REQUIRED = ("issuer_name", "subject")
#: Values accepted for `priority` by `receive_internal` (edXML Priority digits or names).
PRIORITY_CODES = {"0": 0, "1": 1, "2": 2, "3": 3, "normal": 0, "urgent": 1, "very_urgent": 2, "express": 3,
                  "thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}


def check_upload(name: str, data: bytes) -> None:
    """Refuse a file that is not a PDF (by its bytes) or is larger than INCOMING_MAX_FILE_BYTES."""
    limit = current_app.config["INCOMING_MAX_FILE_BYTES"]
    if len(data) > limit:
        raise ValidationFailed(_("%(name)s is larger than the allowed %(mb)s MB.", name=name,
                                 mb=round(limit / 1048576, 1)), code="file_too_large",
                               details={"file": name, "size": len(data), "limit": limit})
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ValidationFailed(_("%(name)s is not a PDF file.", name=name), code="not_pdf", details={"file": name})


def _clean_fields(fields: dict) -> dict:
    cleaned, too_long, missing = {}, [], []
    for key, limit in TEXT_FIELDS.items():
        if key in fields and fields[key] is not None:
            value = str(fields[key]).strip()
            if len(value) > limit:
                too_long.append(key)
            cleaned[key] = value
    missing = [key for key in REQUIRED if not cleaned.get(key)]
    if missing or too_long:
        raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": missing + too_long})
    for key in ("urgency", "secrecy"):
        value = fields.get(key) or 0
        if not isinstance(value, int) or not 0 <= value <= 3:
            raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": [key]})
        cleaned[key] = value
    for key in ("issued_date", "due_date", "arrival_date"):
        if fields.get(key) is not None and not isinstance(fields[key], date):
            raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": [key]})
        cleaned[key] = fields.get(key)
    page_amount = fields.get("page_amount")
    if page_amount is not None and (not isinstance(page_amount, int) or not 0 < page_amount < 1000):
        raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": ["page_amount"]})
    cleaned["page_amount"] = page_amount
    type_id = fields.get("document_type_id")
    if type_id:
        doc_type = db.session.get(DocumentType, int(type_id))
        if doc_type is None:
            raise ValidationFailed(_("Unknown document type."), details={"fields": ["document_type_id"]})
        cleaned["document_type_id"] = doc_type.id
        cleaned["type_name"] = cleaned.get("type_name") or doc_type.name
    return cleaned


def verify_uploads(agency, files: list[tuple[str, bytes]]):
    """Check and verify uploaded files before anything of the intake is written; returns the main file's report.

    Runs in the verifier's pool with the request's transaction closed (call it first, outside any savepoint).
    A file that is not a PDF, too large, or that cannot be read as one is refused with 422 and nothing is stored;
    the reports of readable files are kept, so the document shows its verdict at once.
    """
    end_transaction_for_slow_work(db.session)  # also when there is no file: the intake's writes begin anew
    reports = []
    for name, data in files:
        check_upload(name, data)
        reports.append(refuse_unverifiable(verify_data(data, agency.id, keep=True), name))
    return reports[0] if reports else None


def create_incoming(agency, *, actor, files: list[tuple[str, bytes]], source: str = "upload",
                    electronic: bool = False, report=None, **fields) -> IncomingDocument:
    """Receive a document: the first file is the document (PDF), the others its attachments (PDF).

    Every file is checked before anything is stored, so a refusal leaves nothing behind. `report` is the main
    file's verification from `verify_uploads`; without it (a delivery inside another transaction) the file is
    verified by a job after commit and the report copied onto the document when it is ready
    (`record_verification`). An invalid or missing signature does not stop the intake: it is shown on the
    document, which may be returned to its sender.
    """
    try:
        cleaned = _clean_fields(fields)
    except ValidationFailed as exc:
        if not files:  # name every missing input at once, the file among them
            exc.details["fields"] = ["file", *exc.details.get("fields", [])]
        raise
    if not files:
        raise ValidationFailed(_("Choose a PDF file."), code="file_required", details={"fields": ["file"]})
    for name, data in files:
        check_upload(name, data)
    doc = IncomingDocument(agency_id=agency.id, state=RECEIVED, source=source, electronic=bool(electronic),
                           created_by_id=getattr(actor, "id", None), **cleaned)
    if report is not None:
        _set_verification(doc, report)
    if doc.arrival_date is None:
        doc.arrival_date = local_today()
    db.session.add(doc)
    db.session.flush()
    main_sha256 = None
    for n, (name, data) in enumerate(files):
        stored = store_file(agency.id, data, name, created_by=actor)
        main_sha256 = main_sha256 or stored.sha256
        db.session.add(IncomingFile(document_id=doc.id, stored_file_id=stored.id, kind=MAIN if n == 0 else ATTACHMENT,
                                    added_by_id=getattr(actor, "id", None)))
    db.session.flush()
    signals.incoming_received.send(doc, actor=actor, source=source)
    record_action(doc, "receive", actor=actor, data={"source": source, "files": [name for name, _data in files]})
    if main_sha256 and report is None:
        request_verification(main_sha256, agency.id)
    return doc


def _set_verification(doc: IncomingDocument, report) -> None:
    data = report.to_dict()
    doc.verification = json.dumps(data, ensure_ascii=False)
    doc.signature_valid = data["valid"] if data["signed"] else None


def record_verification(sha256: str, agency_id: int, report) -> list[IncomingDocument]:
    """Copy a finished verification onto the agency's incoming documents whose main file it is (the listener of
    `signals.file_verified`). Only documents still waiting take it: a report shown once is not rewritten."""
    docs = db.session.scalars(
        select(IncomingDocument).join(IncomingFile, IncomingFile.document_id == IncomingDocument.id)
        .join(StoredFile, StoredFile.id == IncomingFile.stored_file_id)
        .where(IncomingDocument.agency_id == agency_id, IncomingFile.kind == MAIN,
               StoredFile.sha256 == sha256, IncomingDocument.verification.is_(None))).all()
    for doc in docs:
        _set_verification(doc, report)
    db.session.flush()
    return docs


def receive_internal(agency, *, subject: str, number: int | None, symbol: str, issued_date, issuer_name: str,
                     document_type_id: int | None, files: list[tuple[str, bytes]], to_unit_ids: list[int],
                     to_user_ids: list[int], priority: str, actor) -> IncomingDocument:
    """Deliver a document issued inside `agency` to its own units or users (the outgoing module's hook).

    Creates an incoming document already received electronically (state `received`, to be registered by the
    clerk) whose issuer is the agency itself, verifies its PDF as a document of eoffice's own flow, and puts it
    at once in the inbox of every named unit and user as "for information"; the leader may still direct it after
    registration. `files` are (name, PDF bytes), the document first. `priority` is the edXML Priority as a digit
    ("0"–"3") or a name (normal, urgent, very_urgent, express). Unknown units or users, or ones of another
    agency, are refused with 404; nothing is committed (the caller's edge commits). Flushes and returns it.
    """
    urgency = PRIORITY_CODES.get(str(priority).strip().lower())
    if urgency is None:
        raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": ["priority"]})
    units = [_agency_row(Unit, uid, agency.id) for uid in dict.fromkeys(to_unit_ids or ())]
    users = [_agency_row(User, uid, agency.id) for uid in dict.fromkeys(to_user_ids or ())]
    if not units and not users:
        raise ValidationFailed(_("Choose at least one recipient."), details={"fields": ["to_unit_ids", "to_user_ids"]})
    number_text = f"{number:02d}" if number is not None else ""
    notation = symbol.split("/", 1)[1] if number is not None and "/" in symbol else symbol
    doc = create_incoming(
        agency, actor=actor, files=files, source="internal", electronic=True,
        issuer_code=agency.code, issuer_name=issuer_name, code_number=number_text, code_notation=notation,
        issued_date=issued_date, document_type_id=document_type_id, subject=subject, urgency=urgency,
        to_places="; ".join([u.name for u in units] + [u.full_name for u in users])[:1000])
    for unit in units:
        db.session.add(Assignment(agency_id=agency.id, document_id=doc.id, role=INFO, unit_id=unit.id,
                                  assigned_by_id=getattr(actor, "id", None)))
    for user in users:
        db.session.add(Assignment(agency_id=agency.id, document_id=doc.id, role=INFO, user_id=user.id,
                                  assigned_by_id=getattr(actor, "id", None)))
    db.session.flush()
    return doc


def _agency_row(model, ident, agency_id):
    row = db.session.get(model, int(ident))
    if row is None or row.agency_id != agency_id:
        raise NotFound(_("Not found."), details={"type": model.__tablename__, "id": ident})
    return row


def find_duplicates(doc: IncomingDocument) -> list[IncomingDocument]:
    """Other documents of the agency (not returned) with the same document identifier, or the same number,
    symbol and issuing agency (by identifier code when both have one, else by name)."""
    d = IncomingDocument
    rules = []
    if doc.document_identifier:
        rules.append(d.document_identifier == doc.document_identifier)
    if doc.code_number and doc.code_notation:
        # By name, exactly: SQLite's lower() folds ASCII only, so a case-insensitive match would differ by database.
        same_issuer = (d.issuer_code == doc.issuer_code) if doc.issuer_code else (d.issuer_name == doc.issuer_name)
        rules.append((d.code_number == doc.code_number) & (d.code_notation == doc.code_notation) & same_issuer)
    if not rules:
        return []
    return list(db.session.scalars(select(d).where(
        d.agency_id == doc.agency_id, d.id != doc.id, d.state != RETURNED, or_(*rules)).order_by(d.id)))


def register_incoming(doc: IncomingDocument, *, book: RegistryBook, actor, arrival_date: date | None = None,
                      duplicate_reason: str = "", presented_to: User | None = None,
                      file_code: str | None = None) -> IncomingDocument:
    """Give `doc` the next arrival number of `book` (an incoming book; a secret book for a secret document and
    only then) and present it to a leader (mandatory for secret documents, else optional: any leader).

    Raises Conflict (code `duplicate`, details `duplicates`) when duplicates exist and no `duplicate_reason` is
    given; the reason is kept with the document and in the history.
    """
    if doc.state != RECEIVED:
        raise Conflict(_("Only a received document can be registered."), code="wrong_state")
    if book.agency_id != doc.agency_id:
        raise NotFound(_("Not found."))
    if book.direction != IN or not book.active:
        raise ValidationFailed(_("Choose an open book of incoming documents."), code="wrong_book",
                               details={"fields": ["book_id"]})
    if doc.secret and not book.secret:
        raise ValidationFailed(_("A secret document must be registered in a secret book."), code="secret_book_required",
                               details={"fields": ["book_id"]})
    if not doc.secret and book.secret:
        raise ValidationFailed(_("Only secret documents go into a secret book."), code="secret_book_refused",
                               details={"fields": ["book_id"]})
    if presented_to is not None and (presented_to.agency_id != doc.agency_id or not presented_to.has_role(LEADER)):
        raise ValidationFailed(_("Choose a leader of the agency."), details={"fields": ["presented_to_id"]})
    if doc.secret and presented_to is None:
        raise ValidationFailed(_("A secret document must be presented to a named leader."),
                               details={"fields": ["presented_to_id"]})
    duplicates = find_duplicates(doc)
    reason = (duplicate_reason or "").strip()
    if duplicates and not reason:
        raise Conflict(_("This document may already have been received. Give a reason to register it anyway."),
                       code="duplicate", details={"duplicates": [_duplicate_json(d) for d in duplicates]})
    arrival = arrival_date or doc.arrival_date or local_today()
    allocation = allocate_number(book, reference=f"incoming:{doc.id}", year=arrival.year, actor=actor)
    doc.book_id, doc.arrival_year, doc.arrival_number = book.id, allocation.year, allocation.number
    doc.arrival_date, doc.registered_at, doc.state = arrival, utcnow(), REGISTERED
    doc.presented_to_id = presented_to.id if presented_to else None
    doc.duplicate_reason = reason if duplicates else ""
    if file_code is not None:
        doc.file_code = file_code.strip()[:20]
    db.session.flush()
    record_action(doc, "register", actor=actor, comment=doc.duplicate_reason, data={
        "book_id": book.id, "book": book.name, "year": allocation.year, "arrival_number": allocation.number,
        "duplicates": [d.id for d in duplicates], "presented_to_id": doc.presented_to_id})
    return doc


def _duplicate_json(doc: IncomingDocument) -> dict:
    return {"id": doc.id, "number_symbol": doc.number_symbol, "issuer_name": doc.issuer_name,
            "subject": doc.subject, "state": doc.state, "arrival_number": doc.arrival_number,
            "document_identifier": doc.document_identifier}


def return_incoming(doc: IncomingDocument, *, reason: str, actor) -> IncomingDocument:
    """Send `doc` back to its sender (failed signature check, wrongly addressed…): it leaves the flow, with the
    reason kept. Only before a leader directs it."""
    if doc.state not in (RECEIVED, REGISTERED):
        raise Conflict(_("This document can no longer be returned."), code="wrong_state")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for returning the document."), details={"fields": ["reason"]})
    doc.state, doc.return_reason = RETURNED, reason[:2000]
    db.session.flush()
    record_action(doc, "return", actor=actor, comment=doc.return_reason)
    return doc


def recall_incoming(doc: IncomingDocument, *, reason: str, actor) -> IncomingDocument:
    """Carry out the issuer's recall order (Decree 30, Phụ lục VI): the document leaves every list and inbox,
    its files are removed, and its metadata and whole history stay with the reason, as the trail of the recall."""
    from eoffice.extensions import jobs
    from eoffice.incoming.models import RECALLED, IncomingFile

    if doc.state == RECALLED:
        raise Conflict(_("This document was already recalled."), code="wrong_state")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason (the recall order) for recalling the document."),
                               details={"fields": ["reason"]})
    removed = []
    for row in db.session.scalars(select(IncomingFile).where(IncomingFile.document_id == doc.id)).all():
        stored = row.stored
        removed.append({"name": stored.name, "sha256": stored.sha256})
        db.session.delete(row)
        db.session.flush()
        db.session.delete(stored)
    doc.state = RECALLED
    db.session.flush()
    record_action(doc, "recall", actor=actor, comment=reason[:2000], data={"removed_files": removed})
    if removed:
        # The bytes go after the commit, by a job that first checks no other record still names them.
        jobs.enqueue("files.delete_unreferenced", sorted({f["sha256"] for f in removed}))
    return doc
