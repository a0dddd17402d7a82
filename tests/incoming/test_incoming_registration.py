"""Registration: consecutive arrival numbers per book and year, secret documents in secret books only, the
duplicate warning and proceeding with a recorded reason, return to sender, the "ĐẾN" stamp data."""

from datetime import date

import pytest

from eoffice.core.errors import Conflict, ValidationFailed


def test_arrival_numbers_are_consecutive_per_book_and_restart_each_year(world):
    docs = [world.register(world.receive(code_number=str(n), arrival_date=date(2026, 12, 30))) for n in (1, 2, 3)]
    assert [d.arrival_number for d in docs] == [1, 2, 3]
    assert {d.book_id for d in docs} == {world.book("thanhtri").id}
    # The other agency's book counts on its own.
    other = world.register(world.receive("sonoivu"), "sonoivu")
    assert other.arrival_number == 1
    new_year = world.register(world.receive(code_number="9", arrival_date=date(2027, 1, 2)))
    assert (new_year.arrival_year, new_year.arrival_number) == (2027, 1)
    assert docs[1].arrival_number_text == "02"


def test_a_secret_document_goes_to_a_secret_book_only(world):
    from eoffice.incoming import services

    secret = world.receive(secrecy=1, subject="Tài liệu mật")
    clerk = world.user("thanhtri-clerk")
    with pytest.raises(ValidationFailed) as refused:
        services.register_incoming(secret, book=world.book("thanhtri"), actor=clerk,
                                   presented_to=world.user("thanhtri-leader"))
    assert refused.value.code == "secret_book_required"
    with pytest.raises(ValidationFailed):  # a secret document needs a named leader
        services.register_incoming(secret, book=world.book("thanhtri", secret=True), actor=clerk)
    plain = world.receive(code_number="99")
    with pytest.raises(ValidationFailed) as refused:
        services.register_incoming(plain, book=world.book("thanhtri", secret=True), actor=clerk)
    assert refused.value.code == "secret_book_refused"
    world.register(secret)
    assert secret.book_id == world.book("thanhtri", secret=True).id and secret.arrival_number == 1
    assert world.register(plain).arrival_number == 1  # the ordinary book has its own sequence


def test_duplicate_is_refused_until_a_reason_is_given_and_the_reason_is_recorded(world):
    from eoffice.incoming import services

    first = world.register(world.receive(code_number="15", code_notation="QĐ-UBND"))
    same = world.receive(code_number="15", code_notation="QĐ-UBND", subject="Bản gửi lại")
    with pytest.raises(Conflict) as conflict:
        services.register_incoming(same, book=world.book("thanhtri"), actor=world.user("thanhtri-clerk"))
    assert conflict.value.code == "duplicate"
    assert [d["id"] for d in conflict.value.details["duplicates"]] == [first.id]
    world.register(same, duplicate_reason="Bản gửi lại có phụ lục mới")
    assert same.state == "registered" and same.duplicate_reason == "Bản gửi lại có phụ lục mới"
    assert same.trace[-1].action == "register" and same.trace[-1].comment == "Bản gửi lại có phụ lục mới"
    # Same document identifier with another number is a duplicate too; another issuer is not.
    by_id = world.receive(code_number="16", document_identifier="X,2026/11/02,15/QĐ-UBND")
    world.register(by_id)
    again = world.receive(code_number="17", document_identifier="X,2026/11/02,15/QĐ-UBND")
    assert [d.id for d in services.find_duplicates(again)] == [by_id.id]
    other_issuer = world.receive(code_number="15", code_notation="QĐ-UBND", issuer_name="UBND huyện Châu Thành")
    assert services.find_duplicates(other_issuer) == []


def test_api_duplicate_answers_409_with_the_duplicates(client, world, api_token):
    headers = api_token("thanhtri-clerk")
    first = world.register(world.receive())
    second = world.receive()
    response = client.post(f"/api/v1/incoming/{second.id}/register", headers=headers,
                           json={"book_id": world.book("thanhtri").id})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate" and error["details"]["duplicates"][0]["id"] == first.id
    ok = client.post(f"/api/v1/incoming/{second.id}/register", headers=headers,
                     json={"book_id": world.book("thanhtri").id, "duplicate_reason": "Bản sửa đổi"})
    assert ok.status_code == 200 and ok.get_json()["arrival_number"] == 2
    assert ok.get_json()["duplicate_reason"] == "Bản sửa đổi"


def test_return_to_sender_needs_a_reason_and_leaves_the_flow(client, world, api_token):
    doc = world.receive()
    headers = api_token("thanhtri-clerk")
    assert client.post(f"/api/v1/incoming/{doc.id}/return", headers=headers, json={}).status_code == 422
    response = client.post(f"/api/v1/incoming/{doc.id}/return", headers=headers,
                           json={"reason": "Chữ ký số không hợp lệ"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "returned" and body["return_reason"] == "Chữ ký số không hợp lệ"
    assert [t["action"] for t in body["trace"]] == ["receive", "return"]
    again = client.post(f"/api/v1/incoming/{doc.id}/register", headers=headers, json={"book_id": world.book("thanhtri").id})
    assert again.status_code == 409


def test_stamp_data_after_registration_and_direction(world):
    from eoffice.incoming.schemas import stamp_data

    doc = world.register(world.receive(arrival_date=date(2026, 11, 3)), file_code="HS-05")
    doc = world.direct(doc, lead={"unit_id": world.unit("thanhtri", "NV").id})
    stamp = stamp_data(doc)
    assert stamp["agency"] == "Ủy ban nhân dân huyện Thạnh Trị"
    assert (stamp["arrival_number"], stamp["arrival_date"], stamp["file_code"]) == ("01", "03/11/2026", "HS-05")
    assert stamp["transferred_to"] == "Phòng Nội vụ" and stamp["transferred_at"]


@pytest.mark.parametrize("rule", ["document_identifier", "number_symbol_issuer"])
def test_duplicate_warning_fires_for_each_rule_on_its_own(client, world, api_token, rule):
    """Each rule alone is enough: the same identifier with every other field different, or the same number, symbol
    and issuing agency with no identifier (or a different one)."""
    from eoffice.incoming import services

    first = world.register(world.receive(code_number="21", code_notation="QĐ-UBND", issuer_code="000.00.00.H55",
                                         document_identifier="000.00.00.H55,2026/11/02,21/QĐ-UBND"))
    if rule == "document_identifier":
        same = world.receive(code_number="88", code_notation="TB-SNV", issuer_name="Sở Nội vụ", issuer_code="",
                             document_identifier="000.00.00.H55,2026/11/02,21/QĐ-UBND")
    else:
        same = world.receive(code_number="21", code_notation="QĐ-UBND", issuer_code="000.00.00.H55",
                             subject="Bản gửi lại qua đường bưu điện", document_identifier="")
    assert [d.id for d in services.find_duplicates(same)] == [first.id]
    with pytest.raises(Conflict) as conflict:
        services.register_incoming(same, book=world.book("thanhtri"), actor=world.user("thanhtri-clerk"))
    assert conflict.value.code == "duplicate"
    assert [d["id"] for d in conflict.value.details["duplicates"]] == [first.id]
    response = client.post(f"/api/v1/incoming/{same.id}/register", headers=api_token("thanhtri-clerk"),
                           json={"book_id": world.book("thanhtri").id})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "duplicate"
    assert world.register(same, duplicate_reason="Đã đối chiếu").arrival_number == 2


def test_near_misses_are_not_duplicates(world):
    """Another identifier, another number, another symbol or another issuer: no warning."""
    from eoffice.incoming import services

    world.register(world.receive(code_number="31", code_notation="QĐ-UBND", issuer_code="000.00.00.H55",
                                 document_identifier="000.00.00.H55,2026/11/02,31/QĐ-UBND"))
    for n, fields in enumerate(({"code_number": "32"}, {"code_notation": "KH-UBND"}, {"issuer_code": "000.00.00.H56"})):
        values = {"code_number": "31", "code_notation": "QĐ-UBND", "issuer_code": "000.00.00.H55",
                  "document_identifier": f"000.00.00.H55,2026/11/02,9{n}/QĐ-UBND", **fields}
        assert services.find_duplicates(world.receive(**values)) == [], fields
    # A returned document does not count.
    returned = world.receive(code_number="41", code_notation="TB-UBND")
    services.return_incoming(returned, reason="Gửi nhầm", actor=world.user("thanhtri-clerk"))
    assert services.find_duplicates(world.receive(code_number="41", code_notation="TB-UBND")) == []
