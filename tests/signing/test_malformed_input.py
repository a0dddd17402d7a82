"""Malformed PDFs on every signing path are a 422 `unreadable_pdf` in the error envelope, never a 500, and leave
nothing behind: no signature, no PIN attempt counted, no stored file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eoffice.signing.samples import make_sample_pdf

from support import PASSWORD

from .test_app_signing import _sign, demo_pki  # noqa: F401  (fixture)

MALFORMED = Path(os.environ.get("EOFFICE_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared")) \
    / "vectors" / "pdf-signatures" / "malformed"
_GOOD = make_sample_pdf(1)
CASES = {"truncated": _GOOD[: len(_GOOD) // 2], "header-then-garbage": b"%PDF-1.7\n" + bytes(range(256)) * 8}
for _name in ("pdfjs/PDFBOX-4352-0.pdf", "pyhanko/minimal-startxref-hopeless.pdf"):
    if (MALFORMED / _name).is_file():
        CASES[_name] = (MALFORMED / _name).read_bytes()


def _counts(db_session):
    from eoffice.audit.models import AuditEntry
    from eoffice.core.files import StoredFile

    return (db_session.scalar(select(func.count()).select_from(StoredFile)),
            db_session.scalar(select(func.count()).where(AuditEntry.action.in_(("signing.sign", "signing.pin_failed")))))


@pytest.mark.parametrize("name", sorted(CASES))
def test_signing_api_refuses_a_malformed_pdf_with_422(client, demo_pki, api_token, db_session, name):
    before = _counts(db_session)
    response = _sign(client, api_token("thanhtri-leader"), [CASES[name]], pin="0000")  # a wrong PIN, not counted
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "unreadable_pdf" and set(error) == {"code", "message", "details"}
    assert _counts(db_session) == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_signing_page_refuses_a_malformed_pdf_with_422(client, demo_pki, login, db_session, name):
    login("thanhtri-leader")
    before = _counts(db_session)
    response = client.post("/signing/sign", data={"pin": PASSWORD, "files": [(io.BytesIO(CASES[name]), "hong.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "hong.pdf" in response.get_data(as_text=True)
    assert _counts(db_session) == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_outgoing_draft_upload_refuses_a_malformed_pdf_with_422(client, demo_pki, api_token, db_session, name):
    from eoffice.accounts.models import User
    from eoffice.outgoing.models import OutgoingFile
    from eoffice.registry.models import DocumentType

    headers = api_token("thanhtri-specialist")
    leader = db_session.scalar(select(User).where(User.username == "thanhtri-leader"))
    doc_type = db_session.scalar(select(DocumentType).where(DocumentType.code == "QD"))
    created = client.post("/api/v1/outgoing", headers=headers, json={
        "document_type_id": doc_type.id, "subject": "Về việc thử tệp hỏng", "signer_id": leader.id})
    assert created.status_code == 201, created.get_json()
    response = client.post(f"/api/v1/outgoing/{created.get_json()['id']}/files", headers=headers,
                           data={"file": (io.BytesIO(CASES[name]), "hong.pdf"), "role": "main"},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unreadable_pdf"
    assert db_session.scalar(select(func.count()).select_from(OutgoingFile)) == 0
