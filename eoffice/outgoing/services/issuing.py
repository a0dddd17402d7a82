"""Issuing: the clerk picks the outgoing book; the registry gives the number, the system writes number and date
into the prepared fields, the clerk's PIN applies the agency signature with the seal, appendices get the agency
signature top right, and the document goes to delivery — all in one transaction, so that any failure (wrong PIN,
timestamp authority down, anything) consumes no number."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.core import signals
from eoffice.core.errors import Conflict, Forbidden, ValidationFailed
from eoffice.core.permissions import CLERK
from eoffice.core.tenancy import ensure_same_agency
from eoffice.core.time import local_today, utcnow
from eoffice.extensions import db
from eoffice.outgoing.models import (
    APPENDIX, APPENDIX_ISSUED, ISSUED, ISSUED_FILE, LEADER_SIGNED, SIGNED, OutgoingDocument,
)
from eoffice.outgoing.services.drafting import check_secret_delivery, record_event
from eoffice.outgoing.services.workflow import add_version
from eoffice.registry.models import OUT, RegistryBook
from eoffice.registry.services import allocate_number, compose_symbol
from eoffice.signing.layout import SigningLayout


def layout_for(doc: OutgoingDocument) -> SigningLayout:
    """The field positions of this document's signing copy (the signature block follows the printed position)."""
    return SigningLayout(leader_position=(doc.signer_position or "").upper())


def date_line(place: str, day: date) -> str:
    """"Thạnh Trị, ngày 05 tháng 01 năm 2026": a zero before days below 10 and months 1 and 2 (Decree 30)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text.capitalize()


def issuable_books(doc: OutgoingDocument) -> list[RegistryBook]:
    """Open outgoing books of the agency that can number this document (secret ones for secret documents)."""
    books = db.session.scalars(select(RegistryBook).where(
        RegistryBook.agency_id == doc.agency_id, RegistryBook.direction == OUT, RegistryBook.active.is_(True),
        RegistryBook.secret.is_(doc.is_secret)).order_by(RegistryBook.name)).all()
    return [b for b in books if not b.document_types or doc.document_type_id in {t.id for t in b.document_types}]


def lock_document(doc: OutgoingDocument) -> OutgoingDocument:
    """The document re-read under a row lock, for the changes a double click must not make twice."""
    # PostgreSQL: the row lock makes a second issue request for the same document wait, then see it issued.
    # SQLite: the request already holds the write lock (BEGIN IMMEDIATE).
    return db.session.execute(select(OutgoingDocument).where(OutgoingDocument.id == doc.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def issue_document(doc: OutgoingDocument, actor, *, book: RegistryBook, pin: str) -> OutgoingDocument:
    """Number, seal and deliver a signed document. Idempotent: an issued document is returned as it is, so a
    double click or a retried request never takes a second number.

    The one place where a PDF is signed (and the timestamp authority called) while a write transaction is open,
    on purpose: the number goes into the sealed file, and Decree 30 numbers have no gaps, so the number is taken,
    written and sealed in one transaction that rolls back whole if the seal fails. The file is the system's own
    signed version, already judged by the verifier's pool when it was stored.
    """
    from eoffice.outgoing.services.delivery import deliver_document
    from eoffice.signing import operations, services as signing
    from eoffice.signing.forms import fill_number_and_date
    from eoffice.signing.sign import sign_appendix, sign_pdf

    if not actor.has_role(CLERK) or actor.agency_id != doc.agency_id:
        raise Forbidden(_("Only a clerk of the agency issues documents."))
    doc = lock_document(doc)
    if doc.status in (ISSUED,) or doc.number is not None:
        return doc
    if doc.status != SIGNED:
        raise Conflict(_("Only a document signed by its signer can be issued."), code="wrong_state")
    ensure_same_agency(book, doc.agency_id)
    if book not in issuable_books(doc):
        raise ValidationFailed(_("This book cannot number this document (closed, other direction, secrecy or "
                                 "document type)."), code="wrong_book")
    check_secret_delivery(doc)
    if not (pin or "").strip():
        raise ValidationFailed(_("Enter your PIN."), code="pin_required")
    credential = signing.active_credential(doc.agency_id, None)
    agency = actor.agency
    with signing.unlocked(credential, pin, actor=actor) as signer:
        # The number, the filled fields, the seal, the files and the delivery rows commit together or not at all.
        with db.session.begin_nested():
            year = local_today().year
            allocation = allocate_number(book, reference=f"outgoing:{doc.id}", year=year, actor=actor)
            unit_abbr = doc.drafting_unit.abbreviation if doc.drafting_unit else None
            symbol = compose_symbol(allocation.number, issuer=agency.abbreviation, document_type=doc.document_type,
                                    unit_abbreviation=unit_abbr, year=year if book.legal_normative else None)
            today = local_today()
            numbered = fill_number_and_date(doc.current_file(LEADER_SIGNED).stored_file.read(), f"Số: {symbol}",
                                            date_line(agency.place, today))
            options = operations.signature_options(actor, as_seal=True, layout=layout_for(doc))
            with operations.signing_errors():
                sealed = sign_pdf(numbered, signer, **options)
                appendices = [
                    (pos, sign_appendix(doc.current_file(APPENDIX, pos).stored_file.read(), signer, symbol,
                                        **{k: options[k] for k in ("level", "timestamper", "allow_downgrade",
                                                                   "trust_roots", "location")}))
                    for pos in doc.appendix_positions()]
            safe = symbol.replace("/", "-")
            add_version(doc, ISSUED_FILE, sealed.pdf, f"{safe}.pdf", actor)
            for pos, result in appendices:
                add_version(doc, APPENDIX_ISSUED, result.pdf, f"{safe}-PL{pos}.pdf", actor, position=pos)
            doc.book_id, doc.year, doc.number, doc.symbol = book.id, year, allocation.number, symbol
            doc.issued_date, doc.issued_at, doc.issued_by_id, doc.status = today, utcnow(), actor.id, ISSUED
            record_event(doc, "issue", actor, comment=symbol)
            db.session.flush()
            signals.document_signed.send(credential, actor=actor, count=1 + len(appendices),
                                         level=sealed.level.value,
                                         downgraded=[sealed.downgrade_reason] if sealed.downgraded else [])
            signals.outgoing_issued.send(doc, actor=actor)
            deliver_document(doc, actor)
    return doc
