import pytest
from sqlalchemy import select

from support import PASSWORD
from eoffice.core.errors import Conflict, ValidationFailed


def test_passwords_are_argon2_hashes(demo, db_session):
    from eoffice.accounts.models import User

    user = db_session.scalar(select(User).where(User.username == "thanhtri-admin"))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize("password, problem", [
    ("short1", "min_length"),
    ("onlyletterslong", "digit"),
    ("1234567890123", "letter"),
    ("newclerk-2026-pass", "username"),
])
def test_password_policy(app, demo, db_session, password, problem):
    from eoffice.accounts.services import create_user

    with app.test_request_context(), pytest.raises(ValidationFailed) as raised:
        create_user(demo["thanhtri"], username="newclerk", password=password, full_name="Võ Văn Kiệt")
    assert problem in raised.value.details["rules"]
    assert "Mật khẩu chưa đạt yêu cầu" in raised.value.message


def test_duplicate_username_is_a_conflict(app, demo, db_session):
    from eoffice.accounts.services import create_user

    with app.test_request_context(), pytest.raises(Conflict):
        create_user(demo["sonoivu"], username="THANHTRI-ADMIN", password="Another-pass-1", full_name="X")


def test_admin_creates_unit_and_user_through_the_api(client, demo, api_token):
    headers = api_token("sonoivu-admin")
    unit = client.post("/api/v1/units", headers=headers, json={"name": "Phòng Công chức", "abbreviation": "CC"})
    assert unit.status_code == 201
    created = client.post("/api/v1/users", headers=headers, json={
        "username": "sonoivu-cv2", "password": "Chuyen-vien-2026", "full_name": "Trương Thị Mỹ Linh",
        "position": "Chuyên viên", "unit_id": unit.get_json()["id"], "roles": ["specialist"]})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["roles"] == ["specialist"]
    token = client.post("/api/v1/auth/token", json={"username": "sonoivu-cv2", "password": "Chuyen-vien-2026"})
    assert token.status_code == 200


def test_api_validation_errors_use_the_envelope(client, demo, api_token):
    headers = api_token("sonoivu-admin")
    weak = client.post("/api/v1/users", headers=headers, json={
        "username": "weakling", "password": "abc", "full_name": "Weak", "roles": ["specialist"]})
    assert weak.status_code == 422 and weak.get_json()["error"]["code"] == "weak_password"
    bad_role = client.post("/api/v1/users", headers=headers, json={
        "username": "badrole", "password": "Good-pass-2026", "full_name": "Bad", "roles": ["emperor"]})
    assert bad_role.status_code == 422


def test_non_admin_cannot_manage_users(client, demo, api_token):
    headers = api_token("sonoivu-leader")
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "sneaky", "password": "Sneaky-pass-2026", "full_name": "S", "roles": ["admin"]})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_admin_user_form_in_the_web(client, demo, login, db_session):
    from eoffice.accounts.models import Unit, User

    login("thanhtri-admin")
    unit = db_session.scalar(select(Unit).where(Unit.agency_id == demo["thanhtri"].id, Unit.abbreviation == "TP"))
    response = client.post("/admin/users/new", data={
        "username": "thanhtri-cv9", "full_name": "Châu Ngọc Hân", "position": "Chuyên viên", "email": "",
        "unit_id": unit.id, "roles": ["specialist", "clerk"], "active": "y", "password": "Van-thu-2026"})
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.username == "thanhtri-cv9"))
    assert user.roles == {"specialist", "clerk"} and user.unit_id == unit.id


def test_admin_cannot_remove_own_admin_role(client, demo, login, db_session):
    from eoffice.accounts.models import User

    login("thanhtri-admin")
    me = db_session.scalar(select(User).where(User.username == "thanhtri-admin"))
    response = client.post(f"/admin/users/{me.id}", data={
        "full_name": me.full_name, "position": "", "email": "", "unit_id": 0, "roles": ["clerk"], "active": "y"})
    assert response.status_code == 400
    db_session.expire_all()
    assert "admin" in db_session.get(User, me.id).roles


def test_unit_cannot_be_its_own_ancestor(client, demo, api_token):
    headers = api_token("thanhtri-admin")
    parent = client.post("/api/v1/units", headers=headers, json={"name": "Khối A", "abbreviation": "KA"}).get_json()
    child = client.post("/api/v1/units", headers=headers,
                        json={"name": "Tổ A1", "abbreviation": "A1", "parent_id": parent["id"]}).get_json()
    loop = client.patch(f"/api/v1/units/{parent['id']}", headers=headers, json={"parent_id": child["id"]})
    assert loop.status_code == 422
    assert client.delete(f"/api/v1/units/{parent['id']}", headers=headers).status_code == 409


def test_cli_creates_user_and_reports_errors(runner, demo):
    ok = runner.invoke(args=["eoffice", "create-user", "--agency", "thanhtri", "--username", "cli-user",
                             "--full-name", "Tô Thị Hoa", "--role", "clerk", "--password", "Cli-pass-2026"])
    assert ok.exit_code == 0, ok.output
    assert "clerk" in ok.output
    bad = runner.invoke(args=["eoffice", "create-user", "--agency", "nowhere", "--username", "x",
                              "--full-name", "X", "--password", "Cli-pass-2026"])
    assert bad.exit_code == 2 and "no agency" in bad.output
    weak = runner.invoke(args=["eoffice", "set-password", "cli-user", "--password", "weak"])
    assert weak.exit_code == 2 and "Mật khẩu chưa đạt yêu cầu" in weak.output


def test_admin_cannot_deactivate_or_demote_self_through_the_api(client, demo, api_token):
    headers = api_token("thanhtri-admin")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert client.patch(f"/api/v1/users/{me['id']}", headers=headers, json={"roles": ["clerk"]}).status_code == 409
    assert client.delete(f"/api/v1/users/{me['id']}", headers=headers).status_code == 409
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["admin"]
