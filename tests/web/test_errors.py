def test_api_404_uses_the_envelope(client, demo, api_token):
    response = client.get("/api/v1/units/999999", headers=api_token("thanhtri-admin"))
    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


def test_unknown_api_route_uses_the_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code in (401, 404)
    assert "error" in response.get_json()


def test_browser_404_is_a_page(client, demo, login):
    login("thanhtri-admin")
    response = client.get("/admin/units/999999")
    assert response.status_code == 404 and "Không tìm thấy." in response.get_data(as_text=True)


def test_unexpected_error_hides_the_exception_and_gives_an_id(client, demo, login, caplog, monkeypatch):
    from eoffice.web import views

    def boom(actor):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "home_counts", boom)
    login("thanhtri-clerk")
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error" and "secret internal detail" not in error["message"]
    assert error["details"]["error_id"] in error["message"]
    assert error["details"]["error_id"] in caplog.text


def test_upload_larger_than_the_limit_is_a_413_envelope(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/api/v1/auth/token", data=b"x" * 5000, content_type="application/json")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_login_is_rate_limited(app, client, demo):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
                 for _ in range(4)]
    finally:
        app.config["RATELIMIT_LOGIN"] = "10000 per minute"
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_language_switch_and_open_redirect_guard(client, demo, login):
    login("thanhtri-specialist")
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)
    response = client.get("/lang/en?next=//evil.example/x")
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Log out" in page and "Specialist" in page
    client.get("/lang/vi?next=/")
    assert "Đăng xuất" in client.get("/").get_data(as_text=True)


def test_home_counts_come_from_the_database(client, demo, login, api_token):
    headers = api_token("sonoivu-admin")
    client.post("/api/v1/units", headers=headers, json={"name": "Phòng mới", "abbreviation": "PM"})
    login("sonoivu-admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-count="units">5<' in page and 'data-count="users">4<' in page
