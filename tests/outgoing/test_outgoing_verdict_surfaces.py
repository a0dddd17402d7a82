"""One outgoing document, issued through the pages, gets the same verdict on every surface: its own page, the
public verification page, the verification API and the `signing verify` command (the issue's first acceptance
item). The leader's signature is followed by the number and date filled in and the agency's seal, which the one
server-side policy accepts because the seal, valid and trusted, covers them."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from support import PASSWORD

from .helpers import UNIT_HEAD, doc_type, out_book, unit, user

CARD = re.compile(r'data-signature="([^"]+)" data-indication="([^"]+)" data-sub-indication="([^"]*)"')


def _login(client, username):
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


def _issue_through_the_pages(client, db_session, thanhtri, sample_pdf) -> int:
    _login(client, "thanhtri-specialist")
    created = client.post("/outgoing/new", content_type="multipart/form-data", data={
        "document_type_id": doc_type(db_session, "QD").id, "subject": "Về việc ban hành Quy chế văn thư",
        "signer_id": user(db_session, "thanhtri-leader").id, "drafting_unit_id": unit(db_session, thanhtri, "NV").id,
        "unit_ids": [unit(db_session, thanhtri, "TCKH").id], "mode": "electronic", "priority": 0,
        "secrecy": "", "issued_amount": 2, "page_amount": 1, "language": "vi", "places": "Lưu: VT, NV.",
        "main_file": (io.BytesIO(sample_pdf), "du-thao.pdf")})
    assert created.status_code == 303
    doc_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/outgoing/{doc_id}/submit").status_code == 303
    _login(client, UNIT_HEAD)
    client.post(f"/outgoing/{doc_id}/review", data={"decision": "approve", "comment": "Đồng ý."})
    _login(client, "thanhtri-leader")
    client.post(f"/outgoing/{doc_id}/sign", data={"pin": PASSWORD})
    _login(client, "thanhtri-clerk")
    client.post(f"/outgoing/{doc_id}/issue", data={"book_id": out_book(db_session, thanhtri).id, "pin": PASSWORD})
    return doc_id


def test_an_issued_document_gets_the_same_verdict_everywhere(client, demo_pki, db_session, sample_pdf, runner,
                                                            api_token, tmp_path):
    from eoffice.outgoing.models import ISSUED_FILE, OutgoingDocument
    from eoffice.signing.models import StoredVerification

    doc_id = _issue_through_the_pages(client, db_session, demo_pki["thanhtri"], sample_pdf)
    doc = db_session.get(OutgoingDocument, doc_id)
    issued = doc.current_file(ISSUED_FILE).stored_file
    pdf = issued.read()
    # The job queued at issuing has kept the report; the page reads it instead of verifying again.
    assert db_session.scalar(select(StoredVerification).where(StoredVerification.file_sha256 == issued.sha256))

    page = client.get(f"/outgoing/{doc_id}").get_data(as_text=True)
    on_page = {field: (indication, sub or None) for field, indication, sub in CARD.findall(page)}

    client.post("/logout")
    public = client.post("/verify", data={"file": (io.BytesIO(pdf), "qd.pdf")}, content_type="multipart/form-data")
    text = public.get_data(as_text=True)
    on_public_page = {field: (indication, sub or None) for field, indication, sub in CARD.findall(text)}

    api = client.post("/api/v1/signatures/verify", headers=api_token("sonoivu-clerk"),
                      data={"file": (io.BytesIO(pdf), "qd.pdf")}, content_type="multipart/form-data").get_json()
    by_api = {s["field"]: (s["indication"], s["sub_indication"]) for s in api["signatures"]}

    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    cli = runner.invoke(args=["signing", "verify", str(path), "--json"])
    assert cli.exit_code == 0, cli.output
    by_cli = {s["field"]: (s["indication"], s["sub_indication"]) for s in json.loads(cli.output)["signatures"]}

    expected = {"ChuKyLanhDao": ("TOTAL-PASSED", None), "ChuKyCoQuan": ("TOTAL-PASSED", None)}
    assert on_page == expected, page[page.find('data-testid="verdict"'):][:3000]
    assert on_public_page == expected
    assert by_api == expected and api["valid"] is True
    assert by_cli == expected
    leader = next(s for s in api["signatures"] if s["field"] == "ChuKyLanhDao")
    assert set(leader["changed_fields"]) >= {"ChuKyCoQuan"}  # the number, date and seal came after it


def test_a_document_page_starts_no_verification_once_the_report_is_kept(client, demo_pki, db_session, sample_pdf,
                                                                        monkeypatch, api_token):
    from eoffice.signing import verification

    doc_id = _issue_through_the_pages(client, db_session, demo_pki["thanhtri"], sample_pdf)
    _login(client, "thanhtri-clerk")

    def no_verification(*args, **kwargs):
        raise AssertionError("a page view verified the file again")

    monkeypatch.setattr(verification, "verify_pdf_isolated", no_verification)
    for _ in range(3):
        page = client.get(f"/outgoing/{doc_id}")
        assert page.status_code == 200 and 'data-indication="TOTAL-PASSED"' in page.get_data(as_text=True)
    api = client.get(f"/api/v1/outgoing/{doc_id}/verification", headers=api_token("thanhtri-clerk"))
    assert api.status_code == 200 and api.get_json()["valid"] is True
