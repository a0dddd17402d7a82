"""Concurrent registrations on PostgreSQL: real transactions on separate connections, each committed, yield
consecutive and unique arrival numbers (the pattern of tests/registry/test_numbering.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from support import run_at_once

COUNT = 30


@pytest.fixture
def audit_disabled():
    """The race commits for real; audit entries are append-only and would outlive the test, so the listeners of
    the signals a registration sends are detached while it runs."""
    from eoffice.audit import listeners
    from eoffice.core import signals

    signals.number_allocated.disconnect(listeners._number_allocated)
    signals.incoming_changed.disconnect(listeners._incoming_changed)
    yield
    signals.number_allocated.connect(listeners._number_allocated)
    signals.incoming_changed.connect(listeners._incoming_changed)


@pytest.fixture
def committed_documents(app):
    """An agency with an incoming book and COUNT received documents, committed so that every connection sees
    them; everything (documents, history, numbers, book, agency) is removed afterwards."""
    from eoffice.accounts.models import Agency
    from eoffice.extensions import db
    from eoffice.incoming.models import RECEIVED, IncomingDocument
    from eoffice.registry.models import IN, RegistryBook

    with app.app_context():
        agency = Agency(slug="race-in", name="Race agency (incoming)", abbreviation="RACEIN", code="000.00.98.Z98")
        db.session.add(agency)
        db.session.flush()
        book = RegistryBook(agency_id=agency.id, name="Race incoming book", direction=IN)
        db.session.add(book)
        docs = [IncomingDocument(agency_id=agency.id, state=RECEIVED, issuer_name="Sở Nội vụ", subject=f"Văn bản {n}",
                                 code_number=str(n), code_notation="SNV-VP", arrival_date=date(2026, 11, 3))
                for n in range(1, COUNT + 1)]
        db.session.add_all(docs)
        db.session.commit()
        ids = {"agency": agency.id, "book": book.id, "docs": [d.id for d in docs]}
    yield ids
    with app.app_context():
        from eoffice.incoming.models import TraceEntry
        from eoffice.registry.models import BookCounter, NumberAllocation

        db.session.execute(delete(TraceEntry).where(TraceEntry.document_id.in_(ids["docs"])))
        db.session.execute(delete(IncomingDocument).where(IncomingDocument.id.in_(ids["docs"])))
        db.session.execute(delete(NumberAllocation).where(NumberAllocation.book_id == ids["book"]))
        db.session.execute(delete(BookCounter).where(BookCounter.book_id == ids["book"]))
        db.session.execute(delete(RegistryBook).where(RegistryBook.id == ids["book"]))
        db.session.execute(delete(Agency).where(Agency.id == ids["agency"]))
        db.session.commit()


def _register_concurrently(app, book_id: int, doc_ids: list[int]) -> list[int]:
    from eoffice.extensions import db
    from eoffice.incoming import services
    from eoffice.incoming.models import IncomingDocument
    from eoffice.registry.models import RegistryBook

    def register(doc_id, start):
        with app.app_context():
            doc = db.session.get(IncomingDocument, doc_id)
            book = db.session.get(RegistryBook, book_id)
            db.session.commit()
            start()
            services.register_incoming(doc, book=book, actor=None)
            db.session.commit()
            return doc.arrival_number

    return run_at_once(register, doc_ids)


@pytest.mark.postgresql
def test_concurrent_registrations_get_consecutive_unique_arrival_numbers(app, committed_documents, audit_disabled):
    from eoffice.extensions import db
    from eoffice.incoming.models import IncomingDocument
    from eoffice.registry.models import NumberAllocation

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: run with EOFFICE_TEST_DATABASE_URL")
    numbers = _register_concurrently(app, committed_documents["book"], committed_documents["docs"])
    assert sorted(numbers) == list(range(1, COUNT + 1))
    with app.app_context():
        rows = db.session.execute(select(IncomingDocument.arrival_year, IncomingDocument.arrival_number,
                                         IncomingDocument.state, IncomingDocument.book_id).where(
            IncomingDocument.id.in_(committed_documents["docs"]))).all()
        assert sorted(r.arrival_number for r in rows) == list(range(1, COUNT + 1))
        assert {(r.arrival_year, r.state, r.book_id) for r in rows} == {
            (2026, "registered", committed_documents["book"])}
        allocated = db.session.scalars(select(NumberAllocation.number).where(
            NumberAllocation.book_id == committed_documents["book"])).all()
        assert sorted(allocated) == list(range(1, COUNT + 1))
