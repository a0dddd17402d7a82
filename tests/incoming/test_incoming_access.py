"""Who sees which incoming document: roles × documents × actions, in both agencies, through the web pages and the
API. Visible means 200 (201 for a comment); invisible means 404, never 403, so that existence does not leak."""

import pytest

from incoming.conftest import World

USERS = [f"{a}-{r}" for a in ("thanhtri", "sonoivu") for r in ("admin", "clerk", "leader", "specialist")]
#: Which of thanhtri's documents each user may see (see `docs` below); sonoivu's users see none of them.
VISIBLE = {
    "thanhtri-clerk": {"waiting", "to_specialist", "to_tp", "to_vp", "secret"},
    "thanhtri-leader": {"waiting", "to_specialist", "to_tp", "to_vp", "secret"},
    "thanhtri-specialist": {"to_specialist"},
    "thanhtri-admin": {"to_vp", "secret"},  # a member of VP, and named on the secret document
}
SUBJECTS = {"waiting": "Chờ chỉ đạo: kế hoạch số hóa", "to_specialist": "Giao chuyên viên: tuyển dụng",
            "to_tp": "Giao Phòng Tư pháp: rà soát văn bản", "to_vp": "Giao Văn phòng: lịch công tác",
            "secret": "Tài liệu mật: phương án bảo vệ"}


@pytest.fixture
def docs(db_session, demo, sample_pdf):
    w = World(db_session, demo, sample_pdf)
    made = {key: w.receive(subject=subject, code_number=str(n)) if key != "secret" else
            w.receive(subject=subject, code_number=str(n), secrecy=1) for n, (key, subject) in enumerate(SUBJECTS.items())}
    for doc in made.values():
        w.register(doc)
    w.direct(made["to_specialist"], lead={"user_id": w.user("thanhtri-specialist").id})
    w.direct(made["to_tp"], lead={"unit_id": w.unit("thanhtri", "TP").id})
    w.direct(made["to_vp"], lead={"unit_id": w.unit("thanhtri", "VP").id})
    w.direct(made["secret"], lead={"user_id": w.user("thanhtri-admin").id})
    return made


def _expected(user, key):
    return key in VISIBLE.get(user, set())


@pytest.mark.parametrize("user", USERS)
def test_api_matrix(client, api_token, docs, user):
    headers = api_token(user)
    for key, doc in docs.items():
        visible = _expected(user, key)
        show = client.get(f"/api/v1/incoming/{doc.id}", headers=headers)
        assert show.status_code == (200 if visible else 404), (user, key, "show", show.status_code)
        file_id = doc.files[0].id
        download = client.get(f"/api/v1/incoming/{doc.id}/files/{file_id}", headers=headers)
        assert download.status_code == (200 if visible else 404), (user, key, "file")
        comment = client.post(f"/api/v1/incoming/{doc.id}/comments", headers=headers, json={"text": "Ý kiến"})
        assert comment.status_code == (201 if visible else 404), (user, key, "comment", comment.status_code)
        register = client.post(f"/api/v1/incoming/{doc.id}/register", headers=headers, json={"book_id": doc.book_id})
        # Registering is for clerks (403 to the others); a clerk meets the state (409) or the other agency (404).
        assert register.status_code == ({409} if user == "thanhtri-clerk" else {404} if user.endswith("clerk")
                                         else {403}).pop(), (user, key, "register", register.status_code)
        assignment = doc.assignments[0].id if doc.assignments else None
        if assignment:
            complete = client.post(f"/api/v1/incoming/assignments/{assignment}/complete", headers=headers, json={})
            assert complete.status_code in ({200, 403} if visible else {404}), (user, key, "complete")
    listing = {i["subject"] for i in client.get("/api/v1/incoming", headers=headers).get_json()["items"]}
    inbox = {i["subject"] for i in client.get("/api/v1/incoming?view=inbox", headers=headers).get_json()["items"]}
    for key, subject in SUBJECTS.items():
        assert (subject in listing) == _expected(user, key), (user, key, "list")
        if not _expected(user, key):
            assert subject not in inbox


@pytest.mark.parametrize("user", USERS)
def test_web_matrix(client, login, docs, user):
    assert login(user).status_code == 302
    for key, doc in docs.items():
        visible = _expected(user, key)
        page = client.get(f"/incoming/{doc.id}")
        assert page.status_code == (200 if visible else 404), (user, key, "page")
        download = client.get(f"/incoming/{doc.id}/files/{doc.files[0].id}")
        assert download.status_code == (200 if visible else 404), (user, key, "download")
        forward = client.post(f"/incoming/{doc.id}/forward", data={"targets": [f"user:{docs['secret'].created_by_id}"]})
        assert (forward.status_code == 404) == (not visible), (user, key, "forward", forward.status_code)
    pages = ["/incoming/inbox", "/incoming/deadlines", "/incoming/notifications", "/"]
    pages += ["/incoming/"] if user.endswith("clerk") else []
    pages += ["/incoming/to-direct"] if user.endswith("leader") else []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (user, url)
        text = response.get_data(as_text=True)
        for key, subject in SUBJECTS.items():
            if not _expected(user, key):
                assert subject not in text, (user, url, key)


def test_an_unassigned_specialist_cannot_open_an_unassigned_document(client, login, docs):
    login("thanhtri-specialist")
    assert client.get(f"/incoming/{docs['waiting'].id}").status_code == 404
    assert client.get(f"/incoming/{docs['to_tp'].id}").status_code == 404
    assert client.get(f"/incoming/{docs['to_specialist'].id}").status_code == 200


def test_a_secret_document_is_not_visible_to_the_unit_of_its_assignee(client, api_token, docs, db_session):
    """The admin is named on the secret document; the clerk sits in the same unit (VP) and is a clerk, so sees it;
    a specialist moved into VP does not."""
    from eoffice.accounts.models import User

    specialist = db_session.query(User).filter_by(username="thanhtri-specialist").one()
    specialist.unit_id = docs["to_vp"].assignments[0].unit_id
    db_session.commit()
    headers = api_token("thanhtri-specialist")
    assert client.get(f"/api/v1/incoming/{docs['secret'].id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/incoming/{docs['to_vp'].id}", headers=headers).status_code == 200


def test_every_view_and_download_is_logged(client, login, api_token, world, db_session):
    """Each page view and file download, through the web and the API, is an audit entry with who, what and how;
    the handling history is not flooded with them. A refused (404) attempt logs nothing."""
    from sqlalchemy import select

    from eoffice.audit.models import AuditEntry

    doc = world.directed()
    file_id = doc.files[0].id

    def entries():
        db_session.expire_all()
        return [(e.action, e.actor_name, e.data) for e in db_session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "incoming_document", AuditEntry.object_id == str(doc.id),
            AuditEntry.action.in_(["incoming.view", "incoming.download"])).order_by(AuditEntry.id))]

    trace_before = len(doc.trace)
    login("thanhtri-specialist")
    assert client.get(f"/incoming/{doc.id}").status_code == 200
    assert client.get(f"/incoming/{doc.id}").status_code == 200
    assert client.get(f"/incoming/{doc.id}/files/{file_id}").status_code == 200
    headers = api_token("thanhtri-leader")
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/incoming/{doc.id}/files/{file_id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=api_token("sonoivu-clerk")).status_code == 404
    logged = entries()
    assert [(a, who) for a, who, _data in logged] == [
        ("incoming.view", "thanhtri-specialist"), ("incoming.view", "thanhtri-specialist"),
        ("incoming.download", "thanhtri-specialist"), ("incoming.view", "thanhtri-leader"),
        ("incoming.download", "thanhtri-leader")]
    assert '"via": "web"' in logged[2][2] and f'"file_id": {file_id}' in logged[2][2]
    assert '"via": "api"' in logged[4][2]
    db_session.refresh(doc)
    assert [t.action for t in doc.trace[trace_before:]] == ["read"]  # the first open only
