"""Bad input through the API and the web pages: a corrupt PDF, missing required fields, a completion by someone who
is not the lead. Clear errors, never a 500, nothing stored in part, nothing changed."""

import io
import re

from sqlalchemy import func, select

from incoming.conftest import upload

CORRUPT = b"%PDF-1.7\n\x00\x13garbage that is no PDF at all \xff\xfe\x00 trailer <<>> %%EO"


def _counts(db_session):
    from eoffice.core.files import StoredFile
    from eoffice.incoming.models import IncomingDocument, IncomingFile, TraceEntry

    db_session.expire_all()
    return tuple(db_session.scalar(select(func.count()).select_from(model))
                 for model in (IncomingDocument, IncomingFile, StoredFile, TraceEntry))


def test_api_corrupt_pdf_is_refused_with_422_and_nothing_is_stored(client, demo, api_token, db_session):
    """The real verifier runs on the garbage, outside any transaction: a file that cannot be read as a PDF is
    refused with 422 in the error envelope, naming the file, and the intake stores nothing."""
    before = _counts(db_session)
    response = upload(client, api_token("thanhtri-clerk"), CORRUPT, name="hong.pdf")
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unreadable_pdf" and error["details"]["file"] == "hong.pdf"
    assert "hong.pdf" in error["message"] and error["details"]["report"]["valid"] is False
    assert _counts(db_session) == before


def test_web_corrupt_pdf_is_refused_and_the_form_comes_back(client, demo, login, db_session):
    login("thanhtri-clerk")
    before = _counts(db_session)
    response = client.post("/incoming/new", data={
        "file": (io.BytesIO(CORRUPT + b"web"), "hong.pdf"), "issuer_name": "Sở Tài chính", "subject": "Tệp hỏng",
        "urgency": "0", "secrecy": "0", "document_type_id": "0", "language": "vi"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "hong.pdf" in page and "Tệp hỏng" in page  # the message, and the form keeps what was typed
    assert _counts(db_session) == before


def test_api_missing_required_fields_are_named_and_nothing_is_stored(client, demo, api_token, sample_pdf, db_session):
    headers = api_token("thanhtri-clerk")
    before = _counts(db_session)
    response = upload(client, headers, sample_pdf, issuer_name="", subject="  ")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["details"]["fields"]) == {"issuer_name", "subject"}
    # No file and no fields: every missing one is named at once.
    response = client.post("/api/v1/incoming", headers=headers, data={"code_number": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"file", "issuer_name", "subject"}
    # A bad date or number names its field too.
    response = upload(client, headers, sample_pdf, issued_date="02/11/2026", page_amount="many")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) & {"issued_date", "page_amount"}
    assert _counts(db_session) == before


def test_web_missing_required_fields_answer_422_and_name_them(client, demo, login, sample_pdf, db_session):
    before = _counts(db_session)
    login("thanhtri-clerk")
    response = client.post("/incoming/new", data={
        "file": (io.BytesIO(sample_pdf), "van-ban.pdf"), "issuer_name": "", "subject": "",
        "urgency": "0", "secrecy": "0", "document_type_id": "0", "language": "vi"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    invalid = set(re.findall(r'<(?:input|textarea)[^>]*class="[^"]*is-invalid[^"]*"[^>]*name="(\w+)"', page))
    assert invalid == {"issuer_name", "subject"}, invalid
    assert "Một số trường còn thiếu hoặc quá dài" in page
    assert _counts(db_session) == before


def _directed_with_co(world):
    return world.directed(lead={"user_id": world.user("thanhtri-specialist").id},
                          co=[{"user_id": world.user("thanhtri-admin").id}])


def test_api_completion_of_the_lead_by_a_co_handler_is_forbidden_and_changes_nothing(client, world, api_token,
                                                                                    db_session):
    doc = _directed_with_co(world)
    lead, co = doc.assignments
    before = _counts(db_session)
    response = client.post(f"/api/v1/incoming/assignments/{lead.id}/complete", headers=api_token("thanhtri-admin"),
                           data={"comment": "Tôi hoàn thành thay", "files": (io.BytesIO(world.pdf), "kq.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _counts(db_session) == before
    db_session.refresh(lead), db_session.refresh(doc)
    assert lead.state != "done" and doc.state == "directed"
    # The co-handler completes their own part: the document stays open until the lead completes.
    own = client.post(f"/api/v1/incoming/assignments/{co.id}/complete", headers=api_token("thanhtri-admin"),
                      json={"comment": "Đã góp ý"})
    assert own.status_code == 200 and own.get_json()["state"] == "directed"


def test_web_completion_of_the_lead_by_a_co_handler_is_forbidden_and_changes_nothing(client, login, world,
                                                                                    db_session):
    doc = _directed_with_co(world)
    lead = doc.assignments[0]
    before = _counts(db_session)
    login("thanhtri-admin")
    response = client.post(f"/incoming/assignments/{lead.id}/complete", data={"comment": "Thay"})
    assert response.status_code == 403
    assert _counts(db_session) == before
    db_session.refresh(lead), db_session.refresh(doc)
    assert lead.state != "done" and doc.state == "directed"


def test_completion_by_an_unrelated_user_is_not_found(client, world, api_token):
    doc = _directed_with_co(world)
    lead = doc.assignments[0]
    response = client.post(f"/api/v1/incoming/assignments/{lead.id}/complete",
                           headers=api_token("sonoivu-clerk"), json={})
    assert response.status_code == 404
