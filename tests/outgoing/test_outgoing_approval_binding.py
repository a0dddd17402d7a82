"""Approvals are bound to the content: a new main file or another signer after any approval restarts the whole
approval chain, recorded in the document's history, and the leader cannot sign until it is approved again."""

from __future__ import annotations

from support import PASSWORD

from .helpers import UNIT_HEAD, user


def _approved_once(flow):
    doc_id = flow.draft()
    flow.act("thanhtri-specialist", doc_id, "submit")
    flow.act(UNIT_HEAD, doc_id, "approve", comment="Đồng ý nội dung.")
    return doc_id


def _assert_restarted(flow, doc_id):
    body = flow.get("thanhtri-specialist", doc_id)
    assert body["status"] == "in_review"
    restart = [e for e in body["history"] if e["action"] == "restart"]
    assert len(restart) == 1 and "bắt đầu lại" in restart[0]["comment"]
    # signing refused until the chain is approved again
    refused = flow.act("thanhtri-leader", doc_id, "sign", expect=409, pin=PASSWORD)
    assert refused["error"]["code"] == "wrong_state"
    flow.act(UNIT_HEAD, doc_id, "approve", comment="Đồng ý bản mới.")
    flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    assert flow.get("thanhtri-specialist", doc_id)["status"] == "signed"


def test_a_new_main_file_after_an_approval_restarts_the_chain(flow, demo_pki, appendix_pdf):
    doc_id = _approved_once(flow)
    flow.upload("thanhtri-specialist", doc_id, appendix_pdf, name="du-thao-2.pdf")
    _assert_restarted(flow, doc_id)


def test_another_signer_after_an_approval_restarts_the_chain(flow, demo_pki, client, db_session):
    from eoffice.accounts import services

    doc_id = _approved_once(flow)
    agency = user(db_session, "thanhtri-leader").agency
    deputy = services.create_user(agency, username="thanhtri-deputy", password=PASSWORD, roles=["leader"],
                                  full_name="Phó Chủ Tịch", unit_id=user(db_session, "thanhtri-leader").unit_id)
    db_session.commit()
    changed = client.patch(f"/api/v1/outgoing/{doc_id}", headers=flow.headers("thanhtri-specialist"),
                           json={"signer_id": deputy.id})
    assert changed.status_code == 200, changed.get_json()
    body = flow.get("thanhtri-specialist", doc_id)
    assert body["status"] == "in_review" and [e["action"] for e in body["history"]][-1] == "restart"
    changed = client.patch(f"/api/v1/outgoing/{doc_id}", headers=flow.headers("thanhtri-specialist"),
                           json={"signer_id": user(db_session, "thanhtri-leader").id})
    assert changed.status_code == 200
    # no approval since the last restart: changing back is a change, not a second restart
    assert [e["action"] for e in flow.get("thanhtri-specialist", doc_id)["history"]].count("restart") == 1
    _assert_restarted(flow, doc_id)
