"""Registry books, number allocation and symbols. Services flush; the caller's edge commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eoffice.core import signals
from eoffice.core.db import sqlite_immediate
from eoffice.core.errors import Conflict, ValidationFailed
from eoffice.core.time import local_today
from eoffice.extensions import db
from eoffice.registry.models import IN, OUT, BookCounter, DocumentType, NumberAllocation, RegistryBook, format_number

BOOK_FIELDS = ("name", "direction", "secret", "legal_normative", "active")


def list_document_types() -> list[DocumentType]:
    return list(db.session.scalars(select(DocumentType).order_by(DocumentType.sort_order)))


def document_types_by_ids(ids) -> list[DocumentType]:
    ids = {int(i) for i in ids or ()}
    found = list(db.session.scalars(select(DocumentType).where(DocumentType.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise ValidationFailed(_("Unknown document type."), details={"document_type_ids": sorted(ids)})
    return found


def create_book(agency, *, name: str, direction: str, secret: bool = False, legal_normative: bool = False,
                document_types=(), actor=None) -> RegistryBook:
    _validate_book(name, direction)
    book = RegistryBook(agency_id=agency.id, name=name.strip(), direction=direction, secret=bool(secret),
                        legal_normative=bool(legal_normative), document_types=list(document_types))
    db.session.add(book)
    db.session.flush()
    signals.book_changed.send(book, actor=actor, action="create", changes={})
    return book


def update_book(book: RegistryBook, *, actor=None, document_types=None, **fields) -> RegistryBook:
    before = {key: getattr(book, key) for key in BOOK_FIELDS}
    before_types = sorted(t.code for t in book.document_types)
    for key in BOOK_FIELDS:
        if key in fields and fields[key] is not None:
            setattr(book, key, fields[key].strip() if isinstance(fields[key], str) else fields[key])
    if book.direction != before["direction"] and _has_allocations(book):
        raise Conflict(_("A book that has given numbers cannot change direction."))
    _validate_book(book.name, book.direction)
    if document_types is not None:
        book.document_types = list(document_types)
    db.session.flush()
    changes = {key: [before[key], getattr(book, key)] for key in BOOK_FIELDS if before[key] != getattr(book, key)}
    after_types = sorted(t.code for t in book.document_types)
    if after_types != before_types:
        changes["document_types"] = [before_types, after_types]
    if changes:
        signals.book_changed.send(book, actor=actor, action="update", changes=changes)
    return book


def delete_book(book: RegistryBook, *, actor=None) -> None:
    """Remove an unused book; a book that has given numbers can only be closed (its history is a register)."""
    if _has_allocations(book):
        raise Conflict(_("This book has given numbers; close it instead of deleting it."))
    signals.book_changed.send(book, actor=actor, action="delete", changes={})
    db.session.delete(book)
    db.session.flush()


def _has_allocations(book: RegistryBook) -> bool:
    return db.session.scalar(select(NumberAllocation.id).where(NumberAllocation.book_id == book.id).limit(1)) is not None


def _validate_book(name: str, direction: str) -> None:
    if not (name or "").strip():
        raise ValidationFailed(_("Required fields are missing."), details={"fields": ["name"]})
    if direction not in (IN, OUT):
        raise ValidationFailed(_("The direction must be incoming or outgoing."), details={"fields": ["direction"]})


def allocate_number(book: RegistryBook, *, reference: str = "", year: int | None = None,
                    actor=None) -> NumberAllocation:
    """Give the next number of `book` for `year` (default: this year in Vietnam), race-free.

    PostgreSQL: the (book, year) counter row is locked with SELECT … FOR UPDATE, so concurrent allocations queue
    on it. SQLite: the transaction began with BEGIN IMMEDIATE and holds the database write lock. In both, the unique
    constraint on (book, year, number) stops a repeat should either mechanism ever be bypassed. The number is
    consumed only if the caller's transaction commits, so a failure later in the same transaction gives it back.
    """
    if not book.active:
        raise Conflict(_("The registry book is closed."))
    year = year or local_today().year
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite" and not sqlite_immediate.get():
        raise RuntimeError("allocate_number needs a write transaction (BEGIN IMMEDIATE) on SQLite")
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(BookCounter).values(book_id=book.id, year=year, last_number=0).on_conflict_do_nothing()
    )
    counter = db.session.execute(
        select(BookCounter)
        .where(BookCounter.book_id == book.id, BookCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    counter.last_number += 1
    allocation = NumberAllocation(agency_id=book.agency_id, book_id=book.id, year=year, number=counter.last_number,
                                  reference=reference, allocated_by_id=getattr(actor, "id", None))
    db.session.add(allocation)
    db.session.flush()
    signals.number_allocated.send(allocation, actor=actor)
    return allocation


def compose_symbol(number: int, *, issuer: str, document_type: DocumentType | None = None,
                   unit_abbreviation: str | None = None, year: int | None = None) -> str:
    """The number and symbol of a document (Decree 30, Phụ lục I).

    `15/QĐ-UBND` for a typed document; `05/UBND-VP` for a công văn (issuer - drafting unit); with `year`,
    the legal normative form `30/2020/NĐ-CP`.
    """
    head = format_number(number) + (f"/{year}" if year else "")
    if document_type is not None and document_type.abbreviation:
        return f"{head}/{document_type.abbreviation}-{issuer}"
    if not unit_abbreviation:
        raise ValidationFailed(_("An official letter's symbol needs the drafting unit's abbreviation."))
    return f"{head}/{issuer}-{unit_abbreviation}"
