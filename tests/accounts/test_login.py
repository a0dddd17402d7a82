from sqlalchemy import select

from support import PASSWORD


def _user(db_session, username):
    from eoffice.accounts.models import User

    return db_session.scalar(select(User).where(User.username == username))


def test_login_page_is_vietnamese_and_has_csrf_field(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/login").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert "Đăng nhập" in page and "Mật khẩu" in page
    assert 'name="csrf_token"' in page


def test_login_lands_on_home_with_agency(client, demo, login):
    response = login("thanhtri-clerk")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    home = client.get("/").get_data(as_text=True)
    assert "Ủy ban nhân dân huyện Thạnh Trị" in home
    assert "Nguyễn Thị Thu Hà" in home


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get("/registry/books")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_gives_message_and_counts(client, demo, login, db_session):
    response = login("thanhtri-clerk", "not-the-password-1")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert _user(db_session, "thanhtri-clerk").failed_logins == 1


def test_unknown_username_gives_the_same_message(client, demo, login):
    response = login("nobody-here", "whatever-123")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, demo, login, db_session, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert login("thanhtri-leader", "wrong-password-9").status_code == 401
    locking = login("thanhtri-leader", "wrong-password-9")
    assert locking.status_code == 423
    assert "bị khóa" in locking.get_data(as_text=True)
    user = _user(db_session, "thanhtri-leader")
    assert user.is_locked()
    still_locked = login("thanhtri-leader", PASSWORD)
    assert still_locked.status_code == 423
    assert client.get("/").status_code == 302  # not logged in


def test_unlock_lets_the_user_in_again(client, demo, login, db_session):
    from eoffice.accounts.services import unlock_user

    for _ in range(5):
        login("thanhtri-leader", "wrong-password-9")
    unlock_user(_user(db_session, "thanhtri-leader"))
    db_session.commit()
    assert login("thanhtri-leader").status_code == 302


def test_deactivated_user_cannot_log_in(client, demo, login, db_session):
    _user(db_session, "sonoivu-specialist").active = False
    db_session.commit()
    assert login("sonoivu-specialist").status_code == 401


def test_logout_needs_post_and_ends_the_session(client, demo, login):
    login("sonoivu-admin")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_login_form_refuses_missing_csrf_token(app, db_session, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post("/login", data={"username": "sonoivu-admin", "password": PASSWORD},
                                          headers={"Accept": "application/json"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_session_cookie_is_httponly_and_samesite(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    from config import Config

    assert Config.SESSION_COOKIE_SECURE is True
