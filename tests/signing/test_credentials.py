"""Registering signing keys: remote keys by admins only, at configured addresses only (the server never calls an
address it was not told to trust, and never repeats what a service answered); PKCS#12 imports checked for
validity, key usage and the owner's name, with an admin's audited confirmation for a name that differs."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from support import PASSWORD

from .servers import serve_wsgi
from .test_app_signing import _sign, demo_pki, sample_pdf  # noqa: F401  (fixtures)
from .test_remote import TOKEN, SigningService

REMOTE = "/api/v1/signing/credential/remote"
SECRET_ANSWER = "internal-admin-page-secret"


class CountingService:
    """Counts every request; answers like a signing service, or with a body that must never reach the client."""

    def __init__(self, inner=None):
        self.hits, self.inner = [], inner

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.hits.append(request.path)
        if self.inner is not None and request.path.startswith("/api/"):
            return self.inner(environ, start_response)
        body = json.dumps({"error": {"message": SECRET_ANSWER}})
        return Response(body, status=500, mimetype="application/json")(environ, start_response)


@pytest.fixture
def remote(pki):
    service = CountingService(SigningService(pki.arch.key_set.get_private_key("good").dump(),
                                             [pki.good.cert, pki.interm]))
    with serve_wsgi(service) as server:
        service.url = server.url
        yield service


def _register(client, headers, **body):
    return client.post(REMOTE, headers=headers, json={"key_id": "k1", "token": TOKEN, **body})


def _envelope(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == code and set(error) == {"code", "message", "details"}
    return error


@pytest.mark.parametrize("role", ["leader", "clerk", "specialist"])
def test_only_an_admin_registers_a_remote_key_and_nothing_is_called_before(client, demo_pki, api_token, remote,
                                                                           app, monkeypatch, role):
    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (remote.url + "/api",))
    refused = _register(client, api_token(f"thanhtri-{role}"), url=remote.url + "/api")
    _envelope(refused, 403, "forbidden")
    assert remote.hits == []


def test_an_address_outside_the_allow_list_is_refused_before_any_request(client, demo_pki, api_token, remote, app,
                                                                          monkeypatch):
    admin = api_token("thanhtri-admin")
    # Nothing is allowed by default.
    assert app.config["REMOTE_SIGNING_ALLOWED_URLS"] == ()
    _envelope(_register(client, admin, url=remote.url + "/api"), 422, "remote_url_not_allowed")
    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (remote.url + "/api",))
    host, port = remote.url.rsplit(":", 1)
    for url in (remote.url + "/api-other", remote.url + "/", remote.url + "/api/../admin",
                remote.url + "/api/%2e%2e/admin", f"{host}:{int(port) + 1}/api", remote.url.replace("http:", "https:") + "/api",
                f"http://user@127.0.0.1:{port}/api", remote.url + "/api?x=1", "file:///etc/passwd",
                "http://169.254.169.254/latest/meta-data", "not a url"):
        error = _envelope(_register(client, admin, url=url), 422, "remote_url_not_allowed")
        assert url not in error["message"]
    assert remote.hits == []


def test_remote_errors_are_logged_not_echoed(client, demo_pki, api_token, remote, app, monkeypatch, caplog):
    admin = api_token("thanhtri-admin")
    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (remote.url,))
    refused = _register(client, admin, url=remote.url + "/internal")  # allowed, but answers 500 with a body
    error = _envelope(refused, 422, "remote_refused")
    assert SECRET_ANSWER not in refused.get_data(as_text=True) and "HTTP" not in error["message"]
    assert error["message"].startswith("Dịch vụ ký số")
    assert SECRET_ANSWER in caplog.text  # the administrator finds it in the log
    wrong_token = _register(client, admin, url=remote.url + "/api", token="stolen")
    assert "unknown token" not in wrong_token.get_data(as_text=True)
    assert remote.hits == ["/internal/certificates", "/api/certificates"]


def test_admin_registers_a_key_for_a_user_of_the_agency_only(client, demo_pki, api_token, remote, app, monkeypatch,
                                                             db_session, sample_pdf):
    from eoffice.accounts.models import User
    from eoffice.audit.models import AuditEntry

    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (remote.url + "/api",))
    admin = api_token("thanhtri-admin")
    other = db_session.scalar(select(User).where(User.username == "sonoivu-leader"))
    _envelope(_register(client, admin, url=remote.url + "/api", user_id=other.id), 404, "not_found")
    _envelope(_register(client, admin, url=remote.url + "/api", username="sonoivu-leader"), 404, "not_found")
    assert remote.hits == []
    leader = db_session.scalar(select(User).where(User.username == "thanhtri-leader"))
    made = _register(client, admin, url=remote.url + "/api", user_id=leader.id)
    assert made.status_code == 201 and made.get_json()["user_id"] == leader.id
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "signing.register")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_name == "thanhtri-admin" and json.loads(entry.data)["user_id"] == leader.id
    own = _register(client, admin, url=remote.url + "/api")  # no user named: the admin's own key
    assert own.status_code == 201 and own.get_json()["user_id"] != leader.id
    signed = _sign(client, api_token("thanhtri-leader"), [sample_pdf], pin="")
    assert signed.status_code == 200, signed.get_data(as_text=True)[:300]


def test_signing_through_a_failing_service_does_not_echo_it(client, demo_pki, api_token, remote, app, monkeypatch,
                                                            sample_pdf, caplog):
    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (remote.url + "/api",))
    made = _register(client, api_token("thanhtri-admin"), url=remote.url + "/api", key_id="broken",
                     username="thanhtri-leader")
    assert made.status_code == 201
    leader = api_token("thanhtri-leader")
    failed = _sign(client, leader, [sample_pdf], pin="")
    _envelope(failed, 422, "remote_refused")
    assert "HSM offline" not in failed.get_data(as_text=True) and "HSM offline" in caplog.text
    # An address taken off the allow-list is no longer called, even for a key registered before.
    monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", ())
    hits = len(remote.hits)
    _envelope(_sign(client, leader, [sample_pdf], pin=""), 422, "remote_url_not_allowed")
    assert len(remote.hits) == hits


# -- PKCS#12 imports ----------------------------------------------------------------------------------------------

P12 = "/api/v1/signing/credential/pkcs12"


def _import(client, headers, p12: bytes, pin: str, **form):
    return client.post(P12, headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(p12), "key.p12"), "pin": pin, **form})


def _audit(db_session, action):
    from eoffice.audit.models import AuditEntry

    return [json.loads(e.data) | {"actor": e.actor_name} for e in
            db_session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_a_certificate_issued_to_someone_else_is_refused_and_the_refusal_audited(client, demo, api_token, pki,
                                                                                 db_session):
    specialist = api_token("thanhtri-specialist")
    refused = _import(client, specialist, pki.good.pkcs12, pki.password)
    error = _envelope(refused, 409, "name_mismatch")
    assert "Nguyễn Văn Đức" in error["message"] and "quản trị" in error["message"]
    (entry,) = _audit(db_session, "signing.import_refused")
    assert entry["certificate_name"] == "Nguyễn Văn Đức" and entry["actor"] == "thanhtri-specialist"
    # A user's own "confirmation" counts for nothing.
    _envelope(_import(client, specialist, pki.good.pkcs12, pki.password, confirm_name="1"), 403, "forbidden")
    assert _audit(db_session, "signing.import") == []


def test_an_admin_confirms_a_name_that_differs_and_the_import_is_audited(client, demo, api_token, pki, db_session):
    from eoffice.signing.models import SigningCredential

    admin = api_token("thanhtri-admin")
    unconfirmed = _import(client, admin, pki.good.pkcs12, pki.password, username="thanhtri-specialist")
    _envelope(unconfirmed, 409, "name_mismatch")
    confirmed = _import(client, admin, pki.good.pkcs12, pki.password, username="thanhtri-specialist",
                        confirm_name="1")
    assert confirmed.status_code == 201, confirmed.get_json()
    credential = db_session.get(SigningCredential, confirmed.get_json()["id"])
    assert credential.user.username == "thanhtri-specialist" and credential.active
    (refusal,) = _audit(db_session, "signing.import_refused")
    (entry,) = _audit(db_session, "signing.import")
    assert refusal["actor"] == entry["actor"] == "thanhtri-admin"
    assert entry["name_confirmed_by_admin"] is True and entry["certificate_name"] == "Nguyễn Văn Đức"
    assert entry["user_id"] == credential.user_id
    # Another agency's user is not the admin's to give a key to.
    _envelope(_import(client, admin, pki.good.pkcs12, pki.password, username="sonoivu-specialist",
                      confirm_name="1"), 404, "not_found")


def test_the_owners_name_matches_whatever_its_case_spacing_and_normal_form(client, demo, api_token, pki,
                                                                           db_session):
    import unicodedata

    from eoffice.accounts import services

    agency = demo["thanhtri"]
    services.create_user(agency, username="tt-duc", password=PASSWORD, roles=["leader"],
                         full_name=unicodedata.normalize("NFD", "  nguyễn   VĂN  đức "))
    db_session.commit()
    made = _import(client, api_token("tt-duc"), pki.good.pkcs12, pki.password)
    assert made.status_code == 201, made.get_json()
    assert _audit(db_session, "signing.import_refused") == []


@pytest.mark.parametrize("signer, code", [("expired", "certificate_expired"),
                                          ("encipher_only", "certificate_not_for_signing")])
def test_an_expired_or_non_signing_certificate_is_refused(client, demo, api_token, pki, db_session, signer, code):
    from eoffice.signing.models import SigningCredential

    before = db_session.scalars(select(SigningCredential.id)).all()
    refused = _import(client, api_token("thanhtri-admin"), getattr(pki, signer).pkcs12, pki.password,
                      username="thanhtri-specialist", confirm_name="1")
    error = _envelope(refused, 422, code)
    assert "chứng thư" in error["message"].lower()
    assert db_session.scalars(select(SigningCredential.id)).all() == before


def test_digital_signature_alone_is_enough(client, demo, api_token, pki):
    made = _import(client, api_token("thanhtri-admin"), pki.no_nonrepudiation.pkcs12, pki.password,
                   username="thanhtri-specialist", confirm_name="1")
    assert made.status_code == 201


def test_the_web_upload_refuses_someone_elses_certificate_and_keeps_the_audit(client, demo, login, pki, db_session):
    login("thanhtri-specialist")
    page = client.post("/signing/pkcs12", data={"p12-pin": pki.password,
                                                "p12-file": (io.BytesIO(pki.good.pkcs12), "k.p12")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "Nguyễn Văn Đức" in page.get_data(as_text=True) and "Đã lưu khóa" not in page.get_data(as_text=True)
    assert len(_audit(db_session, "signing.import_refused")) == 1
    assert "quản trị viên" in page.get_data(as_text=True)  # says who can confirm it


# -- an admin imports a user's PKCS#12 through the signing page ----------------------------------------------------

ADMIN_P12 = "/admin/signing/pkcs12"


def _admin_import(client, pki, user, **form):
    return client.post(ADMIN_P12, content_type="multipart/form-data",
                       data={"user-user_id": user.id, "user-pin": pki.password,
                             "user-file": (io.BytesIO(pki.good.pkcs12), "k.p12"), **form})


def _credentials_of(db_session, user):
    from eoffice.signing.models import SigningCredential

    db_session.expire_all()
    return db_session.scalars(select(SigningCredential).where(SigningCredential.user_id == user.id)).all()


def test_admin_web_import_asks_to_confirm_a_name_that_differs(client, demo, login, pki, db_session):
    from eoffice.accounts.models import User

    specialist = db_session.scalar(select(User).where(User.username == "thanhtri-specialist"))
    before = _credentials_of(db_session, specialist)
    login("thanhtri-admin")
    assert 'data-testid="user-p12-form"' in client.get("/admin/signing").get_data(as_text=True)

    asked = _admin_import(client, pki, specialist)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 409
    assert 'data-testid="name-mismatch"' in page and "Nguyễn Văn Đức" in page and specialist.full_name in page
    assert f"Tôi xác nhận chứng thư số này thuộc về {specialist.full_name}" in page
    assert _credentials_of(db_session, specialist) == before
    (refusal,) = _audit(db_session, "signing.import_refused")
    assert refusal["actor"] == "thanhtri-admin" and refusal["user_id"] == specialist.id

    # A confirmation given for another user does not count for this one: the question is asked again.
    clerk = db_session.scalar(select(User).where(User.username == "thanhtri-clerk"))
    again = _admin_import(client, pki, specialist, **{"user-confirm_name": "y", "user-confirm_for": str(clerk.id)})
    assert again.status_code == 409 and _credentials_of(db_session, specialist) == before

    confirmed = _admin_import(client, pki, specialist,
                              **{"user-confirm_name": "y", "user-confirm_for": str(specialist.id)})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/admin/signing")
    assert f"Đã lưu khóa ký số của {specialist.full_name}." in client.get("/admin/signing").get_data(as_text=True)
    (credential,) = [c for c in _credentials_of(db_session, specialist) if c.active]
    assert credential.kind == "pkcs12" and credential not in before
    (entry,) = _audit(db_session, "signing.import")
    assert entry["name_confirmed_by_admin"] is True and entry["actor"] == "thanhtri-admin"
    assert entry["user_id"] == specialist.id and entry["certificate_name"] == "Nguyễn Văn Đức"


def test_admin_web_import_is_for_users_of_the_agency_only(client, demo, login, pki, db_session):
    from eoffice.accounts.models import User

    other = db_session.scalar(select(User).where(User.username == "sonoivu-specialist"))
    before = _credentials_of(db_session, other)
    login("thanhtri-admin")
    assert f"({other.username})" not in client.get("/admin/signing").get_data(as_text=True)
    refused = _admin_import(client, pki, other, **{"user-confirm_name": "y", "user-confirm_for": str(other.id)})
    assert refused.status_code == 302  # not one of the choices: the form is refused, nothing imported
    assert _credentials_of(db_session, other) == before
    assert _audit(db_session, "signing.import") == []


@pytest.mark.parametrize("role", ["specialist", "leader", "clerk"])
def test_only_an_admin_reaches_the_web_import_for_a_user(client, demo, login, pki, db_session, role):
    from eoffice.accounts.models import User

    specialist = db_session.scalar(select(User).where(User.username == "thanhtri-specialist"))
    login(f"thanhtri-{role}")
    refused = _admin_import(client, pki, specialist,
                            **{"user-confirm_name": "y", "user-confirm_for": str(specialist.id)})
    assert refused.status_code == 403
    assert _audit(db_session, "signing.import") == [] and _audit(db_session, "signing.import_refused") == []
