"""The exchange pipeline end to end inside one deployment: thanhtri issues a document to sonoivu (local partners
of each other), the delivery job seals and hands it to the local transport, sonoivu receives it once as a
document waiting to be registered, and the status codes flow back onto thanhtri's recipient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outgoing.conftest import appendix_pdf, demo_pki, flow, pki_server, sample_pdf  # noqa: F401  (fixtures)
from outgoing.helpers import user
from support import PASSWORD

SUBJECT = "Về việc ban hành Quy chế quản lý văn bản điện tử"


def _issue_to_sonoivu(flow, demo, **draft):
    doc_id = flow.to_signed(recipients=[{"kind": "agency", "agency_id": demo["sonoivu"].id, "mode": "electronic"}],
                            **draft)
    flow.issue(doc_id, demo["thanhtri"])
    return doc_id


def _received(db_session, agency):
    from eoffice.incoming.models import IncomingDocument

    db_session.expire_all()
    return db_session.scalars(select(IncomingDocument).where(IncomingDocument.agency_id == agency.id,
                                                             IncomingDocument.source == "exchange")).all()


def _recipient(db_session, doc_id):
    from eoffice.outgoing.models import OutgoingRecipient

    db_session.expire_all()
    return db_session.scalar(select(OutgoingRecipient).where(OutgoingRecipient.document_id == doc_id))


def _outbox(db_session, **where):
    from eoffice.exchange.models import OutboxPackage

    db_session.expire_all()
    query = select(OutboxPackage).order_by(OutboxPackage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxPackage, key) == value)
    return db_session.scalars(query).all()


def test_an_issued_document_arrives_once_and_the_statuses_flow_back(client, flow, demo_pki, db_session):
    from eoffice.outgoing.models import OutgoingDocument

    thanhtri, sonoivu = demo_pki["thanhtri"], demo_pki["sonoivu"]
    doc_id = _issue_to_sonoivu(flow, demo_pki)
    sent = db_session.get(OutgoingDocument, doc_id)
    [package] = _outbox(db_session, document_id=doc_id)
    assert package.status == "sent" and package.ack == "done" and package.attempts == 1
    assert package.document_identifier == f"{thanhtri.code},{sent.issued_date:%Y/%m/%d},{sent.symbol}"

    [doc] = _received(db_session, sonoivu)
    assert doc.state == "received" and doc.electronic and doc.signature_valid is True
    assert (doc.issuer_code, doc.issuer_name, doc.subject) == (thanhtri.code, thanhtri.name, SUBJECT)
    assert f"{doc.code_number}/{doc.code_notation}" == sent.symbol and doc.issued_date == sent.issued_date
    assert doc.document_identifier == package.document_identifier
    assert doc.signer_name == sent.signer_name and doc.page_amount == 1 and doc.urgency == 1
    assert doc.document_type_id == sent.document_type_id and doc.to_places
    # The clerk of sonoivu sees it waiting in the API; status 01 went back at once.
    listed = client.get(f"/api/v1/incoming/{doc.id}", headers=flow.headers("sonoivu-clerk"))
    assert listed.status_code == 200 and listed.get_json()["state"] == "received"
    recipient = _recipient(db_session, doc_id)
    assert (recipient.status, recipient.exchange_status) == ("delivered", "01") and recipient.status_at

    # Registration in sonoivu sends 03; it arrives on thanhtri's recipient.
    from eoffice.registry.models import RegistryBook

    book = db_session.scalar(select(RegistryBook).where(RegistryBook.agency_id == sonoivu.id,
                                                        RegistryBook.direction == "in",
                                                        RegistryBook.secret.is_(False)))
    registered = client.post(f"/api/v1/incoming/{doc.id}/register", headers=flow.headers("sonoivu-clerk"),
                             json={"book_id": book.id})
    assert registered.status_code == 200, registered.get_json()
    assert _recipient(db_session, doc_id).exchange_status == "03"
    specialist = user(db_session, "sonoivu-specialist")
    directed = client.post(f"/api/v1/incoming/{doc.id}/direct", headers=flow.headers("sonoivu-leader"),
                           json={"opinion": "Giao xử lý.", "lead": [{"user_id": specialist.id}]})
    assert directed.status_code == 200, directed.get_json()
    assert _recipient(db_session, doc_id).exchange_status == "04"
    codes = [p.status_code for p in _outbox(db_session, agency_id=sonoivu.id, kind="status")]
    assert codes == ["01", "03", "04"]
    assert {p.status for p in _outbox(db_session, agency_id=sonoivu.id, kind="status")} == {"sent"}

    # The same package delivered again makes no second document and no second 01.
    from eoffice.exchange.outbox import deliver_outbox

    package.status = "pending"
    db_session.commit()
    assert deliver_outbox(package.id)["ack"] == "duplicate"
    db_session.commit()
    assert len(_received(db_session, sonoivu)) == 1
    assert [p.status_code for p in _outbox(db_session, agency_id=sonoivu.id, kind="status")] == codes


def test_a_secret_document_is_never_packaged(flow, demo_pki, db_session):
    from eoffice.exchange.models import OutboxPackage
    from eoffice.exchange.outbox import deliver_outbox
    from eoffice.outgoing.models import OutgoingDocument

    doc_id = _issue_to_sonoivu(flow, demo_pki)
    doc = db_session.get(OutgoingDocument, doc_id)
    # Made secret behind the form's back: the exchange boundary refuses it all the same.
    doc.secrecy = "mat"
    row = OutboxPackage(agency_id=doc.agency_id, package_id="secret-1", document_id=doc.id,
                        recipient_id=doc.recipients[0].id, status="pending")
    db_session.add(row)
    db_session.commit()
    before = len(_received(db_session, demo_pki["sonoivu"]))
    outcome = deliver_outbox(row.id)
    db_session.commit()
    assert outcome["status"] == "dead" and "secret" in outcome["error"]
    assert len(_received(db_session, demo_pki["sonoivu"])) == before
