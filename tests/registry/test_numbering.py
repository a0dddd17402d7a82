import pytest
from sqlalchemy import delete, select

from eoffice.core.errors import Conflict, ValidationFailed
from support import run_at_once


def _doc_type(db_session, code):
    from eoffice.registry.models import DocumentType

    return db_session.scalar(select(DocumentType).where(DocumentType.code == code))


def _book(db_session, agency, direction="out", secret=False):
    from eoffice.registry.models import RegistryBook

    return db_session.scalar(select(RegistryBook).where(
        RegistryBook.agency_id == agency.id, RegistryBook.direction == direction, RegistryBook.secret.is_(secret)))


def test_catalogue_is_seeded_by_the_migrations(db_session):
    from eoffice.registry.models import DocumentType

    types = {t.code: t for t in db_session.scalars(select(DocumentType))}
    assert len(types) == 29
    assert types["QD"].abbreviation == "QĐ" and types["QYD"].abbreviation == "QyĐ"
    assert types["TTR"].abbreviation == "TTr" and types["GUQ"].abbreviation == "GUQ"
    assert types["CV"].abbreviation is None and types["THC"].abbreviation is None
    assert "CV" not in {t.abbreviation for t in types.values()}


@pytest.mark.parametrize("number, code, unit, year, expected", [
    (15, "QD", None, None, "15/QĐ-UBND"),
    (5, "CV", "VP", None, "05/UBND-VP"),
    (9, "TB", None, None, "09/TB-UBND"),
    (10, "KH", None, None, "10/KH-UBND"),
    (123, "QYD", None, None, "123/QyĐ-UBND"),
    (30, "QD", None, 2020, "30/2020/QĐ-UBND"),
])
def test_symbol_composer(db_session, number, code, unit, year, expected):
    from eoffice.registry.services import compose_symbol

    assert compose_symbol(number, issuer="UBND", document_type=_doc_type(db_session, code),
                          unit_abbreviation=unit, year=year) == expected


def test_cong_van_needs_the_drafting_unit(app, db_session):
    from eoffice.registry.services import compose_symbol

    with app.test_request_context(), pytest.raises(ValidationFailed):
        compose_symbol(5, issuer="UBND", document_type=_doc_type(db_session, "CV"))


def test_numbers_are_consecutive_per_book_and_restart_each_year(demo, db_session):
    from eoffice.registry.services import allocate_number

    out_book = _book(db_session, demo["thanhtri"])
    in_book = _book(db_session, demo["thanhtri"], "in")
    assert [allocate_number(out_book, year=2026).number for _ in range(3)] == [1, 2, 3]
    assert allocate_number(in_book, year=2026).number == 1
    assert allocate_number(out_book, year=2027).number == 1
    assert allocate_number(out_book, year=2026).number == 4
    assert allocate_number(out_book, year=2026).number_text == "05"


def test_unique_constraint_is_the_last_line_of_defence(demo, db_session):
    from sqlalchemy.exc import IntegrityError

    from eoffice.registry.models import NumberAllocation
    from eoffice.registry.services import allocate_number

    book = _book(db_session, demo["sonoivu"])
    first = allocate_number(book, year=2026)
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add(NumberAllocation(agency_id=book.agency_id, book_id=book.id, year=2026, number=first.number))
            db_session.flush()


def test_closed_book_gives_no_number(app, demo, db_session):
    from eoffice.registry.services import allocate_number

    book = _book(db_session, demo["sonoivu"], "in")
    book.active = False
    with app.test_request_context(), pytest.raises(Conflict):
        allocate_number(book)


def test_book_with_numbers_cannot_be_deleted_or_turned_around(client, demo, api_token, db_session):
    from eoffice.registry.services import allocate_number

    book = _book(db_session, demo["thanhtri"])
    allocate_number(book)
    db_session.commit()
    headers = api_token("thanhtri-admin")
    assert client.delete(f"/api/v1/registry/books/{book.id}", headers=headers).status_code == 409
    assert client.patch(f"/api/v1/registry/books/{book.id}", headers=headers,
                        json={"direction": "in"}).status_code == 409
    closed = client.patch(f"/api/v1/registry/books/{book.id}", headers=headers, json={"active": False})
    assert closed.status_code == 200 and closed.get_json()["active"] is False


def test_clerk_reads_books_but_cannot_create_them(client, demo, api_token):
    clerk = api_token("thanhtri-clerk")
    books = client.get("/api/v1/registry/books", headers=clerk)
    assert books.status_code == 200
    assert {b["name"] for b in books.get_json()["items"]} == {
        "Sổ văn bản đi", "Sổ văn bản đi (Mật)", "Sổ văn bản đến", "Sổ văn bản đến (Mật)"}
    created = client.post("/api/v1/registry/books", headers=clerk, json={"name": "Sổ riêng", "direction": "out"})
    assert created.status_code == 403
    assert client.get("/api/v1/registry/books", headers=api_token("thanhtri-specialist")).status_code == 403


def test_admin_creates_book_with_types(client, demo, api_token, db_session):
    headers = api_token("thanhtri-admin")
    qd = _doc_type(db_session, "QD")
    created = client.post("/api/v1/registry/books", headers=headers, json={
        "name": "Sổ quyết định", "direction": "out", "document_type_ids": [qd.id], "legal_normative": False})
    assert created.status_code == 201 and created.get_json()["document_type_ids"] == [qd.id]
    bad = client.post("/api/v1/registry/books", headers=headers, json={"name": "X", "direction": "sideways"})
    assert bad.status_code == 422
    unknown_type = client.post("/api/v1/registry/books", headers=headers,
                               json={"name": "X", "direction": "out", "document_type_ids": [99999]})
    assert unknown_type.status_code == 422


# -- concurrency: real transactions on separate connections, committed and cleaned up ----------------------------

@pytest.fixture
def committed_book(app):
    """A registry book committed for real, so that concurrent connections see it; removed afterwards."""
    from eoffice.accounts.models import Agency
    from eoffice.extensions import db
    from eoffice.registry.models import BookCounter, NumberAllocation, RegistryBook

    with app.app_context():
        agency = Agency(slug="race", name="Race agency", abbreviation="RACE", code="000.00.99.Z99")
        db.session.add(agency)
        db.session.flush()
        book = RegistryBook(agency_id=agency.id, name="Race book", direction="out")
        db.session.add(book)
        db.session.commit()
        ids = (agency.id, book.id)
    yield ids
    with app.app_context():
        db.session.execute(delete(NumberAllocation).where(NumberAllocation.book_id == ids[1]))
        db.session.execute(delete(BookCounter).where(BookCounter.book_id == ids[1]))
        db.session.execute(delete(RegistryBook).where(RegistryBook.id == ids[1]))
        # Audit entries are append-only, so the race agency's allocations are not audited (no actor, no
        # signal listener would fail) — see the allocate helper below.
        db.session.execute(delete(Agency).where(Agency.id == ids[0]))
        db.session.commit()


def _allocate_concurrently(app, book_id: int, count: int) -> list[int]:
    from eoffice.extensions import db
    from eoffice.registry.models import RegistryBook
    from eoffice.registry.services import allocate_number

    def allocate(_item, start):
        with app.app_context():
            book = db.session.get(RegistryBook, book_id)
            db.session.commit()
            start()
            number = allocate_number(book, year=2026, reference="race").number
            db.session.commit()
            return number

    return run_at_once(allocate, range(count))


@pytest.mark.postgresql
def test_fifty_concurrent_allocations_on_postgresql(app, committed_book, audit_disabled):
    from eoffice.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: run with EOFFICE_TEST_DATABASE_URL")
    numbers = _allocate_concurrently(app, committed_book[1], 50)
    assert sorted(numbers) == list(range(1, 51))


@pytest.mark.sqlite_only
def test_concurrent_allocations_on_sqlite(app, committed_book, audit_disabled):
    from eoffice.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite behaviour")
    numbers = _allocate_concurrently(app, committed_book[1], 20)
    assert sorted(numbers) == list(range(1, 21))


@pytest.fixture
def audit_disabled():
    """The race tests commit for real; their allocation audit entries would outlive the test (the audit table is
    append-only), so the listener is detached while they run."""
    from eoffice.audit import listeners
    from eoffice.core import signals

    signals.number_allocated.disconnect(listeners._number_allocated)
    yield
    signals.number_allocated.connect(listeners._number_allocated)
