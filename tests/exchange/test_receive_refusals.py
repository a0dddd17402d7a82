"""Receiving refuses with a clear reason, and answers 02 where the sender is known: an altered attachment, an
altered envelope, an unknown sender; malformed XML, an entity bomb and an oversized body are refused with 4xx
and nothing stored. A failing transport is retried with back-off and dead-lettered; an admin retries it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select

from outgoing.conftest import demo_pki, flow, pki_server, sample_pdf  # noqa: F401  (fixtures)

from .test_delivery import _issue_to_sonoivu, _outbox, _received

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
BOMB = (b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b']><edXML xmlns="' + NS.encode() + b'">&b;</edXML>')


@pytest.fixture
def sealed(flow, demo_pki, db_session):
    """A document issued to sonoivu, its package as thanhtri's deployment seals it, and the row that sent it."""
    from eoffice.exchange import packages
    from eoffice.exchange.models import ExchangePartner
    from eoffice.outgoing.models import OutgoingDocument

    doc_id = _issue_to_sonoivu(flow, demo_pki)
    doc = db_session.get(OutgoingDocument, doc_id)
    partner = db_session.scalar(select(ExchangePartner).where(
        ExchangePartner.agency_id == demo_pki["thanhtri"].id,
        ExchangePartner.target_agency_id == demo_pki["sonoivu"].id))
    return packages.seal_package(doc.agency, packages.document_package(doc, partner)), doc


def _post(client, data):
    return client.post("/exchange/v1/packages", data=data, content_type="application/xml")


def _count(db_session, model):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def test_the_endpoint_acknowledges_a_package_and_a_duplicate(client, sealed, demo_pki, db_session):
    data, _doc = sealed
    answer = _post(client, data)
    assert answer.status_code == 202 and answer.get_json() == {"ack": "duplicate", "kind": "document"}
    assert len(_received(db_session, demo_pki["sonoivu"])) == 1


def _altered_attachment(data: bytes) -> bytes:
    root = etree.fromstring(data)
    content = root.find(f".//{{{NS}}}ContentTransferEncoded")
    pdf = base64.b64decode(content.text)
    content.text = base64.b64encode(pdf.replace(b"%%EOF", b"%%EOF\n% altered", 1)).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _altered_envelope(data: bytes) -> bytes:
    root = etree.fromstring(data)
    root.find(f".//{{{NS}}}Subject").text = "Một trích yếu khác"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("alter", [_altered_attachment, _altered_envelope], ids=["attachment", "envelope"])
def test_an_altered_package_is_refused_with_02_back(client, sealed, demo_pki, db_session, alter):
    from eoffice.exchange.models import OutboxPackage

    data, doc = sealed
    # A fresh document id, so the package is not the duplicate of the one delivered at issuing.
    data = data.replace(doc.symbol.encode(), doc.symbol.replace("/", "9/", 1).encode())
    answer = _post(client, alter(data))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "signature_invalid" and error["details"]["ack"] == "fail"
    assert len(_received(db_session, demo_pki["sonoivu"])) == 1  # only the genuine delivery
    refusal = db_session.scalar(select(OutboxPackage).where(OutboxPackage.agency_id == demo_pki["sonoivu"].id,
                                                           OutboxPackage.status_code == "02"))
    assert refusal is not None and "signature_invalid" in refusal.description


def test_an_unknown_sender_is_refused_without_status(client, sealed, demo_pki, db_session):
    from eoffice.exchange.models import ExchangePartner, OutboxPackage

    data, _doc = sealed
    partner = db_session.scalar(select(ExchangePartner).where(
        ExchangePartner.agency_id == demo_pki["sonoivu"].id, ExchangePartner.target_agency_id == demo_pki["thanhtri"].id))
    partner.active = False
    db_session.commit()
    before = _count(db_session, OutboxPackage)
    answer = _post(client, data)
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "unknown_sender"
    assert _count(db_session, OutboxPackage) == before


@pytest.mark.parametrize("body, status, code", [
    (b"<edXML><unclosed>", 400, "malformed_xml"),
    (BOMB, 400, "doctype_refused"),
    (b"", 400, "empty"),
], ids=["malformed", "entity-bomb", "empty"])
def test_unreadable_bodies_are_refused_and_nothing_stored(client, app, demo_pki, db_session, body, status, code):
    from eoffice.exchange.models import InboxPackage, OutboxPackage

    before = (_count(db_session, InboxPackage), _count(db_session, OutboxPackage))
    answer = _post(client, body)
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code
    assert (_count(db_session, InboxPackage), _count(db_session, OutboxPackage)) == before


def test_an_oversized_body_is_refused(client, app, demo_pki, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_MAX_PACKAGE_BYTES", 1000)
    answer = _post(client, b"<edXML>" + b" " * 2000 + b"</edXML>")
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "too_large"


def test_a_failing_transport_retries_with_back_off_then_dead_letters(client, app, flow, demo_pki, db_session,
                                                                     monkeypatch):
    from eoffice.exchange.outbox import deliver_outbox, sweep_outbox
    from eoffice.exchange.transports import TransportError
    from eoffice.exchange.transports.local import LocalTransport

    def down(self, data, partner):
        raise TransportError("connection refused")

    working = LocalTransport.send
    monkeypatch.setattr(LocalTransport, "send", down)
    monkeypatch.setitem(app.config, "EXCHANGE_MAX_ATTEMPTS", 3)
    doc_id = _issue_to_sonoivu(flow, demo_pki)
    [row] = _outbox(db_session, document_id=doc_id)
    assert (row.status, row.attempts, row.last_error) == ("retrying", 1, "TransportError: connection refused")
    first_wait = row.next_attempt_at - row.created_at
    assert sweep_outbox() == []  # not before its back-off
    db_session.commit()  # the test's own transaction ends here, as a job's would
    deliver_outbox(row.id)
    db_session.commit()
    [row] = _outbox(db_session, document_id=doc_id)
    assert row.status == "retrying" and row.attempts == 2
    assert row.next_attempt_at - row.created_at > first_wait + timedelta(seconds=50)  # the wait doubled
    row.next_attempt_at = row.created_at
    db_session.commit()
    assert sweep_outbox() == [row.id]  # the sweeper queues it when the back-off ends (and it fails again)
    db_session.commit()
    [row] = _outbox(db_session, document_id=doc_id)
    assert row.status == "dead" and row.attempts == 3
    assert row.recipient.status == "failed"

    # The admin sees the dead letter and sends it again, now that the partner answers.
    monkeypatch.setattr(LocalTransport, "send", working)
    admin = flow.headers("thanhtri-admin")
    dead = client.get("/api/v1/exchange/outbox?status=dead", headers=admin)
    assert [item["id"] for item in dead.get_json()["items"]] == [row.id]
    assert client.get("/api/v1/exchange/outbox", headers=flow.headers("thanhtri-clerk")).status_code == 403
    retried = client.post(f"/api/v1/exchange/outbox/{row.id}/retry", headers=admin)
    assert retried.status_code == 200, retried.get_json()
    [row] = _outbox(db_session, document_id=doc_id)
    assert row.status == "sent", (row.ack, row.last_error)
    assert row.recipient.exchange_status == "01"
    assert len(_received(db_session, demo_pki["sonoivu"])) == 1


def test_the_sweeper_requeues_a_package_a_crash_left_pending(flow, demo_pki, db_session, monkeypatch):
    from eoffice.exchange.outbox import sweep_outbox
    from eoffice.extensions import jobs

    enqueue = jobs.enqueue
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: None if name == "exchange.deliver"
                        else enqueue(name, *args))  # the hand-off is lost
    doc_id = _issue_to_sonoivu(flow, demo_pki)
    monkeypatch.setattr(jobs, "enqueue", enqueue)
    [row] = _outbox(db_session, document_id=doc_id)
    assert row.status == "pending" and _received(db_session, demo_pki["sonoivu"]) == []
    row.next_attempt_at = row.created_at  # the grace period is over
    db_session.commit()
    assert sweep_outbox() == [row.id]
    db_session.commit()
    [row] = _outbox(db_session, document_id=doc_id)
    assert row.status == "sent" and len(_received(db_session, demo_pki["sonoivu"])) == 1
