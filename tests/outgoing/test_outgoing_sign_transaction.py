"""The leader's signature is made with no database transaction open, and stored only if the document is still
what was signed (same main file, copy and signer)."""

from __future__ import annotations

import pytest
from support import PASSWORD

from .helpers import UNIT_HEAD


@pytest.fixture
def during_signing(monkeypatch):
    """Runs `actions` while the leader's signature is being made, and records whether a transaction was open."""
    from eoffice.extensions import db
    from eoffice.outgoing.services import workflow

    state = {"open": [], "actions": []}
    real = workflow._sign_copy

    def watching(pdf, signer, options):
        state["open"].append(db.session().in_transaction())
        for action in state["actions"]:
            action()
        return real(pdf, signer, options)

    monkeypatch.setattr(workflow, "_sign_copy", watching)
    return state


def _approved(flow):
    doc_id = flow.draft()
    flow.act("thanhtri-specialist", doc_id, "submit")
    flow.act(UNIT_HEAD, doc_id, "approve")
    return doc_id


def test_the_leader_signs_with_no_transaction_open(flow, demo_pki, during_signing):
    doc_id = _approved(flow)
    signed = flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    assert signed["status"] == "signed" and during_signing["open"] == [False]
    assert [f["role"] for f in signed["files"]].count("leader_signed") == 1


def test_a_document_changed_while_it_was_signed_is_not_stored_as_signed(flow, demo_pki, during_signing, db_session):
    from eoffice.extensions import db
    from eoffice.outgoing.models import MAIN, OutgoingDocument, OutgoingFile

    doc_id = _approved(flow)

    def a_new_main_file_arrives():  # what a concurrent request could commit meanwhile
        doc = db.session.get(OutgoingDocument, doc_id)
        main = doc.current_file(MAIN)
        db.session.add(OutgoingFile(document=doc, role=MAIN, position=0, version=main.version + 1,
                                    stored_file=main.stored_file, created_by_id=main.created_by_id))
        db.session.commit()

    during_signing["actions"].append(a_new_main_file_arrives)
    response = flow.act("thanhtri-leader", doc_id, "sign", expect=409, pin=PASSWORD)
    assert response["error"]["code"] == "changed_while_signing"
    body = flow.get("thanhtri-specialist", doc_id)
    assert body["status"] != "signed" and not any(f["role"] == "leader_signed" for f in body["files"])
    # Signed again, it is the new main file that gets signed.
    during_signing["actions"].clear()
    assert flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)["status"] == "signed"
