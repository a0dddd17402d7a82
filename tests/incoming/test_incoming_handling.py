"""Direction, re-assignment inside units at any depth, the inbox and its states, extension requests, completion
by the lead, and the handling history (TraceHeaderList)."""

from datetime import timedelta

import pytest

from eoffice.core.errors import Forbidden, ValidationFailed
from support import PASSWORD, day, iso_day


@pytest.fixture
def tree(world, db_session):
    """Phòng Nội vụ (NV) › Tổ Cải cách (CC) › Nhóm Một cửa (MC), with a member in each of the two lower units."""
    from eoffice.accounts import services

    agency = world.demo["thanhtri"]
    nv = world.unit("thanhtri", "NV")
    cc = services.create_unit(agency, name="Tổ Cải cách hành chính", abbreviation="CC", parent=nv)
    mc = services.create_unit(agency, name="Nhóm Một cửa", abbreviation="MC", parent=cc)
    member_cc = services.create_user(agency, username="tt-cc", password=PASSWORD, full_name="Võ Thị Cúc",
                                     unit_id=cc.id, roles=["specialist"])
    member_mc = services.create_user(agency, username="tt-mc", password=PASSWORD, full_name="Thạch Sa Ry",
                                     unit_id=mc.id, roles=["specialist"])
    outsider_unit = world.unit("thanhtri", "TP")
    outsider = services.create_user(agency, username="tt-tp", password=PASSWORD, full_name="Lý Văn Tư",
                                    unit_id=outsider_unit.id, roles=["specialist"])
    db_session.commit()
    return {"nv": nv, "cc": cc, "mc": mc, "member_cc": member_cc, "member_mc": member_mc, "outsider": outsider,
            "tp": outsider_unit}


def test_direction_creates_lead_co_and_info_with_deadlines(world):
    doc = world.register(world.receive(due_date=day(20)))
    world.direct(doc, lead={"unit_id": world.unit("thanhtri", "NV").id, "deadline": day(14)},
                 co=[{"unit_id": world.unit("thanhtri", "TP").id}], info=[{"user_id": world.user("thanhtri-admin").id}],
                 opinion="Phòng Nội vụ chủ trì, tham mưu trả lời")
    roles = [(a.role, a.target_name, a.deadline) for a in doc.assignments]
    assert roles == [("lead", "Phòng Nội vụ", day(14)), ("co", "Phòng Tư pháp", day(20)),
                     ("info", "Lâm Quốc Huy", None)]
    assert doc.state == "directed" and doc.directed_by.username == "thanhtri-leader"
    assert doc.direction_opinion == "Phòng Nội vụ chủ trì, tham mưu trả lời"


def test_only_a_leader_directs_and_a_secret_document_goes_to_people_only(world):
    from eoffice.incoming import services

    doc = world.register(world.receive())
    with pytest.raises(Forbidden):
        services.direct_incoming(doc, actor=world.user("thanhtri-specialist"), opinion="",
                                 lead={"user_id": world.user("thanhtri-specialist").id})
    secret = world.register(world.receive(secrecy=2, code_number="77"))
    with pytest.raises(ValidationFailed) as refused:
        services.direct_incoming(secret, actor=world.user("thanhtri-leader"), opinion="",
                                 lead={"unit_id": world.unit("thanhtri", "NV").id})
    assert refused.value.code == "secret_needs_people"


def test_reassignment_goes_down_the_unit_tree_at_any_depth_and_never_outside(world, tree):
    from eoffice.incoming import services

    doc = world.directed(lead={"unit_id": tree["nv"].id, "deadline": day(20)})
    lead = doc.assignments[0]
    # A member of the lead unit (the specialist of Phòng Nội vụ) hands it to the sub-unit…
    [to_cc] = services.reassign_assignment(lead, actor=world.user("thanhtri-specialist"),
                                           targets=[{"unit_id": tree["cc"].id}], note="Tổ CC xử lý")
    # …a member of the sub-unit hands it one level further down, to a person of the sub-sub-unit.
    [to_person] = services.reassign_assignment(to_cc, actor=tree["member_cc"],
                                               targets=[{"user_id": tree["member_mc"].id,
                                                         "deadline": day(18)}])
    assert (to_person.parent_id, to_cc.parent_id) == (to_cc.id, lead.id)
    assert to_person.role == "lead" and to_person.deadline == day(18)
    assert to_cc.deadline == day(20)  # inherited
    # Outside the unit: refused, and nothing of the refused call stays.
    with pytest.raises(Forbidden):
        services.reassign_assignment(to_cc, actor=tree["member_cc"], targets=[{"unit_id": tree["tp"].id}])
    # Not a holder: refused.
    with pytest.raises(Forbidden):
        services.reassign_assignment(lead, actor=tree["outsider"], targets=[{"unit_id": tree["cc"].id}])
    # A later deadline than one's own: refused.
    with pytest.raises(ValidationFailed):
        services.reassign_assignment(to_cc, actor=tree["member_cc"],
                                     targets=[{"user_id": tree["member_mc"].id, "deadline": day(40)}])


def test_reassignment_through_the_web_page_and_refusal_rolls_back(client, login, world, tree, db_session):
    from eoffice.incoming.models import Assignment

    doc = world.directed(lead={"unit_id": tree["nv"].id})
    lead = doc.assignments[0]
    login("thanhtri-specialist")
    refused = client.post(f"/incoming/assignments/{lead.id}/reassign",
                          data={f"a{lead.id}-targets": [f"unit:{tree['cc'].id}", f"unit:{tree['tp'].id}"]})
    assert refused.status_code == 403
    db_session.expire_all()
    assert db_session.query(Assignment).filter_by(document_id=doc.id).count() == 1
    done = client.post(f"/incoming/assignments/{lead.id}/reassign", data={f"a{lead.id}-targets": [f"unit:{tree['cc'].id}"]})
    assert done.status_code == 302
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert "Tổ Cải cách hành chính" in page


def test_inbox_states_new_read_in_progress_done_and_overdue(client, login, world, db_session):
    from eoffice.core.time import local_today
    from eoffice.incoming import lists

    past = local_today() - timedelta(days=3)
    late = world.directed(lead={"user_id": world.user("thanhtri-specialist").id, "deadline": past})
    fresh = world.register(world.receive(code_number="2", urgency=3, subject="Hỏa tốc: họp khẩn"))
    world.direct(fresh, lead={"user_id": world.user("thanhtri-specialist").id})
    me = world.user("thanhtri-specialist")
    today = local_today()
    rows = lists.inbox(me, today=today)
    assert [d.id for _a, d in rows] == [fresh.id, late.id]  # Hỏa tốc first
    assert [a.display_state(today) for a, _d in rows] == ["new", "overdue"]
    assert [d.id for _a, d in lists.inbox(me, state="overdue", today=today)] == [late.id]
    login("thanhtri-specialist")
    page = client.get("/incoming/inbox").get_data(as_text=True)
    assert 'class="table-danger" data-doc="%d"' % fresh.id in page  # express is highlighted
    client.get(f"/incoming/{fresh.id}")
    db_session.expire_all()
    assert fresh.assignments[0].state == "read" and fresh.assignments[0].read_at is not None
    client.post(f"/incoming/{fresh.id}/comment", data={"text": "Đang tổng hợp số liệu"})
    db_session.expire_all()
    assert fresh.assignments[0].state == "in_progress"
    assert [d.id for _a, d in lists.inbox(me, state="in_progress", today=today)] == [fresh.id]
    client.post(f"/incoming/assignments/{fresh.assignments[0].id}/complete", data={"comment": "Đã báo cáo"})
    assert [d.id for _a, d in lists.inbox(me, state="done", today=today)] == [fresh.id]
    assert [a.id for a, _d in lists.deadline_work(world.user("thanhtri-leader"), today=today, overdue=True)] == \
        [late.assignments[0].id]


def test_extension_request_is_approved_by_the_directing_leader_only(client, api_token, world):
    doc = world.directed(lead={"user_id": world.user("thanhtri-specialist").id, "deadline": day(10)})
    assignment = doc.assignments[0]
    specialist = api_token("thanhtri-specialist")
    too_early = client.post(f"/api/v1/incoming/assignments/{assignment.id}/extensions", headers=specialist,
                            json={"deadline": iso_day(9), "reason": "x"})
    assert too_early.status_code == 422
    asked = client.post(f"/api/v1/incoming/assignments/{assignment.id}/extensions", headers=specialist,
                        json={"deadline": iso_day(17), "reason": "Chờ số liệu của xã"})
    assert asked.status_code == 201
    request_id = asked.get_json()["id"]
    assert client.post(f"/api/v1/incoming/extensions/{request_id}/approve", headers=specialist).status_code == 403
    approved = client.post(f"/api/v1/incoming/extensions/{request_id}/approve", headers=api_token("thanhtri-leader"))
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    body = client.get(f"/api/v1/incoming/{doc.id}", headers=specialist).get_json()
    assert body["assignments"][0]["deadline"] == iso_day(17)
    assert [t["action"] for t in body["trace"]][-2:] == ["extension_request", "extension_approve"]
    again = client.post(f"/api/v1/incoming/extensions/{request_id}/refuse", headers=api_token("thanhtri-leader"))
    assert again.status_code == 409


def test_the_document_completes_when_the_lead_completes(world):
    from eoffice.incoming import services

    doc = world.directed(lead={"user_id": world.user("thanhtri-specialist").id},
                         co=[{"user_id": world.user("thanhtri-admin").id}])
    lead, co = doc.assignments
    services.complete_assignment(co, actor=world.user("thanhtri-admin"), comment="Đã góp ý")
    assert doc.state == "directed"
    with pytest.raises(Forbidden):  # only the holder completes
        services.complete_assignment(lead, actor=world.user("thanhtri-admin"))
    services.complete_assignment(lead, actor=world.user("thanhtri-specialist"), comment="Đã tham mưu văn bản trả lời",
                                 files=[("bao-cao.pdf", world.pdf)])
    assert doc.state == "completed" and doc.completed_at is not None
    assert [f.kind for f in doc.files] == ["main", "result"]
    with pytest.raises(Forbidden):  # closed: no more work on it
        services.complete_assignment(co, actor=world.user("thanhtri-admin"))


def test_timeline_records_every_action_in_order_with_who_and_what(client, login, world):
    from eoffice.incoming import services

    doc = world.directed(lead={"user_id": world.user("thanhtri-specialist").id})
    specialist = world.user("thanhtri-specialist")
    services.mark_read(doc, actor=specialist)
    services.comment_incoming(doc, actor=specialist, text="Đề nghị Phòng Tư pháp góp ý")
    services.forward_incoming(doc, actor=specialist, targets=[{"user_id": world.user("thanhtri-admin").id}])
    services.complete_assignment(doc.assignments[0], actor=specialist, comment="Xong")
    world.db.commit()
    actions = [(t.action, t.actor.username) for t in doc.trace]
    assert actions == [("receive", "thanhtri-clerk"), ("register", "thanhtri-clerk"), ("direct", "thanhtri-leader"),
                       ("read", "thanhtri-specialist"), ("comment", "thanhtri-specialist"),
                       ("forward", "thanhtri-specialist"), ("complete", "thanhtri-specialist")]
    login("thanhtri-leader")
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    timeline = page[page.index('data-testid="timeline"'):]
    for text in ("Đã vào sổ", "Đã chỉ đạo", "Đề nghị Phòng Tư pháp góp ý", "Chuyển để biết", "Hoàn thành",
                 "Lê Minh Tuấn", "Trần Văn Đức"):
        assert text in timeline, text
    from eoffice.audit.models import AuditEntry

    audit = world.db.query(AuditEntry).filter(AuditEntry.object_type == "incoming_document",
                                             AuditEntry.object_id == str(doc.id)).count()
    assert audit >= len(actions)


def test_completion_of_handed_down_lead_work_completes_the_chain_and_the_document(world, tree):
    """Leader → lead unit NV; a member hands it to sub-unit CC, whose member hands it to two people of MC and CC.
    The document completes when the last of those finishes; the co-handling unit's work does not count."""
    from eoffice.incoming import services

    doc = world.directed(lead={"unit_id": tree["nv"].id}, co=[{"unit_id": tree["tp"].id}])
    lead, co = doc.assignments
    [to_cc] = services.reassign_assignment(lead, actor=world.user("thanhtri-specialist"),
                                           targets=[{"unit_id": tree["cc"].id}])
    to_mc, to_cc_member = services.reassign_assignment(
        to_cc, actor=tree["member_cc"], targets=[{"user_id": tree["member_mc"].id},
                                                 {"user_id": tree["member_cc"].id}])
    services.complete_assignment(to_mc, actor=tree["member_mc"], comment="Phần của tôi xong")
    assert to_cc.state != "done" and doc.state == "directed"
    services.complete_assignment(to_cc_member, actor=tree["member_cc"], comment="Xong toàn bộ")
    world.db.commit()
    assert (to_cc.state, lead.state, doc.state) == ("done", "done", "completed")
    assert co.state != "done"
    last = doc.trace[-1]
    assert last.action == "complete" and last.details["parents_completed"] == [to_cc.id, lead.id]
    assert last.details["document_completed"] is True
