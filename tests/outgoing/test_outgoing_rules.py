"""Acceptance (f) and the workflow rules: order enforced by the server, signing only by the signer, secret documents
never electronic, a change after approval back to the signer, returns with comments, parallel and n-of-m steps,
versions kept, DOCX without LibreOffice refused clearly."""

from __future__ import annotations

from support import PASSWORD

from .helpers import UNIT_HEAD, doc_type, unit, user


def test_out_of_turn_approval_and_signing_in_another_name_get_403(flow, demo_pki):
    doc_id = flow.draft()
    flow.act("thanhtri-leader", doc_id, "sign", expect=409, pin=PASSWORD)  # not even submitted
    flow.act("thanhtri-specialist", doc_id, "submit")
    for username in ("thanhtri-leader", "thanhtri-clerk", "thanhtri-specialist"):
        flow.act(username, doc_id, "approve", expect=403)
        flow.act(username, doc_id, "return", expect=403, comment="Sửa lại")
    # Signing in someone else's name: only the chosen signer signs.
    flow.act(UNIT_HEAD, doc_id, "sign", expect=403, pin=PASSWORD)
    flow.act(UNIT_HEAD, doc_id, "approve")
    flow.act(UNIT_HEAD, doc_id, "approve", expect=403)  # an approval counts once
    flow.act("thanhtri-clerk", doc_id, "sign", expect=403, pin=PASSWORD)
    error = flow.act("thanhtri-leader", doc_id, "sign", expect=403, pin="0000")  # wrong PIN: counted, nothing signed
    assert error["error"]["code"] == "wrong_pin"
    assert flow.get("thanhtri-leader", doc_id)["status"] == "in_review"
    assert flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)["status"] == "signed"
    flow.act("thanhtri-specialist", doc_id, "issue", expect=403, book_id=1, pin=PASSWORD)


def test_secret_document_cannot_be_sent_electronically(flow, demo_pki, db_session, client):
    thanhtri = demo_pki["thanhtri"]
    tckh = unit(db_session, thanhtri, "TCKH")
    created = client.post("/api/v1/outgoing", headers=flow.headers("thanhtri-specialist"), json={
        "document_type_id": doc_type(db_session, "QD").id, "subject": "Mật", "secrecy": "mat",
        "signer_id": user(db_session, "thanhtri-leader").id,
        "recipients": [{"kind": "unit", "unit_id": tckh.id, "mode": "electronic"}]})
    assert created.status_code == 409 and created.get_json()["error"]["code"] == "secret_electronic"
    doc_id = flow.draft(secrecy="mat", recipients=[{"kind": "unit", "unit_id": tckh.id, "mode": "paper"}])
    changed = client.patch(f"/api/v1/outgoing/{doc_id}", headers=flow.headers("thanhtri-specialist"),
                           json={"recipients": [{"kind": "agency", "agency_id": demo_pki["sonoivu"].id,
                                                 "mode": "electronic_paper"}]})
    assert changed.status_code == 409
    # An ordinary document with an electronic recipient cannot become secret either.
    plain = flow.draft(recipients=[{"kind": "unit", "unit_id": tckh.id}])
    assert client.patch(f"/api/v1/outgoing/{plain}", headers=flow.headers("thanhtri-specialist"),
                        json={"secrecy": "toi_mat"}).status_code == 409
    # The secret one goes through to issuing in the secret book, paper only.
    flow.act("thanhtri-specialist", doc_id, "submit")
    flow.act(UNIT_HEAD, doc_id, "approve")
    flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    flow.issue(doc_id, thanhtri, expect=422)  # the ordinary book does not number secret documents
    issued = flow.issue(doc_id, thanhtri, secret=True)
    assert issued["symbol"] == "01/QĐ-UBND" and issued["recipients"][0]["mode"] == "paper"


def test_the_secret_form_is_refused_on_the_page(client, login, demo_pki, db_session):
    login("thanhtri-specialist")
    tckh = unit(db_session, demo_pki["thanhtri"], "TCKH")
    response = client.post("/outgoing/new", data={
        "document_type_id": doc_type(db_session, "QD").id, "subject": "Mật", "secrecy": "mat",
        "signer_id": user(db_session, "thanhtri-leader").id, "drafting_unit_id": tckh.id,
        "unit_ids": [tckh.id], "mode": "electronic", "priority": 0, "issued_amount": 1, "language": "vi"})
    assert response.status_code == 400
    assert "không được gửi điện tử" in response.get_data(as_text=True)


def test_change_after_approval_goes_back_to_the_signer(flow, demo_pki, client, sample_pdf):
    doc_id = flow.draft()
    flow.act("thanhtri-specialist", doc_id, "submit")
    flow.act(UNIT_HEAD, doc_id, "approve")
    approved = flow.act("thanhtri-leader", doc_id, "approve", comment="Đồng ý ban hành.")
    assert approved["status"] == "approved" and any(f["role"] == "signing_copy" for f in approved["files"])
    changed = client.patch(f"/api/v1/outgoing/{doc_id}", headers=flow.headers("thanhtri-specialist"),
                           json={"subject": "Về việc sửa đổi Quy chế"})
    body = changed.get_json()
    assert changed.status_code == 200 and body["status"] == "in_review"
    assert [s["kind"] for s in body["steps"] if s["completed_at"] is None] == ["signer"]
    assert [e["valid"] for e in body["history"] if e["action"] == "approve"] == [True, False]
    flow.act(UNIT_HEAD, doc_id, "approve", expect=403)  # the head's approval still stands
    signed = flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    copies = [f for f in signed["files"] if f["role"] == "signing_copy"]
    assert signed["status"] == "signed" and len(copies) == 2  # prepared again from the changed draft
    assert client.patch(f"/api/v1/outgoing/{doc_id}", headers=flow.headers("thanhtri-specialist"),
                        json={"subject": "X"}).status_code == 409
    flow.upload("thanhtri-specialist", doc_id, sample_pdf, expect=409)


def test_return_with_comment_restarts_the_review_and_versions_are_kept(flow, demo_pki, client, sample_pdf):
    doc_id = flow.draft()
    flow.act("thanhtri-specialist", doc_id, "submit")
    flow.act(UNIT_HEAD, doc_id, "return", expect=422)  # a return says why
    returned = flow.act(UNIT_HEAD, doc_id, "return", comment="Bổ sung căn cứ pháp lý.")
    assert returned["status"] == "draft" and returned["history"][-1]["comment"] == "Bổ sung căn cứ pháp lý."
    flow.upload("thanhtri-specialist", doc_id, sample_pdf)
    versions = [f["version"] for f in flow.get("thanhtri-specialist", doc_id)["files"] if f["role"] == "main"]
    assert versions == [1, 2]
    flow.act("thanhtri-specialist", doc_id, "submit")
    assert flow.act(UNIT_HEAD, doc_id, "approve")["current_position"] == 2


def test_configured_parallel_and_n_of_m_steps(flow, demo_pki, client, api_token, db_session):
    from eoffice.accounts.services import create_user

    admin = api_token("thanhtri-admin")
    qd = doc_type(db_session, "QD").id
    create_user(demo_pki["thanhtri"], username="thanhtri-deputy", password=PASSWORD, full_name="Phó Chủ tịch",
                position="Phó Chủ tịch", unit_id=unit(db_session, demo_pki["thanhtri"], "VP").id, roles=["leader"])
    db_session.commit()
    for body in ({"kind": "unit_head", "position": 1}, {"kind": "format_check", "position": 1, "name": "Thể thức"},
                 {"kind": "leader", "position": 2, "required_approvals": 2}, {"kind": "signer", "position": 3}):
        assert client.post("/api/v1/outgoing/steps", headers=admin,
                           json={**body, "document_type_id": qd}).status_code == 201
    assert client.post("/api/v1/outgoing/steps", headers=flow.headers("thanhtri-clerk"),
                       json={"kind": "signer", "position": 1}).status_code == 403
    doc_id = flow.draft()
    steps = flow.act("thanhtri-specialist", doc_id, "submit")["steps"]
    assert [(s["position"], s["kind"]) for s in steps] == [(1, "unit_head"), (1, "format_check"), (2, "leader"),
                                                           (3, "signer")]
    flow.act("thanhtri-clerk", doc_id, "approve", comment="Đúng thể thức.")  # parallel: either order
    assert flow.get("thanhtri-clerk", doc_id)["current_position"] == 1
    flow.act(UNIT_HEAD, doc_id, "approve")
    flow.act("thanhtri-leader", doc_id, "approve")
    assert flow.get("thanhtri-leader", doc_id)["current_position"] == 2  # 1 of 2 leaders
    flow.act("thanhtri-deputy", doc_id, "approve")
    assert flow.get("thanhtri-leader", doc_id)["current_position"] == 3
    assert flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)["status"] == "signed"


def test_docx_without_libreoffice_is_refused_clearly(flow, demo_pki, monkeypatch):
    from eoffice.outgoing.services import drafting

    doc_id = flow.draft()
    monkeypatch.setattr(drafting.shutil, "which", lambda name: None)
    docx = b"PK\x03\x04" + b"\0" * 100
    error = flow.upload("thanhtri-specialist", doc_id, docx, name="du-thao.docx", expect=422)
    assert error["error"]["code"] == "conversion_unavailable" and "LibreOffice" in error["error"]["message"]
    flow.upload("thanhtri-specialist", doc_id, b"GIF89a", name="x.gif", expect=422)


def test_docx_is_converted_and_kept_beside_the_pdf(flow, demo_pki, monkeypatch, tmp_path, sample_pdf):
    """The conversion plumbing, with a stand-in for LibreOffice that writes a PDF where soffice would."""
    import stat

    from eoffice.outgoing.services import drafting

    (tmp_path / "out.pdf").write_bytes(sample_pdf)
    fake = tmp_path / "soffice"
    # soffice … --outdir DIR FILE.docx writes DIR/FILE.pdf
    fake.write_text('#!/bin/sh\nfor last; do :; done\neval dir=\\${$(($#-1))}\n'
                    f'cp "{tmp_path / "out.pdf"}" "$dir/$(basename "$last" .docx).pdf"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(drafting.shutil, "which", lambda name: str(fake) if name == "soffice" else None)
    doc_id = flow.draft()
    uploaded = flow.upload("thanhtri-specialist", doc_id, b"PK\x03\x04 docx", name="du-thao.docx")
    assert uploaded["version"] == 2
    main = [f for f in flow.get("thanhtri-specialist", doc_id)["files"] if f["role"] == "main"][-1]
    assert main["name"] == "du-thao.pdf" and main["converted_from"] == "du-thao.docx"


def test_a_chain_nobody_can_finish_is_refused_at_submission(flow, demo_pki, db_session):
    """sonoivu's specialist sits in a unit without a leader: the default chain's first step has nobody."""
    doc_id = flow.draft("sonoivu-specialist")
    error = flow.act("sonoivu-specialist", doc_id, "submit", expect=409)
    assert error["error"]["code"] == "step_unstaffed" and error["error"]["details"] == {"step": "unit_head"}
    assert flow.get("sonoivu-specialist", doc_id)["status"] == "draft"


def test_signing_twice_signs_once(flow, demo_pki):
    doc_id = flow.to_signed()
    again = flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    assert again["status"] == "signed" and [f["role"] for f in again["files"]].count("leader_signed") == 1
