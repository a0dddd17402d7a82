"""Acceptance (a) and (c): the whole flow through the API, and the issued PDF's two signatures."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from support import PASSWORD

from .helpers import UNIT_HEAD, unit


def _verify(app, pdf):
    from eoffice.signing.services import parse_certificates
    from eoffice.signing.verify import verify_pdf

    root = parse_certificates((Path(app.config["PKI_PATH"]) / "root-ca.pem").read_bytes())
    return verify_pdf(pdf, trust_roots=root, offline=True)


def test_specialist_drafts_head_approves_leader_signs_clerk_issues(app, client, flow, demo_pki, db_session,
                                                                   appendix_pdf, sample_pdf, demo_nssdb,
                                                                   tmp_path):
    from eoffice.exchange.models import OutboxPackage
    from eoffice.outgoing.models import OutgoingRecipient
    from eoffice.registry.models import NumberAllocation

    thanhtri = demo_pki["thanhtri"]
    tcKH = unit(db_session, thanhtri, "TCKH")
    recipients = [{"kind": "unit", "unit_id": tcKH.id, "mode": "electronic"},
                  {"kind": "agency", "agency_id": demo_pki["sonoivu"].id, "mode": "electronic_paper"},
                  {"kind": "place", "name": "Như Điều 3"}]
    doc_id = flow.draft(recipients=recipients)
    flow.upload("thanhtri-specialist", doc_id, appendix_pdf, role="appendix", name="phu-luc.pdf")
    second = flow.upload("thanhtri-specialist", doc_id, sample_pdf, role="main", name="du-thao-2.pdf")
    assert second["version"] == 2
    submitted = flow.act("thanhtri-specialist", doc_id, "submit")
    assert submitted["status"] == "in_review" and [s["kind"] for s in submitted["steps"]] == ["unit_head", "signer"]

    # Out of turn: the leader cannot approve before the unit head; the clerk cannot sign.
    flow.act("thanhtri-leader", doc_id, "approve", expect=403)
    flow.act("thanhtri-clerk", doc_id, "sign", expect=403, pin=PASSWORD)
    flow.act(UNIT_HEAD, doc_id, "approve", comment="Đồng ý.")
    signed = flow.act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
    assert signed["status"] == "signed"
    assert {f["role"] for f in signed["files"]} >= {"main", "appendix", "signing_copy", "leader_signed"}

    issued = flow.issue(doc_id, thanhtri)
    assert issued["status"] == "issued" and issued["number"] == 1 and issued["symbol"] == "01/QĐ-UBND"
    # Issuing again (a double click, a retried request) answers with the same number and takes no other.
    again = flow.issue(doc_id, thanhtri)
    assert again["symbol"] == "01/QĐ-UBND"
    assert len(db_session.scalars(select(NumberAllocation).where(
        NumberAllocation.reference == f"outgoing:{doc_id}")).all()) == 1

    statuses = {r["kind"]: r for r in issued["recipients"]}
    assert statuses["agency"]["status"] == "queued" and statuses["place"]["mode"] == "paper"
    package = db_session.scalar(select(OutboxPackage).where(OutboxPackage.document_id == doc_id))
    # Jobs run at once in tests: the exchange delivered it to Sở Nội vụ, a local partner, after the commit.
    assert package.status == "sent" and package.business_type == 0 and package.paper is True
    assert len(package.package_id) == 32
    internal = db_session.get(OutgoingRecipient, statuses["unit"]["id"])
    _assert_in_incoming_inbox(client, flow, db_session, internal, tcKH, issued)

    pdf = client.get(f"/api/v1/outgoing/{doc_id}/file", headers=flow.headers("thanhtri-clerk"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    report = _verify(app, pdf.data)
    assert report.valid, report.to_dict()
    by_field = {s.field: s for s in report.signatures}
    assert set(by_field) == {"ChuKyLanhDao", "ChuKyCoQuan"}
    leader, seal = by_field["ChuKyLanhDao"], by_field["ChuKyCoQuan"]
    assert leader.signer == "Trần Văn Đức" and seal.signer == "Ủy ban nhân dân huyện Thạnh Trị"
    # After the leader: the number and date text fields filled, and the agency's signature field signed.
    assert leader.modification_level == "FORM_FILLING" and leader.docmdp_ok  # certified: form filling only
    assert set(leader.changed_fields) - {"ChuKyCoQuan"} == {"SoKyHieu", "NgayBanHanh"}
    assert leader.indication == seal.indication == "TOTAL-PASSED"

    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf.data)
    output = subprocess.run(["pdfsig", "-nssdir", f"sql:{demo_nssdb}", str(path)], capture_output=True, text=True,
                            timeout=60)
    text = output.stdout + output.stderr
    assert text.count("Signature Validation: Signature is Valid.") == 2, text
    assert text.count("Certificate Validation: Certificate is Trusted.") == 2, text

    appendix = next(f for f in again["files"] if f["role"] == "appendix_issued")
    signed_appendix = client.get(f"/api/v1/outgoing/{doc_id}/files/{appendix['id']}",
                                 headers=flow.headers("thanhtri-clerk"))
    appendix_report = _verify(app, signed_appendix.data)
    assert appendix_report.valid and appendix_report.signatures[0].field == "ChuKyCoQuan"


def _assert_in_incoming_inbox(client, flow, db_session, recipient, tckh, issued):
    """A member of the receiving unit finds the document in the incoming inbox (incoming module's own API)."""
    from eoffice.accounts.services import create_user
    from eoffice.outgoing.services.delivery import _receive_internal

    if _receive_internal() is None:
        # Without the incoming module's receive_internal the recipient waits for it.
        assert recipient.status == "pending" and "not available" in recipient.note
        return
    assert recipient.status == "delivered", recipient.note
    create_user(tckh.agency, username="thanhtri-tckh", password=PASSWORD, full_name="Phan Văn Kế", unit_id=tckh.id,
                roles=["specialist"])
    db_session.commit()
    inbox = client.get("/api/v1/incoming?view=inbox", headers=flow.headers("thanhtri-tckh"))
    assert inbox.status_code == 200
    assert [item["subject"] for item in inbox.get_json()["items"]] == [issued["subject"]]
    # Nobody else's inbox: the drafter's unit was not a recipient.
    assert client.get("/api/v1/incoming?view=inbox", headers=flow.headers("thanhtri-specialist")).get_json()[
        "items"] == []
