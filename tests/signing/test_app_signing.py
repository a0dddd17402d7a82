"""Signing inside eoffice: the demo PKI imported as users' credentials, signing and verifying through the API,
the web pages and the commands, PIN counting, the seal belonging to clerks, and the trust store per agency."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from eoffice.signing.samples import make_sample_pdf

from support import PASSWORD


@pytest.fixture
def demo_pki(app, demo, db_session, monkeypatch):
    """The demo agencies with their demo PKI imported (keys are generated once per test session)."""
    from eoffice.signing.demo import set_up_demo_pki

    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    result = set_up_demo_pki(list(demo.values()), PASSWORD)
    db_session.commit()
    return result


@pytest.fixture(scope="module")
def sample_pdf():
    return make_sample_pdf(1)


def _sign(client, headers, pdfs, pin=PASSWORD, **form):
    data = {"pin": pin, **form, "file": [(io.BytesIO(pdf), f"doc{i}.pdf") for i, pdf in enumerate(pdfs)]}
    return client.post("/api/v1/signatures/sign", headers=headers, data=data, content_type="multipart/form-data")


def _verify(client, headers, pdf):
    return client.post("/api/v1/signatures/verify", headers=headers,
                       data={"file": (io.BytesIO(pdf), "signed.pdf")}, content_type="multipart/form-data")


def test_demo_pki_gives_every_demo_user_a_key_and_keeps_private_keys_private(app, demo_pki, db_session):
    from eoffice.accounts.models import User
    from eoffice.signing.models import SigningCredential, StampImage

    users = db_session.scalars(select(User)).all()
    credentials = db_session.scalars(select(SigningCredential).where(SigningCredential.active.is_(True))).all()
    assert {c.user_id for c in credentials} == {u.id for u in users} | {None}
    assert len([c for c in credentials if c.user_id is None]) == 2  # one seal per agency
    leader = next(c for c in credentials if c.user and c.user.username == "thanhtri-leader")
    assert "Trần Văn Đức" in leader.subject and leader.pkcs12_sealed and b"PRIVATE" not in leader.pkcs12_sealed
    assert len(db_session.scalars(select(StampImage)).all()) == len(users) + 2
    pki_dir = Path(app.instance_path) / "pki"
    assert (pki_dir / "root-ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    for public in (pki_dir / "public").rglob("*"):
        if public.is_file():
            assert b"PRIVATE KEY" not in public.read_bytes() and public.suffix != ".p12"


def test_leader_signs_through_the_api_and_the_signature_verifies(client, demo_pki, api_token, sample_pdf):
    headers = api_token("thanhtri-leader")
    signed = _sign(client, headers, [sample_pdf])
    assert signed.status_code == 200, signed.get_data(as_text=True)[:300]
    assert signed.mimetype == "application/pdf" and signed.headers["X-Signature-Level"] == "B-T"
    report = _verify(client, headers, signed.data).get_json()
    assert report["valid"] is True
    sig, = report["signatures"]
    assert sig["signer"] == "Trần Văn Đức" and sig["indication"] == "TOTAL-PASSED"
    assert sig["trusted"] is True and sig["intact"] is True and sig["level"] == "B-T"
    assert sig["timestamp_time"] and sig["modification_level"] in ("NONE", None) or sig["coverage"] == "ENTIRE_FILE"
    assert set(sig) >= {"field", "signer", "indication", "sub_indication", "intact", "trusted", "revocation",
                        "coverage", "modification_level", "signing_time", "timestamp_time", "level", "changed_fields"}


def test_tampered_signed_pdf_is_reported_invalid(client, demo_pki, api_token, sample_pdf):
    headers = api_token("thanhtri-leader")
    signed = bytearray(_sign(client, headers, [sample_pdf]).data)
    at = signed.index(b"QUY") if b"QUY" in signed else len(signed) // 3
    signed[at] ^= 0x01
    report = _verify(client, headers, bytes(signed)).get_json()
    assert report["valid"] is False
    assert report["signatures"] == [] or report["signatures"][0]["indication"] != "TOTAL-PASSED"


def test_batch_signing_with_one_pin_returns_a_zip_of_valid_pdfs(client, demo_pki, api_token, sample_pdf):
    headers = api_token("sonoivu-specialist")
    response = _sign(client, headers, [sample_pdf, make_sample_pdf(2), sample_pdf])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert len(archive.namelist()) == 3
    for name in archive.namelist():
        report = _verify(client, headers, archive.read(name)).get_json()
        assert report["valid"] is True and report["signatures"][0]["signer"] == "Đặng Quốc Khánh"


def test_wrong_pins_are_counted_and_lock_the_key(client, demo_pki, api_token, sample_pdf, db_session, app):
    from eoffice.audit.models import AuditEntry

    headers = api_token("thanhtri-leader")
    first = _sign(client, headers, [sample_pdf], pin="0000")
    assert first.status_code == 403 and first.get_json()["error"]["code"] == "wrong_pin"
    assert first.get_json()["error"]["details"]["attempts_left"] == app.config["PIN_MAX_FAILURES"] - 1
    for _ in range(app.config["PIN_MAX_FAILURES"] - 1):
        last = _sign(client, headers, [sample_pdf], pin="0000")
    assert last.status_code == 423 and last.get_json()["error"]["code"] == "pin_locked"
    assert _sign(client, headers, [sample_pdf]).status_code == 423  # the right PIN while locked
    failures = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "signing.pin_failed")).all()
    assert len(failures) == app.config["PIN_MAX_FAILURES"]
    assert PASSWORD not in " ".join(e.data for e in db_session.scalars(select(AuditEntry)))


def test_the_seal_belongs_to_clerks(client, demo_pki, api_token, sample_pdf):
    refused = _sign(client, api_token("thanhtri-specialist"), [sample_pdf], seal="1")
    assert refused.status_code == 403
    sealed = _sign(client, api_token("thanhtri-clerk"), [sample_pdf], seal="1")
    assert sealed.status_code == 200
    sig, = _verify(client, api_token("thanhtri-clerk"), sealed.data).get_json()["signatures"]
    assert sig["signer"] == "Ủy ban nhân dân huyện Thạnh Trị"


def test_signing_refuses_what_is_not_a_pdf(client, demo_pki, api_token):
    response = _sign(client, api_token("thanhtri-leader"), [b"GIF89a not a pdf"])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "not_pdf"
    no_pin = _sign(client, api_token("thanhtri-leader"), [make_sample_pdf(1)], pin="")
    assert no_pin.status_code == 422 and no_pin.get_json()["error"]["code"] == "pin_required"


def test_untrusted_root_is_not_valid_outside_demo_mode(client, demo_pki, api_token, sample_pdf, app, monkeypatch):
    headers = api_token("sonoivu-leader")
    signed = _sign(client, headers, [sample_pdf]).data
    monkeypatch.setitem(app.config, "DEMO_MODE", False)
    report = _verify(client, headers, signed).get_json()
    assert report["valid"] is False and report["signatures"][0]["trusted"] is False
    root = (Path(app.instance_path) / "pki" / "root-ca.pem").read_bytes()
    admin = api_token("sonoivu-admin")
    added = client.post("/api/v1/signing/trust-anchors", headers=admin,
                        data={"file": (io.BytesIO(root), "root.pem")}, content_type="multipart/form-data")
    assert added.status_code == 201
    assert _verify(client, headers, signed).get_json()["valid"] is True
    # The other agency's trust store is its own.
    other = api_token("thanhtri-leader")
    assert _verify(client, other, signed).get_json()["valid"] is False
    assert client.get("/api/v1/signing/trust-anchors", headers=api_token("thanhtri-admin")).get_json()["items"] == []
    anchor_id = added.get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/signing/trust-anchors/{anchor_id}", headers=api_token("thanhtri-admin")).status_code == 404
    assert client.delete(f"/api/v1/signing/trust-anchors/{anchor_id}", headers=admin).status_code == 204


def test_a_leaf_certificate_is_not_a_trust_anchor(client, demo_pki, api_token, app):
    leaf = (Path(app.instance_path) / "pki" / "public" / "users" / "thanhtri-leader.pem").read_bytes()
    response = client.post("/api/v1/signing/trust-anchors", headers=api_token("thanhtri-admin"),
                           data={"file": (io.BytesIO(leaf), "leaf.pem")}, content_type="multipart/form-data")
    assert response.status_code == 422
    garbage = client.post("/api/v1/signing/trust-anchors", headers=api_token("thanhtri-admin"),
                          data={"file": (io.BytesIO(b"junk"), "x.pem")}, content_type="multipart/form-data")
    assert garbage.status_code == 422


def test_public_verification_page_without_login(client, demo_pki, api_token, sample_pdf):
    signed = _sign(client, api_token("thanhtri-leader"), [sample_pdf]).data
    page = client.get("/verify")
    assert page.status_code == 200 and "Kiểm tra chữ ký số" in page.get_data(as_text=True)
    result = client.post("/verify", data={"file": (io.BytesIO(signed), "qd.pdf")}, content_type="multipart/form-data")
    text = result.get_data(as_text=True)
    assert result.status_code == 200 and "Tất cả chữ ký số đều hợp lệ" in text and "Trần Văn Đức" in text
    token = text.split("/verify/report/")[1][:64]
    as_json = client.get(f"/verify/report/{token}.json")
    assert json.loads(as_json.data)["valid"] is True
    as_pdf = client.get(f"/verify/report/{token}.pdf")
    assert as_pdf.mimetype == "application/pdf" and as_pdf.data.startswith(b"%PDF")
    assert client.get("/verify/report/" + "0" * 64 + ".json").status_code == 404
    not_pdf = client.post("/verify", data={"file": (io.BytesIO(b"hello"), "x.txt")}, content_type="multipart/form-data")
    assert not_pdf.status_code == 422 and "không phải tệp PDF" in not_pdf.get_data(as_text=True)


def test_unsigned_pdf_on_the_verification_page(client, demo_pki, sample_pdf):
    result = client.post("/verify", data={"file": (io.BytesIO(sample_pdf), "plain.pdf")},
                         content_type="multipart/form-data")
    assert "Tệp chưa được ký số" in result.get_data(as_text=True)


def test_web_signing_page_signs_and_downloads(client, demo_pki, login, sample_pdf):
    login("sonoivu-leader")
    page = client.get("/signing").get_data(as_text=True)
    assert "Nguyễn Thị Hồng Nhung" in page and "Ký số tệp PDF" in page
    response = client.post("/signing/sign", data={"pin": PASSWORD, "visible": "y",
                                                  "files": [(io.BytesIO(sample_pdf), "quyet-dinh.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "quyet-dinh.signed.pdf" in response.headers["Content-Disposition"]
    wrong = client.post("/signing/sign", data={"pin": "0000", "files": [(io.BytesIO(sample_pdf), "x.pdf")]},
                        content_type="multipart/form-data")
    assert wrong.status_code == 303
    assert "Sai mã PIN" in client.get("/signing").get_data(as_text=True)


def test_cli_sign_and_verify(runner, demo_pki, tmp_path, app, monkeypatch, sample_pdf):
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(sample_pdf)
    monkeypatch.setenv("EOFFICE_PIN", PASSWORD)
    signed = runner.invoke(args=["signing", "sign", str(source), str(target), "--user", "thanhtri-leader"])
    assert signed.exit_code == 0, signed.output
    # In demo mode the demo root is part of the public trust set; outside it, only the trust list and --trust.
    demo_trusted = runner.invoke(args=["signing", "verify", str(target), "--json"])
    assert demo_trusted.exit_code == 0 and json.loads(demo_trusted.output)["valid"] is True
    monkeypatch.setitem(app.config, "DEMO_MODE", False)
    root = str(Path(app.instance_path) / "pki" / "root-ca.pem")
    ok = runner.invoke(args=["signing", "verify", str(target), "--trust", root, "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["valid"] is True
    untrusted = runner.invoke(args=["signing", "verify", str(target), "--json"])
    assert untrusted.exit_code == 1 and json.loads(untrusted.output)["signatures"][0]["trusted"] is False
    unsigned = runner.invoke(args=["signing", "verify", str(source)])
    assert unsigned.exit_code == 1 and "not signed" in unsigned.output
    missing = runner.invoke(args=["signing", "verify", str(tmp_path / "nope.pdf"), "--json"])
    assert missing.exit_code == 2 and json.loads(missing.output)["error"]["code"] == "file_unreadable"
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n garbage")
    refused = runner.invoke(args=["signing", "verify", str(garbage), "--json"])
    assert refused.exit_code == 1 and json.loads(refused.output)["valid"] is False
    monkeypatch.setenv("EOFFICE_PIN", "0000")
    wrong = runner.invoke(args=["signing", "sign", str(source), str(target), "--user", "thanhtri-leader"])
    assert wrong.exit_code == 2 and "Sai mã PIN" in wrong.output


def test_web_key_and_image_uploads(client, demo_pki, login, app, db_session):
    from eoffice.signing.images import make_demo_signature_png
    from eoffice.signing.models import SigningCredential

    login("thanhtri-specialist")
    page = client.get("/signing").get_data(as_text=True)
    assert page.count('id="pin"') == 1 and 'id="p12-pin"' in page  # one id per field on the page
    p12 = (Path(app.instance_path) / "pki" / "users" / "thanhtri-specialist.p12").read_bytes()
    wrong = client.post("/signing/pkcs12", data={"p12-pin": "0000", "p12-file": (io.BytesIO(p12), "me.p12")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "Mã PIN không mở được tệp PKCS#12 này." in wrong.get_data(as_text=True)
    before = db_session.scalars(select(SigningCredential.id)).all()
    ok = client.post("/signing/pkcs12", data={"p12-pin": PASSWORD, "p12-file": (io.BytesIO(p12), "me.p12")},
                     content_type="multipart/form-data", follow_redirects=True)
    assert "Đã lưu khóa ký số của bạn." in ok.get_data(as_text=True)
    assert len(db_session.scalars(select(SigningCredential.id)).all()) == len(before) + 1
    jpeg_like = client.post("/signing/image", data={"image-file": (io.BytesIO(b"\xff\xd8\xff not png"), "x.jpg")},
                            content_type="multipart/form-data", follow_redirects=True)
    assert "Ảnh không dùng được" in jpeg_like.get_data(as_text=True)
    png = client.post("/signing/image", data={"image-file": (io.BytesIO(make_demo_signature_png("Lê Minh Tuấn")), "s.png")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "Đã lưu ảnh chữ ký của bạn." in png.get_data(as_text=True)
    assert client.get("/signing/image/signature").mimetype == "image/png"


def test_admin_trust_page(client, demo_pki, login, app):
    login("sonoivu-admin")
    page = client.get("/admin/signing").get_data(as_text=True)
    assert "Chứng thư số gốc tin cậy" in page and "Chế độ trình diễn" in page
    root = (Path(app.instance_path) / "pki" / "root-ca.pem").read_bytes()
    added = client.post("/admin/signing/trust", data={"trust-file": (io.BytesIO(root), "root.pem")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "eoffice Demo Root CA" in added.get_data(as_text=True) or "Root" in added.get_data(as_text=True)
    login("sonoivu-leader")
    assert client.get("/admin/signing").status_code == 403


def test_remote_signing_service_as_a_users_key(client, demo_pki, api_token, pki, sample_pdf, app, monkeypatch):
    """The third channel: the key lives in a signing service (here a local one holding the test PKI's key),
    registered for the leader by the agency's admin at an address the configuration allows."""
    from eoffice.signing.verify import verify_pdf

    from .servers import serve_wsgi
    from .test_remote import TOKEN, SigningService

    service = SigningService(pki.arch.key_set.get_private_key("good").dump(), [pki.good.cert, pki.interm])
    headers, admin = api_token("sonoivu-leader"), api_token("sonoivu-admin")
    with serve_wsgi(service) as server:
        monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (server.url + "/api",))
        body = {"url": server.url + "/api", "key_id": "k1", "username": "sonoivu-leader"}
        refused = client.post("/api/v1/signing/credential/remote", headers=admin, json={**body, "token": "wrong"})
        assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "remote_refused"
        assert "unknown token" not in refused.get_data(as_text=True)  # the service's words stay in the log
        registered = client.post("/api/v1/signing/credential/remote", headers=admin, json={**body, "token": TOKEN})
        assert registered.status_code == 201 and registered.get_json()["kind"] == "remote"
        signed = _sign(client, headers, [sample_pdf], pin="")
        assert signed.status_code == 200, signed.get_data(as_text=True)[:300]
    from eoffice.signing.services import parse_certificates

    demo_root = parse_certificates((Path(app.instance_path) / "pki" / "root-ca.pem").read_bytes())
    report = verify_pdf(signed.data, trust_roots=[pki.root, *demo_root])  # signer's root and the demo TSA's
    assert report.valid and report.signatures[0].intact and report.signatures[0].level == "B-T"
    assert client.get("/api/v1/signing/credential", headers=headers).get_json()["kind"] == "remote"


def test_pkcs11_token_as_a_users_key(client, runner, demo_pki, api_token, token, pki, sample_pdf, app):
    """A key on a PKCS#11 token (SoftHSM2) registered by command for a user, then used with the token's PIN."""
    from eoffice.signing.services import parse_certificates
    from eoffice.signing.verify import verify_pdf

    from .softhsm import KEY, PIN, TOKEN

    registered = runner.invoke(args=["signing", "register-pkcs11", "--user", "thanhtri-specialist", "--module", token,
                                     "--token", TOKEN, "--key-label", KEY])
    assert registered.exit_code == 0, registered.output
    headers = api_token("thanhtri-specialist")
    assert _sign(client, headers, [sample_pdf], pin="000000").get_json()["error"]["code"] == "wrong_pin"
    signed = _sign(client, headers, [sample_pdf], pin=PIN)
    assert signed.status_code == 200, signed.get_data(as_text=True)[:300]
    demo_root = parse_certificates((Path(app.instance_path) / "pki" / "root-ca.pem").read_bytes())
    report = verify_pdf(signed.data, trust_roots=[pki.root, *demo_root])
    assert report.valid and report.signatures[0].intact


def test_public_reports_expire(client, demo_pki, app, sample_pdf):
    import os
    import time

    result = client.post("/verify", data={"file": (io.BytesIO(sample_pdf), "plain.pdf")},
                         content_type="multipart/form-data").get_data(as_text=True)
    token = result.split("/verify/report/")[1][:64]
    stored = next((Path(app.instance_path) / "verify-reports").rglob(token))
    assert app.extensions["eoffice.jobs"].run_now("signing.expire_reports")["removed"] == 0
    old = time.time() - (app.config["VERIFY_REPORT_HOURS"] + 1) * 3600
    os.utime(stored, (old, old))
    assert app.extensions["eoffice.jobs"].run_now("signing.expire_reports")["removed"] == 1
    assert client.get(f"/verify/report/{token}.json").status_code == 404


def test_configured_tsa_failure_is_an_error_or_a_recorded_downgrade(client, demo_pki, api_token, pki, app,
                                                                     monkeypatch, sample_pdf, db_session):
    """An external TSA (the test PKI's, over real HTTP): B-T when it answers; when it is down, a clear error, or
    with the downgrade allowed a B-B signature that says so and is audited — never a time from this server."""
    from eoffice.audit.models import AuditEntry

    headers = api_token("thanhtri-leader")
    monkeypatch.setitem(app.config, "TSA_URL", pki.tsa_url)
    assert _sign(client, headers, [sample_pdf]).headers["X-Signature-Level"] == "B-T"
    monkeypatch.setitem(app.config, "TSA_URL", "http://127.0.0.1:9/tsa")  # nothing listens on the discard port
    down = _sign(client, headers, [sample_pdf])
    assert down.status_code == 422 and down.get_json()["error"]["code"] == "timestamp_failed"
    monkeypatch.setitem(app.config, "SIGNING_ALLOW_DOWNGRADE", True)
    downgraded = _sign(client, headers, [sample_pdf])
    assert downgraded.status_code == 200 and downgraded.headers["X-Signature-Level"] == "B-B"
    assert "X-Signature-Downgraded" in downgraded.headers
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "signing.sign")
                               .order_by(AuditEntry.id.desc())).first()
    assert json.loads(entry.data)["downgraded"] and json.loads(entry.data)["level"] == "B-B"
