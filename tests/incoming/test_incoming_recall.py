"""Recall on the issuer's order: the document leaves every list and inbox, its files go, its trail stays."""

from sqlalchemy import select


def test_recall_removes_files_and_hides_the_document_but_keeps_its_trail(app, client, api_token, world, db_session):
    from eoffice.core.files import StoredFile

    doc = world.directed()
    file_id, digest = doc.files[0].id, doc.files[0].stored.sha256
    specialist, clerk = api_token("thanhtri-specialist"), api_token("thanhtri-clerk")
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=specialist).status_code == 200
    assert client.post(f"/api/v1/incoming/{doc.id}/recall", headers=specialist, json={"reason": "x"}).status_code == 403
    no_reason = client.post(f"/api/v1/incoming/{doc.id}/recall", headers=clerk, json={"reason": " "})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["details"]["fields"] == ["reason"]
    recalled = client.post(f"/api/v1/incoming/{doc.id}/recall", headers=clerk,
                           json={"reason": "Lệnh thu hồi số 12/TB-UBND ngày 20/11/2026"})
    assert recalled.status_code == 200 and recalled.get_json()["state"] == "recalled"
    # Out of the assignee's view and inbox; the clerk keeps the trail, with the reason and the removed files.
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=specialist).status_code == 404
    inbox = client.get("/api/v1/incoming?view=inbox", headers=specialist).get_json()["items"]
    assert doc.id not in [item["id"] for item in inbox]
    kept = client.get(f"/api/v1/incoming/{doc.id}", headers=clerk).get_json()
    assert kept["files"] == [] and kept["subject"] == doc.subject
    assert [t["action"] for t in kept["trace"]][-1] == "recall"
    assert "12/TB-UBND" in kept["trace"][-1]["comment"]
    assert client.get(f"/api/v1/incoming/{doc.id}/files/{file_id}", headers=clerk).status_code == 404
    # The bytes are gone from the store once no record names them (the job ran after the commit).
    assert db_session.scalar(select(StoredFile).where(StoredFile.sha256 == digest)) is None
    assert not app.extensions["eoffice.storage"].exists(digest)
    again = client.post(f"/api/v1/incoming/{doc.id}/recall", headers=clerk, json={"reason": "again"})
    assert again.status_code == 409


def test_recall_keeps_bytes_another_document_still_uses(app, client, api_token, world):
    first, second = world.receive(), world.receive(code_number="16")
    digest = first.files[0].stored.sha256
    assert second.files[0].stored.sha256 == digest  # the same PDF, stored once
    client.post(f"/api/v1/incoming/{first.id}/recall", headers=api_token("thanhtri-clerk"), json={"reason": "Thu hồi"})
    assert app.extensions["eoffice.storage"].exists(digest)


def test_recall_through_the_page(client, login, world):
    doc = world.directed()
    login("thanhtri-clerk")
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert 'data-testid="recall-form"' in page
    response = client.post(f"/incoming/{doc.id}/recall", data={"reason": "Lệnh thu hồi"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Đã thu hồi văn bản" in text and 'data-testid="recalled"' in text and "Bị cơ quan ban hành thu hồi" in text
