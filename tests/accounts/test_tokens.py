from datetime import timedelta

from sqlalchemy import select

from support import PASSWORD


def test_token_for_good_credentials(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": "thanhtri-admin", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and len(body["access_token"]) > 30
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "thanhtri-admin"
    assert me.get_json()["agency"]["code"] == "000.00.31.H55"


def test_malformed_json_is_a_400_in_the_envelope(client, demo):
    response = client.post("/api/v1/auth/token", data='{"username": "thanhtri-admin",',
                           content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_json" and error["message"] and error["details"] == {}


def test_non_object_json_is_a_400(client, demo):
    response = client.post("/api/v1/auth/token", json=["thanhtri-admin", PASSWORD])
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_missing_fields_are_a_422(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": "thanhtri-admin"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == ["username", "password"]


def test_wrong_password_is_a_401_and_locks_like_the_web(client, demo, app):
    for attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/api/v1/auth/token", json={"username": "sonoivu-clerk", "password": "bad-pass-123"})
    assert response.status_code == 423
    assert response.get_json()["error"]["code"] == "account_locked"
    right = client.post("/api/v1/auth/token", json={"username": "sonoivu-clerk", "password": PASSWORD})
    assert right.status_code == 423


def test_api_refuses_missing_and_forged_tokens(client, demo):
    assert client.get("/api/v1/me").get_json()["error"]["code"] == "token_required"
    forged = client.get("/api/v1/me", headers={"Authorization": "Bearer forged-token"})
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "token_invalid"


def test_api_ignores_the_browser_session(client, demo, login):
    login("thanhtri-admin")
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_and_expired_tokens_stop_working(client, demo, api_token, db_session):
    from eoffice.accounts.models import ApiToken
    from eoffice.core.time import utcnow

    headers = api_token("thanhtri-clerk")
    assert client.post("/api/v1/auth/revoke", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    headers = api_token("thanhtri-clerk")
    newest = db_session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    newest.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_only_the_token_hash_is_stored(client, demo, db_session):
    from eoffice.accounts.models import ApiToken

    token = client.post("/api/v1/auth/token", json={"username": "thanhtri-admin", "password": PASSWORD}
                        ).get_json()["access_token"]
    stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)
