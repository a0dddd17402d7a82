"""Remote signing end to end: a small signing service on 127.0.0.1 holding the test PKI's ``good`` key and
speaking :class:`~eoffice.signing.remote.HttpRemoteSigningService`'s protocol.

The service's key ids choose its behaviour: ``duc`` signs what it is sent, ``broken`` fails with HTTP 500, and
``liar`` signs a different hash than the one it was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_der_private_key
from werkzeug.wrappers import Request, Response

from eoffice.signing.remote import (HttpRemoteSigningService, RemoteSigningError, finish_remote_signature,
                                    prepare_remote_signature, sign_remote)
from eoffice.signing.stamps import SignerStampStyle, make_demo_signature_png
from eoffice.signing.verify import verify_pdf

from .helpers import validate_all
from .servers import serve_wsgi

TOKEN = "bearer-token-of-the-test"
STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                         name="Nguyễn Văn Đức")
BOX = (320, 120, 540, 260)


class SigningService:
    """The remote side: checks the bearer token, serves the chain, signs SHA-256 hashes (RSA PKCS#1 v1.5)."""

    def __init__(self, key_der: bytes, chain):
        self.key = load_der_private_key(key_der, password=None)
        self.chain = [base64.b64encode(c.dump()).decode() for c in chain]

    def __call__(self, environ, start_response):
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"error": {"code": "unauthorized", "message": "unknown token"}}, 401)
        if request.path == "/api/certificates" and request.method == "GET":
            return _json({"certificates": self.chain})
        if request.path == "/api/sign" and request.method == "POST":
            body = request.get_json()
            if body["key_id"] == "broken":
                return _json({"error": {"code": "hsm_offline", "message": "HSM offline"}}, 500)
            digest = base64.b64decode(body["hash"])
            if body["key_id"] == "liar":
                digest = hashlib.sha256(b"another document").digest()
            signature = self.key.sign(digest, PKCS1v15(), Prehashed(hashes.SHA256()))
            return _json({"signature": base64.b64encode(signature).decode()})
        return _json({"error": {"code": "not_found", "message": request.path}}, 404)


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@pytest.fixture(scope="module")
def service_url(pki):
    service = SigningService(pki.arch.key_set.get_private_key("good").dump(), [pki.good.cert, pki.interm])
    with serve_wsgi(service) as server:
        yield server.url + "/api"


def _options() -> dict:
    return {"field_name": "ChuKyLanhDao", "stamp": STAMP, "box": BOX, "page": 0,
            "text_params": {"signing_time": datetime.now(timezone.utc)}}


def test_remote_signature_end_to_end(service_url, pki, make_pdf):
    service = HttpRemoteSigningService(service_url, "duc", token=TOKEN)
    signed = sign_remote(make_pdf(), service, timestamper=pki.timestamper(), **_options())

    (status,) = validate_all(signed, pki.validation_context()).values()
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.dump() == pki.good.cert.dump()
    assert status.timestamp_validity is not None

    report = verify_pdf(signed, trust_roots=[pki.root])
    (sig,) = report.signatures
    assert sig.intact and sig.crypto_valid and sig.trusted, report.to_dict()
    assert (sig.field, sig.signer, sig.level) == ("ChuKyLanhDao", "Nguyễn Văn Đức", "B-T")


def test_two_halves_may_run_apart(service_url, pki, make_pdf):
    """Prepare now, have the hash signed later (e.g. approved on a phone), finish then."""
    service = HttpRemoteSigningService(service_url, "duc", token=TOKEN)
    pending = prepare_remote_signature(make_pdf(), service.certificate_chain(), **_options())
    assert len(pending.hash_to_sign) == 32
    signed = finish_remote_signature(pending, service.sign_hash(pending.hash_to_sign))
    (status,) = validate_all(signed, pki.validation_context()).values()
    assert status.bottom_line


def test_wrong_token_is_a_clear_error(service_url):
    service = HttpRemoteSigningService(service_url, "duc", token="stolen-or-expired")
    with pytest.raises(RemoteSigningError, match="refused our credentials.*401.*unknown token"):
        service.certificate_chain()


def test_service_failure_is_a_clear_error(service_url, make_pdf):
    service = HttpRemoteSigningService(service_url, "broken", token=TOKEN)
    with pytest.raises(RemoteSigningError, match="HTTP 500.*HSM offline"):
        sign_remote(make_pdf(), service, **_options())


def test_unreachable_service_is_a_clear_error():
    service = HttpRemoteSigningService("http://127.0.0.1:9/api", "duc", token=TOKEN, timeout=5)
    with pytest.raises(RemoteSigningError, match="cannot be reached"):
        service.certificate_chain()


def test_signature_over_the_wrong_hash_is_refused_and_would_not_verify(service_url, pki, make_pdf):
    service = HttpRemoteSigningService(service_url, "liar", token=TOKEN)
    pending = prepare_remote_signature(make_pdf(), service.certificate_chain(), **_options())
    value = service.sign_hash(pending.hash_to_sign)
    with pytest.raises(RemoteSigningError, match="does not match"):
        finish_remote_signature(pending, value)

    # had it been embedded anyway, every validator would reject the document
    forced = finish_remote_signature(pending, value, check=False)
    (status,) = validate_all(forced, pki.validation_context()).values()
    assert not status.bottom_line and not status.valid
    (sig,) = verify_pdf(forced, trust_roots=[pki.root]).signatures
    assert sig.indication == "TOTAL-FAILED" and not sig.crypto_valid


def test_a_redirect_is_refused_and_its_target_never_called(client, demo, api_token, app, monkeypatch, caplog):
    """An allowed service answering 302 must not send the server to another (internal) address."""
    from .test_credentials import REMOTE, CountingService

    internal = CountingService()

    def redirecting(environ, start_response):
        target = internal.url + Request(environ).path
        return Response("", status=302, headers={"Location": target})(environ, start_response)

    with serve_wsgi(internal) as internal_server, serve_wsgi(redirecting) as allowed:
        internal.url = internal_server.url
        service = HttpRemoteSigningService(allowed.url + "/api", "duc", token=TOKEN, timeout=5)
        with pytest.raises(RemoteSigningError, match="redirect"):
            service.certificate_chain()
        monkeypatch.setitem(app.config, "REMOTE_SIGNING_ALLOWED_URLS", (allowed.url + "/api",))
        refused = client.post(REMOTE, headers=api_token("thanhtri-admin"),
                              json={"url": allowed.url + "/api", "key_id": "k1", "token": TOKEN})
    assert refused.status_code == 422, refused.get_data(as_text=True)[:300]
    error = refused.get_json()["error"]
    assert error["code"] == "remote_refused" and internal.url not in error["message"]
    assert internal.url in caplog.text  # the administrator sees where it tried to send us
    assert internal.hits == []
