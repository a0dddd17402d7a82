"""A main file that cannot be parsed, stored before uploads were checked: the leader's sign action answers 422
(`unreadable_pdf`) through the API and a message on the page, never a 500; nothing is signed and the PIN is not
counted as wrong, because it was never tried."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from support import PASSWORD

from .helpers import UNIT_HEAD, user

VECTOR = Path(__file__).resolve().parents[3] / "shared/vectors/pdf-signatures/malformed/pdfjs/PDFBOX-4352-0.pdf"
BROKEN = [pytest.param(b"%PDF-1.7\n garbage", id="garbage")]
if VECTOR.is_file():
    BROKEN.append(pytest.param(VECTOR.read_bytes(), id="pdfbox-4352"))


@pytest.fixture
def approved_with_broken_main(flow, demo_pki, db_session):
    """An approved document whose current main file is `broken`, stored directly as uploads refuse it now."""
    from eoffice.outgoing.models import APPROVED, MAIN, OutgoingDocument
    from eoffice.outgoing.services.workflow import add_version

    def make(broken: bytes) -> int:
        doc_id = flow.draft()
        flow.act("thanhtri-specialist", doc_id, "submit")
        flow.act(UNIT_HEAD, doc_id, "approve", comment="Đồng ý nội dung.")
        flow.act("thanhtri-leader", doc_id, "approve")
        doc = db_session.get(OutgoingDocument, doc_id)
        assert doc.status == APPROVED
        add_version(doc, MAIN, broken, "du-thao-hong.pdf", user(db_session, "thanhtri-specialist"))
        db_session.commit()
        return doc_id

    return make


def _leader_credential(db_session):
    from eoffice.signing.models import SigningCredential

    return db_session.scalar(select(SigningCredential).where(
        SigningCredential.user_id == user(db_session, "thanhtri-leader").id, SigningCredential.active.is_(True)))


def _assert_untouched(db_session, doc_id):
    from eoffice.outgoing.models import APPROVED, LEADER_SIGNED, OutgoingDocument

    db_session.expire_all()
    doc = db_session.get(OutgoingDocument, doc_id)
    assert doc.status == APPROVED and doc.signed_at is None and doc.current_file(LEADER_SIGNED) is None
    credential = _leader_credential(db_session)
    assert credential.failed_pins == 0 and credential.locked_until is None


@pytest.mark.parametrize("broken", BROKEN)
def test_api_sign_of_an_unreadable_main_file_is_a_422(client, flow, approved_with_broken_main, db_session, broken):
    doc_id = approved_with_broken_main(broken)
    response = client.post(f"/api/v1/outgoing/{doc_id}/sign", headers=flow.headers("thanhtri-leader"),
                           json={"pin": PASSWORD})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "unreadable_pdf" and set(error) == {"code", "message", "details"}
    assert error["message"] == "Không đọc được tệp PDF này."
    _assert_untouched(db_session, doc_id)
    # A wrong PIN is not even tried: the file is refused first, so it is not counted either.
    wrong = client.post(f"/api/v1/outgoing/{doc_id}/sign", headers=flow.headers("thanhtri-leader"),
                        json={"pin": "0000"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "unreadable_pdf"
    _assert_untouched(db_session, doc_id)


def test_web_sign_of_an_unreadable_main_file_is_a_message(client, login, approved_with_broken_main, db_session):
    doc_id = approved_with_broken_main(BROKEN[0].values[0])
    client.post("/logout")
    assert login("thanhtri-leader").status_code == 302
    response = client.post(f"/outgoing/{doc_id}/sign", data={"pin": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/outgoing/{doc_id}")
    assert "Không đọc được tệp PDF này." in client.get(response.headers["Location"]).get_data(as_text=True)
    _assert_untouched(db_session, doc_id)
