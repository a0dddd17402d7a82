"""Delivery after issuing: per-recipient status, the exchange outbox (new, recall, update, replace), the partner
directory, the frozen state of a recalled document, and the audit trail of the whole flow."""

from __future__ import annotations

from sqlalchemy import select

from support import PASSWORD


def _packages(db_session, doc_id):
    from eoffice.exchange.models import OutboxPackage

    db_session.expire_all()
    return db_session.scalars(select(OutboxPackage).where(OutboxPackage.document_id == doc_id)
                              .order_by(OutboxPackage.id)).all()


def test_recall_update_replace_write_outbox_packages(client, flow, demo_pki, db_session):
    thanhtri = demo_pki["thanhtri"]
    clerk = flow.headers("thanhtri-clerk")
    partner = client.post("/api/v1/outgoing/partners", headers=clerk,
                          json={"name": "Sở Tài chính tỉnh Sóc Trăng", "organ_id": "000.03.00.H55"})
    assert partner.status_code == 201
    assert client.post("/api/v1/outgoing/partners", headers=clerk,
                       json={"name": "Trùng", "organ_id": "000.03.00.H55"}).status_code == 409
    recipients = [{"kind": "partner", "partner_id": partner.get_json()["id"], "mode": "electronic"},
                  {"kind": "place", "name": "Lưu: VT"}]
    first = flow.to_signed(recipients=recipients)
    issued = flow.issue(first, thanhtri)
    # A partner with no address cannot be reached: the package is a dead letter at once, for the admin to retry.
    assert [(p.business_type, p.status) for p in _packages(db_session, first)] == [(0, "dead")]
    paper = next(r for r in issued["recipients"] if r["kind"] == "place")
    marked = client.post(f"/api/v1/outgoing/{first}/recipients/{paper['id']}/status", headers=clerk,
                         json={"status": "paper_sent", "note": "Bưu điện, số 123"})
    assert marked.status_code == 200 and marked.get_json()["status"] == "paper_sent"
    assert client.post(f"/api/v1/outgoing/{first}/recipients/{paper['id']}/status", headers=clerk,
                       json={"status": "delivered"}).status_code == 422  # paper only is delivered on paper

    updated = flow.act("thanhtri-clerk", first, "update", reason="Đính chính ngày hiệu lực.")
    assert updated["status"] == "issued" and updated["status_reason"] == "Đính chính ngày hiệu lực."
    flow.act("thanhtri-specialist", first, "recall", expect=403, reason="X")
    flow.act("thanhtri-clerk", first, "recall", expect=422, reason="")
    recalled = flow.act("thanhtri-clerk", first, "recall", reason="Ban hành sai thẩm quyền.")
    assert recalled["status"] == "recalled" and {r["status"] for r in recalled["recipients"]} == {"recalled"}
    assert [p.business_type for p in _packages(db_session, first)] == [0, 2, 1]
    # Frozen: nothing else happens to a recalled document.
    flow.act("thanhtri-clerk", first, "update", expect=409, reason="X")
    flow.act("thanhtri-clerk", first, "replace", expect=409, reason="X")

    second = flow.to_signed(recipients=recipients[:1])
    flow.issue(second, thanhtri)
    third = flow.to_signed(recipients=recipients[:1])
    flow.issue(third, thanhtri)
    replaced = flow.act("thanhtri-clerk", second, "replace", reason="Thay bằng văn bản mới.", replacement_id=third)
    assert replaced["status"] == "replaced" and replaced["replaced_by_id"] == third
    assert [p.business_type for p in _packages(db_session, second)] == [0, 3]
    assert len({p.package_id for p in _packages(db_session, second)}) == 2  # every package has its own id


def test_the_flow_is_in_the_audit_trail(flow, demo_pki, db_session):
    from eoffice.audit.models import AuditEntry

    doc_id = flow.to_signed()
    flow.issue(doc_id, demo_pki["thanhtri"])
    actions = db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "outgoing_document", AuditEntry.object_id == str(doc_id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["outgoing.create", "outgoing.upload", "outgoing.submit", "outgoing.approve",
                       "outgoing.approve", "outgoing.sign", "outgoing.issue"]
    everything = " ".join(db_session.scalars(select(AuditEntry.data)))
    assert PASSWORD not in everything
