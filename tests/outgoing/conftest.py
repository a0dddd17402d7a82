"""Fixtures of the outgoing tests: the demo agencies with their demo PKI, a head of the drafting unit, and
helpers that walk a document through the API."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from eoffice.signing.samples import make_sample_pdf
from support import PASSWORD

from .helpers import UNIT_HEAD, doc_type, out_book, user

@pytest.fixture(scope="session")
def sample_pdf():
    return make_sample_pdf(1)


@pytest.fixture(scope="session")
def appendix_pdf():
    return make_sample_pdf(1, title="PHỤ LỤC\nDanh sách các đơn vị")


@pytest.fixture(scope="session")
def pki_server(tmp_path_factory):
    """The outgoing tests' own demo PKI directory and a live server for its OCSP/CRL URLs, so that poppler can
    check revocation (NSS calls certificates it cannot check "unknown issue"). Own directory, because a PKI
    created earlier in the session by other tests names a responder address nobody serves."""
    import threading

    from werkzeug.serving import make_server

    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    holder["app"] = lambda environ, start: (start("503 Service Unavailable", []), [b""])[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state = {"url": f"http://127.0.0.1:{server.server_port}/pki", "dir": tmp_path_factory.mktemp("pki-outgoing"),
             "holder": holder, "mounted": False}
    yield state
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def demo_pki(app, demo, db_session, monkeypatch, pki_server):
    """The demo agencies with their demo PKI imported, and a head of thanhtri's Phòng Nội vụ (the specialist's
    unit) who reviews its drafts."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from eoffice.accounts.models import Unit
    from eoffice.accounts.services import create_user
    from eoffice.signing import operations
    from eoffice.signing.demo import set_up_demo_pki
    from eoffice.signing.pki import load_demo_pki

    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    monkeypatch.setitem(app.config, "PKI_PATH", str(pki_server["dir"]))
    monkeypatch.setitem(app.config, "PKI_PUBLIC_PATH", str(pki_server["dir"] / "public"))
    monkeypatch.setitem(app.config, "DEMO_PKI_URL", pki_server["url"])
    set_up_demo_pki(list(demo.values()), PASSWORD)
    if not pki_server["mounted"]:
        pki = load_demo_pki(pki_server["dir"], pki_server["dir"] / "public")
        pki_server["stamper"] = pki.timestamper()
        animator = pki.wsgi_app()
        pki_server["holder"]["app"] = DispatcherMiddleware(
            lambda environ, start: (start("404 Not Found", []), [b""])[1], {"/pki": animator})
        pki_server["mounted"] = True
    # operations.timestamper() opens the demo PKI (every key) for each signature: seconds per document. The same
    # in-process demo TSA, opened once per session, keeps these tests fast.
    monkeypatch.setattr(operations, "timestamper", lambda: pki_server["stamper"])
    nv = db_session.scalar(select(Unit).where(Unit.agency_id == demo["thanhtri"].id, Unit.abbreviation == "NV"))
    create_user(demo["thanhtri"], username=UNIT_HEAD, password=PASSWORD, full_name="Võ Thị Mai",
                position="Trưởng phòng Nội vụ", unit_id=nv.id, roles=["leader"])
    db_session.commit()
    return demo


@pytest.fixture
def flow(client, api_token, db_session, sample_pdf):
    """Steps of the outgoing flow through the API, each asserting its status code."""

    class Flow:
        def __init__(self):
            self.tokens = {}

        def headers(self, username):
            if username not in self.tokens:
                self.tokens[username] = api_token(username)
            return self.tokens[username]

        def draft(self, username="thanhtri-specialist", code="QD", recipients=None, pdf=None, **fields):
            agency_slug = username.split("-")[0]
            body = {"document_type_id": doc_type(db_session, code).id,
                    "subject": "Về việc ban hành Quy chế quản lý văn bản điện tử",
                    "signer_id": user(db_session, f"{agency_slug}-leader").id, "priority": 1, "page_amount": 1,
                    "issued_amount": 3, "places": "Như Điều 3;\nLưu: VT, NV.", "recipients": recipients or [],
                    **fields}
            created = client.post("/api/v1/outgoing", headers=self.headers(username), json=body)
            assert created.status_code == 201, created.get_json()
            doc_id = created.get_json()["id"]
            self.upload(username, doc_id, pdf or sample_pdf)
            return doc_id

        def upload(self, username, doc_id, pdf, role="main", expect=201, name="du-thao.pdf"):
            response = client.post(f"/api/v1/outgoing/{doc_id}/files", headers=self.headers(username),
                                   data={"file": (io.BytesIO(pdf), name), "role": role},
                                   content_type="multipart/form-data")
            assert response.status_code == expect, response.get_json()
            return response.get_json()

        def act(self, username, doc_id, action, expect=200, **body):
            response = client.post(f"/api/v1/outgoing/{doc_id}/{action}", headers=self.headers(username), json=body)
            assert response.status_code == expect, (action, response.get_json())
            return response.get_json()

        def get(self, username, doc_id, expect=200):
            response = client.get(f"/api/v1/outgoing/{doc_id}", headers=self.headers(username))
            assert response.status_code == expect, response.get_json()
            return response.get_json()

        def to_signed(self, username="thanhtri-specialist", **draft):
            doc_id = self.draft(username, **draft)
            agency_slug = username.split("-")[0]
            self.act(username, doc_id, "submit")
            if agency_slug == "thanhtri":
                self.act(UNIT_HEAD, doc_id, "approve", comment="Đồng ý nội dung.")
            self.act(f"{agency_slug}-leader", doc_id, "sign", pin=PASSWORD)
            return doc_id

        def issue(self, doc_id, agency, username=None, pin=PASSWORD, expect=200, secret=False):
            clerk = username or f"{agency.slug}-clerk"
            return self.act(clerk, doc_id, "issue", expect=expect, book_id=out_book(db_session, agency, secret).id,
                            pin=pin)

    return Flow()


@pytest.fixture
def demo_nssdb(app, tmp_path_factory, demo_pki):
    """An NSS database trusting the demo root, for `pdfsig -nssdir`; skips when poppler or certutil is missing."""
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        pytest.skip("pdfsig (poppler-utils) or certutil (libnss3-tools) is not installed")
    root = Path(app.config["PKI_PATH"]) / "root-ca.pem"
    db = tmp_path_factory.mktemp("nssdb-demo")
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "eoffice-demo-root", "-t", "CT,C,C", "-i", str(root)],
                   check=True)
    return db
