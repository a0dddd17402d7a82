"""Acceptance (e): numbering at issue is race-free and consumes nothing on failure; issuing twice allocates once."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from support import PASSWORD, run_at_once



def _allocations(db_session, agency):
    from eoffice.registry.models import NumberAllocation

    db_session.expire_all()
    return db_session.scalars(select(NumberAllocation).where(NumberAllocation.agency_id == agency.id)).all()


def test_wrong_seal_pin_consumes_no_number_and_counts(flow, demo_pki, db_session):
    from eoffice.signing.models import SigningCredential

    thanhtri = demo_pki["thanhtri"]
    doc_id = flow.to_signed()
    error = flow.issue(doc_id, thanhtri, pin="0000", expect=403)
    assert error["error"]["code"] == "wrong_pin"
    assert _allocations(db_session, thanhtri) == []
    seal = db_session.scalar(select(SigningCredential).where(SigningCredential.agency_id == thanhtri.id,
                                                             SigningCredential.user_id.is_(None),
                                                             SigningCredential.active.is_(True)))
    assert seal.failed_pins == 1  # the wrong PIN was kept although the request failed
    assert flow.get("thanhtri-clerk", doc_id)["status"] == "signed"
    assert flow.issue(doc_id, thanhtri)["symbol"] == "01/QĐ-UBND"  # the number that was not consumed


def test_failure_after_allocation_gives_the_number_back(flow, demo_pki, db_session, monkeypatch):
    from eoffice.signing import sign
    from eoffice.signing.sign import TimestampError

    thanhtri = demo_pki["thanhtri"]
    doc_id = flow.to_signed()

    def failing_sign(*args, **kwargs):
        raise TimestampError("the timestamp authority did not answer")

    monkeypatch.setattr(sign, "sign_pdf", failing_sign)
    error = flow.issue(doc_id, thanhtri, expect=422)
    assert error["error"]["code"] == "timestamp_failed"
    assert _allocations(db_session, thanhtri) == []
    monkeypatch.undo()
    assert flow.issue(doc_id, thanhtri)["number"] == 1


def test_secret_documents_and_cong_van_take_their_own_symbols(flow, demo_pki, db_session):
    thanhtri = demo_pki["thanhtri"]
    letter = flow.to_signed(code="CV")
    assert flow.issue(letter, thanhtri)["symbol"] == "01/UBND-NV"  # công văn: issuer - drafting unit
    decision = flow.to_signed()
    assert flow.issue(decision, thanhtri)["symbol"] == "02/QĐ-UBND"


# -- concurrency: real transactions, committed and cleaned up ------------------------------------------------------

@pytest.fixture(scope="session")
def race_pki(tmp_path_factory):
    """A small demo PKI of its own (one agency seal, one leader) for the committed race test."""
    from eoffice.signing.pki import create_demo_pki

    root = tmp_path_factory.mktemp("pki-race")
    return create_demo_pki(root, root / "public", agencies=[{"code": "race-out", "name": "UBND xã Thi Đua"}],
                           users=[{"username": "race-out-leader", "full_name": "Chủ Tịch", "agency": "race-out"}],
                           password=PASSWORD, external_url_prefix="http://127.0.0.1:9/pki")


@pytest.fixture
def committed_documents(app, race_pki, monkeypatch):
    """An agency committed for real with a clerk, the seal key and 20 documents signed by its leader; removed
    afterwards. The audit trail is append-only (and cannot be cleaned up), so it is not written meanwhile."""
    from eoffice.accounts.models import Agency, ApiToken, Unit, User, UserRole
    from eoffice.accounts.services import create_agency, create_unit, create_user
    from eoffice.audit import listeners
    from eoffice.core.files import StoredFile
    from eoffice.extensions import db
    from eoffice.exchange.models import OutboxPackage
    from eoffice.outgoing.models import OutgoingDocument, OutgoingEvent, OutgoingFile, OutgoingStep
    from eoffice.outgoing.services.workflow import add_version
    from eoffice.registry.models import BookCounter, DocumentType, NumberAllocation, RegistryBook
    from eoffice.registry.services import create_book
    from eoffice.signing.credentials import Pkcs12Credential
    from eoffice.signing.forms import prepare_signing_copy
    from eoffice.signing.models import SigningCredential, StampImage
    from eoffice.signing.samples import make_sample_pdf
    from eoffice.signing.services import import_pkcs12
    from eoffice.signing.sign import sign_pdf

    monkeypatch.setattr(listeners, "record", lambda *args, **kwargs: None)
    monkeypatch.setitem(app.config, "DEMO_MODE", False)  # no TSA: B-B signatures, fast and offline
    pki = race_pki
    with app.app_context():
        agency = create_agency(slug="race-out", name="UBND xã Thi Đua", abbreviation="UBND", code="000.00.98.Z98",
                               place="Thi Đua")
        office = create_unit(agency, name="Văn phòng", abbreviation="VP")
        create_user(agency, username="race-out-clerk", password=PASSWORD, full_name="Văn Thư",
                            unit_id=office.id, roles=["clerk"])
        leader = create_user(agency, username="race-out-leader", password=PASSWORD, full_name="Chủ Tịch",
                             position="Chủ tịch", unit_id=office.id, roles=["leader"])
        book = create_book(agency, name="Sổ đi", direction="out")
        import_pkcs12(agency, pki.agency_pkcs12_path("race-out").read_bytes(), PASSWORD)
        qd = db.session.scalar(select(DocumentType).where(DocumentType.code == "QD"))
        signer = Pkcs12Credential(pki.user_pkcs12_path("race-out-leader").read_bytes()).unlock(PASSWORD)
        signed = sign_pdf(prepare_signing_copy(make_sample_pdf(1)), signer, field_name="ChuKyLanhDao",
                          level="B-B").pdf
        ids = []
        for n in range(20):
            doc = OutgoingDocument(agency_id=agency.id, status="signed", document_type_id=qd.id,
                                   subject=f"Văn bản {n}", signer_id=leader.id, signer_position="Chủ tịch",
                                   signer_name="Chủ Tịch", drafting_unit_id=office.id, drafter_id=leader.id)
            db.session.add(doc)
            db.session.flush()
            add_version(doc, "leader_signed", signed, "signed.pdf", leader)
            ids.append(doc.id)
        db.session.commit()
        state = {"agency_id": agency.id, "book_id": book.id, "doc_ids": ids}
    yield state
    with app.app_context():
        aid = state["agency_id"]
        doc_ids = select(OutgoingDocument.id).where(OutgoingDocument.agency_id == aid)
        for model in (OutboxPackage, OutgoingEvent, OutgoingFile, OutgoingStep):
            db.session.execute(delete(model).where(model.document_id.in_(doc_ids)))
        from eoffice.outgoing.models import OutgoingRecipient

        db.session.execute(delete(OutgoingRecipient).where(OutgoingRecipient.document_id.in_(doc_ids)))
        db.session.execute(delete(OutgoingDocument).where(OutgoingDocument.agency_id == aid))
        db.session.execute(delete(StoredFile).where(StoredFile.agency_id == aid))
        db.session.execute(delete(NumberAllocation).where(NumberAllocation.agency_id == aid))
        db.session.execute(delete(BookCounter).where(BookCounter.book_id == state["book_id"]))
        db.session.execute(delete(RegistryBook).where(RegistryBook.agency_id == aid))
        db.session.execute(delete(StampImage).where(StampImage.agency_id == aid))
        db.session.execute(delete(SigningCredential).where(SigningCredential.agency_id == aid))
        users = select(User.id).where(User.agency_id == aid)
        db.session.execute(delete(ApiToken).where(ApiToken.user_id.in_(users)))
        db.session.execute(delete(UserRole).where(UserRole.user_id.in_(users)))
        db.session.execute(delete(User).where(User.agency_id == aid))
        db.session.execute(delete(Unit).where(Unit.agency_id == aid))
        db.session.execute(delete(Agency).where(Agency.id == aid))
        db.session.commit()


def test_twenty_concurrent_issue_requests(app, committed_documents):
    """On PostgreSQL (EOFFICE_TEST_DATABASE_URL) the row locks decide; on SQLite the write lock does."""
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "race-out-clerk", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    doc_ids = committed_documents["doc_ids"]
    # Every document once, and five of them a second time at the same moment (a double click).
    targets = doc_ids + doc_ids[:5]

    def issue(doc_id, start):
        local = app.test_client()
        start()
        response = local.post(f"/api/v1/outgoing/{doc_id}/issue", headers=headers,
                              json={"book_id": committed_documents["book_id"], "pin": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return doc_id, response.get_json()["number"]

    results = run_at_once(issue, targets)
    numbers = dict(results)
    assert sorted(numbers.values()) == list(range(1, 21))  # consecutive, no gap, no repeat
    assert all(numbers[doc_id] == number for doc_id, number in results)  # a double click answered the same
    from eoffice.extensions import db
    from eoffice.registry.models import NumberAllocation

    with app.app_context():
        allocated = db.session.scalars(select(NumberAllocation.number).where(
            NumberAllocation.book_id == committed_documents["book_id"])).all()
        assert sorted(allocated) == list(range(1, 21))
