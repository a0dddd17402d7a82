"""Intake: every input field kept, files checked by their bytes and size, nothing half-stored on a refusal, the
signature verification stored with the document and shown on its page."""

import io

from sqlalchemy import func, select

from incoming.conftest import upload
from support import day, iso_day


def _counts(db_session):
    from eoffice.core.files import StoredFile
    from eoffice.incoming.models import IncomingDocument

    db_session.expire_all()
    return (db_session.scalar(select(func.count()).select_from(IncomingDocument)),
            db_session.scalar(select(func.count()).select_from(StoredFile)))

IDENTIFIER = f"000.00.00.G22,{day(-6):%Y/%m/%d},15/QĐ-UBND"


def test_intake_keeps_every_input_field(client, demo, api_token, sample_pdf):
    headers = api_token("thanhtri-clerk")
    response = upload(client, headers, sample_pdf, document_identifier=IDENTIFIER,
                      issuer_code="000.00.00.H55", type_name="Quyết định", signer_position="Chủ tịch",
                      signer_name="Lâm Văn Mẫn", page_amount="3", language="vi", urgency="2", secrecy="0",
                      due_date=iso_day(12), to_places="Phòng Nội vụ; Phòng Tư pháp", description="Bản chính",
                      arrival_date=iso_day(-5), attachments=(io.BytesIO(sample_pdf), "phu-luc.pdf"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "received" and body["arrival_number"] is None
    expected = {"issuer_name": "Ủy ban nhân dân tỉnh Sóc Trăng", "issuer_code": "000.00.00.H55",
                "code_number": "07", "code_notation": "UBND-VP", "issued_date": iso_day(-6),
                "type_name": "Quyết định", "signer_position": "Chủ tịch", "signer_name": "Lâm Văn Mẫn",
                "page_amount": 3, "language": "vi", "urgency": 2, "secrecy": 0, "due_date": iso_day(12),
                "to_places": "Phòng Nội vụ; Phòng Tư pháp", "description": "Bản chính", "arrival_date": iso_day(-5),
                "document_identifier": IDENTIFIER}
    assert {k: body[k] for k in expected} == expected
    assert [(f["kind"], f["name"]) for f in body["files"]] == [("main", "van-ban.pdf"), ("attachment", "phu-luc.pdf")]
    assert [t["action"] for t in body["trace"]] == ["receive"]
    download = client.get(f"/api/v1/incoming/{body['id']}/files/{body['files'][0]['id']}", headers=headers)
    assert download.status_code == 200 and download.data == sample_pdf


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(client, demo, api_token, sample_pdf, db_session):
    headers = api_token("thanhtri-clerk")
    before = _counts(db_session)
    # Named .pdf, but the bytes are a ZIP: the name does not decide.
    response = upload(client, headers, b"PK\x03\x04 not a pdf at all", name="giay-moi.pdf")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_pdf"
    assert "giay-moi.pdf" in response.get_json()["error"]["message"]
    # A good main file with a bad attachment: refused as a whole.
    response = upload(client, headers, sample_pdf, attachments=(io.BytesIO(b"<html>"), "phu-luc.pdf"))
    assert response.status_code == 422
    assert _counts(db_session) == before


def test_a_file_over_the_limit_is_refused_with_a_clear_message(app, client, demo, api_token, sample_pdf, db_session,
                                                               monkeypatch):
    from eoffice.core.storage import get_store

    monkeypatch.setitem(app.config, "INCOMING_MAX_FILE_BYTES", len(sample_pdf) - 1)
    before = _counts(db_session)
    big = sample_pdf + b"%% padding that makes this file unique\n"
    response = upload(client, api_token("thanhtri-clerk"), big)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "file_too_large" and error["details"]["limit"] == len(sample_pdf) - 1
    assert _counts(db_session) == before
    import hashlib

    with app.app_context():
        assert not get_store().exists(hashlib.sha256(big).hexdigest())


def test_web_intake_refuses_a_non_pdf_and_keeps_the_form(client, demo, login, db_session):
    before = _counts(db_session)
    login("thanhtri-clerk")
    response = client.post("/incoming/new", data={
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n"), "scan.pdf"), "issuer_name": "Sở Tài chính", "subject": "Thử",
        "urgency": "0", "secrecy": "0", "document_type_id": "0", "language": "vi"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "scan.pdf không phải tệp PDF" in page and "Sở Tài chính" in page
    assert _counts(db_session) == before


def test_unsigned_document_is_registered_with_a_prominent_warning(client, demo, login, sample_pdf, db_session):
    """The real verifier runs (child process): an unsigned scan is accepted, its report is stored and shown."""
    login("thanhtri-clerk")
    response = client.post("/incoming/new", data={
        "file": (io.BytesIO(sample_pdf), "scan.pdf"), "issuer_name": "Sở Tài chính tỉnh Sóc Trăng",
        "subject": "Về việc quyết toán ngân sách", "urgency": "0", "secrecy": "0", "document_type_id": "0",
        "language": "vi"}, content_type="multipart/form-data")
    assert response.status_code == 302
    from eoffice.incoming.models import IncomingDocument

    doc = db_session.scalars(select(IncomingDocument)).one()
    report = doc.verification_data
    assert report["signed"] is False and report["valid"] is False and doc.signature_valid is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="signature-warning"' in page and "Văn bản không có chữ ký số" in page
    assert "Tệp chưa được ký số" in page  # the signing/_report.html panel
