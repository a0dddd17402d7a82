"""The whole flow, once through the API and once through the web pages with the test client, plus the internal
delivery hook used by outgoing documents."""

import io

from sqlalchemy import select

from incoming.conftest import upload
from support import day, iso_day


def test_whole_flow_through_the_api(client, demo, api_token, sample_pdf, db_session):
    from eoffice.accounts.models import Unit, User
    from eoffice.registry.models import RegistryBook

    users = {u.username: u for u in db_session.scalars(select(User))}
    clerk, leader, specialist = (api_token(f"thanhtri-{r}") for r in ("clerk", "leader", "specialist"))
    book = db_session.scalars(select(RegistryBook).where(RegistryBook.agency_id == demo["thanhtri"].id,
                                                         RegistryBook.name == "Sổ văn bản đến")).one()
    unit_tp = db_session.scalars(select(Unit).where(Unit.agency_id == demo["thanhtri"].id,
                                                    Unit.abbreviation == "TP")).one()
    created = upload(client, clerk, sample_pdf, urgency="1", due_date=iso_day(7))
    assert created.status_code == 201
    doc_id = created.get_json()["id"]
    registered = client.post(f"/api/v1/incoming/{doc_id}/register", headers=clerk,
                             json={"book_id": book.id, "arrival_date": iso_day(-1), "file_code": "HS-01"})
    assert registered.status_code == 200 and registered.get_json()["stamp"]["arrival_number"] == "01"
    waiting = client.get("/api/v1/incoming?view=to_direct", headers=leader).get_json()["items"]
    assert [d["id"] for d in waiting] == [doc_id]
    directed = client.post(f"/api/v1/incoming/{doc_id}/direct", headers=leader, json={
        "opinion": "Giao chuyên viên Phòng Nội vụ chủ trì",
        "lead": {"user_id": users["thanhtri-specialist"].id, "deadline": iso_day(2)},
        "co": [{"unit_id": unit_tp.id}], "info": [{"user_id": users["thanhtri-admin"].id}]})
    assert directed.status_code == 200, directed.get_json()
    body = directed.get_json()
    assert [(a["role"], a["deadline"]) for a in body["assignments"]] == [("lead", iso_day(2)), ("co", iso_day(7)),
                                                                         ("info", None)]
    inbox = client.get("/api/v1/incoming?view=inbox", headers=specialist).get_json()["items"]
    assert [(i["id"], i["assignment"]["state"]) for i in inbox] == [(doc_id, "new")]
    lead_id = body["assignments"][0]["id"]
    commented = client.post(f"/api/v1/incoming/{doc_id}/comments", headers=specialist,
                            data={"text": "Dự thảo văn bản trả lời", "files": (io.BytesIO(sample_pdf), "du-thao.pdf")},
                            content_type="multipart/form-data")
    assert commented.status_code == 201
    assert commented.get_json()["assignments"][0]["state"] == "in_progress"
    forwarded = client.post(f"/api/v1/incoming/{doc_id}/forward", headers=specialist,
                            json={"targets": [{"user_id": users["thanhtri-clerk"].id}], "note": "Để theo dõi"})
    assert forwarded.status_code == 200
    refused = client.post(f"/api/v1/incoming/{doc_id}/direct", headers=specialist, json={})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    done = client.post(f"/api/v1/incoming/assignments/{lead_id}/complete", headers=specialist,
                       json={"comment": "Đã trình ký văn bản trả lời"})
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    final = client.get(f"/api/v1/incoming/{doc_id}", headers=leader).get_json()
    assert [t["action"] for t in final["trace"]] == ["receive", "register", "direct", "comment", "forward", "complete"]
    assert final["trace"][2]["comment"] == "Giao chuyên viên Phòng Nội vụ chủ trì"
    assert [f["kind"] for f in final["files"]] == ["main", "result"]
    assert client.get("/api/v1/incoming/999999", headers=leader).get_json()["error"]["code"] == "not_found"


def test_whole_flow_through_the_web_pages(client, login, demo, sample_pdf, db_session):
    from eoffice.accounts.models import User
    from eoffice.incoming.models import IncomingDocument
    from eoffice.registry.models import RegistryBook

    users = {u.username: u for u in db_session.scalars(select(User))}
    book = db_session.scalars(select(RegistryBook).where(RegistryBook.agency_id == demo["thanhtri"].id,
                                                         RegistryBook.name == "Sổ văn bản đến")).one()
    login("thanhtri-clerk")
    nav = client.get("/").get_data(as_text=True)
    assert "Tiếp nhận văn bản" in nav and 'data-nav="incoming-register"' in nav and "Chờ chỉ đạo" not in nav
    response = client.post("/incoming/new", data={
        "file": (io.BytesIO(sample_pdf), "cong-van.pdf"), "issuer_name": "Sở Tư pháp tỉnh Sóc Trăng",
        "subject": "Về việc rà soát văn bản quy phạm pháp luật", "code_number": "21", "code_notation": "STP-VB",
        "urgency": "3", "secrecy": "0", "document_type_id": "0", "language": "vi", "due_date": iso_day(5)},
        content_type="multipart/form-data")
    assert response.status_code == 302
    doc = db_session.scalars(select(IncomingDocument)).one()
    registered = client.post(f"/incoming/{doc.id}/register", data={"book_id": book.id, "arrival_date": iso_day(-1),
                                                                  "presented_to_id": "0", "file_code": ""})
    assert registered.status_code == 302
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert 'data-testid="arrival-number">01<' in page and "Hỏa tốc" in page
    login("thanhtri-leader")
    assert "Chờ chỉ đạo" in client.get("/").get_data(as_text=True)
    assert "Về việc rà soát văn bản" in client.get("/incoming/to-direct").get_data(as_text=True)
    directed = client.post(f"/incoming/{doc.id}/direct", data={
        "opinion": "Giao Phòng Nội vụ", "lead": f"user:{users['thanhtri-specialist'].id}", "lead_deadline": iso_day(3)})
    assert directed.status_code == 302
    login("thanhtri-specialist")
    inbox = client.get("/incoming/inbox").get_data(as_text=True)
    assert "Về việc rà soát văn bản" in inbox and 'data-state="new"' in inbox
    db_session.expire_all()
    assignment = doc.assignments[0]
    done = client.post(f"/incoming/assignments/{assignment.id}/complete", data={"comment": "Đã rà soát xong"})
    assert done.status_code == 302
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert 'data-state="completed"' in page and "Đã rà soát xong" in page
    # A refusal on the page answers with its status and says why.
    again = client.post(f"/incoming/assignments/{assignment.id}/complete", data={})
    assert again.status_code == 403 and "Bạn không thể hoàn thành việc này." in again.get_data(as_text=True)


def test_receive_internal_delivers_to_the_units_inbox(app, demo, db_session, sample_pdf):
    from eoffice.accounts.models import Unit, User
    from eoffice.core.time import local_today
    from eoffice.incoming import lists, services

    agency = demo["thanhtri"]
    units = {u.abbreviation: u for u in db_session.scalars(select(Unit).where(Unit.agency_id == agency.id))}
    users = {u.username: u for u in db_session.scalars(select(User))}
    doc = services.receive_internal(agency, subject="Về việc tổ chức hội nghị tổng kết", number=5,
                                    symbol="05/UBND-VP", issued_date=day(-1), issuer_name=agency.name,
                                    document_type_id=None, files=[("hoi-nghi.pdf", sample_pdf)],
                                    to_unit_ids=[units["NV"].id], to_user_ids=[users["thanhtri-leader"].id],
                                    priority="urgent", actor=users["thanhtri-clerk"])
    db_session.commit()
    assert (doc.state, doc.source, doc.electronic, doc.urgency) == ("received", "internal", True, 1)
    assert (doc.code_number, doc.code_notation, doc.issuer_code) == ("05", "UBND-VP", agency.code)
    inbox = lists.inbox(users["thanhtri-specialist"], today=local_today())  # a member of NV
    assert [(d.id, a.role) for a, d in inbox] == [(doc.id, "info")]
    # Another agency's unit is refused.
    import pytest

    from eoffice.core.errors import NotFound

    other = db_session.scalars(select(Unit).where(Unit.agency_id == demo["sonoivu"].id)).first()
    with pytest.raises(NotFound):
        services.receive_internal(agency, subject="x", number=None, symbol="", issued_date=None, issuer_name="x",
                                  document_type_id=None, files=[("a.pdf", sample_pdf)], to_unit_ids=[other.id],
                                  to_user_ids=[], priority="0", actor=users["thanhtri-clerk"])


def test_unit_flow_through_the_api(client, world, api_token, db_session):
    """Leader → lead unit (Phòng Nội vụ) and co-handling unit (Phòng Tư pháp) → the unit's head hands it to the
    specialist → the specialist completes → the document is completed with its full timeline."""
    from eoffice.accounts import services as accounts
    from support import PASSWORD

    head = accounts.create_user(world.demo["thanhtri"], username="tt-nv-head", password=PASSWORD,
                                full_name="Phan Thanh Hùng", unit_id=world.unit("thanhtri", "NV").id, roles=["leader"])
    db_session.commit()
    doc = world.register(world.receive())
    leader = api_token("thanhtri-leader")
    directed = client.post(f"/api/v1/incoming/{doc.id}/direct", headers=leader, json={
        "opinion": "Phòng Nội vụ chủ trì", "lead": {"unit_id": world.unit("thanhtri", "NV").id},
        "co": [{"unit_id": world.unit("thanhtri", "TP").id}]})
    assert directed.status_code == 200, directed.get_json()
    lead_id = directed.get_json()["assignments"][0]["id"]
    handed = client.post(f"/api/v1/incoming/assignments/{lead_id}/reassign", headers=api_token("tt-nv-head"),
                         json={"targets": [{"user_id": world.user("thanhtri-specialist").id}], "note": "Rà soát"})
    assert handed.status_code == 200, handed.get_json()
    child = [a for a in handed.get_json()["assignments"] if a.get("parent_id") == lead_id]
    assert len(child) == 1
    specialist = api_token("thanhtri-specialist")
    done = client.post(f"/api/v1/incoming/assignments/{child[0]['id']}/complete", headers=specialist,
                       json={"comment": "Đã rà soát xong"})
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    final = client.get(f"/api/v1/incoming/{doc.id}", headers=leader).get_json()
    assert [t["action"] for t in final["trace"]] == ["receive", "register", "direct", "reassign", "complete"]
    assert final["trace"][3]["actor_id"] == head.id and final["trace"][3]["comment"] == "Rà soát"
    assert final["trace"][4]["data"]["parents_completed"] == [lead_id]
    states = {a["id"]: a["state"] for a in final["assignments"]}
    assert states[lead_id] == "done" and states[child[0]["id"]] == "done"
