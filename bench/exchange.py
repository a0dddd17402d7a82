"""Exchange throughput: documents per second delivered end to end between two local deployments (one-page signed
PDFs, one worker each side), against a bare HTTP POST loop of the same payload size to a trivial endpoint, and the
in-process (local transport) rate of one deployment.

    .venv/bin/python bench/exchange.py [--n 40]

The module also drives the deployments of tests/exchange/test_two_deployments.py: every deployment is a set of
processes (`_serve`, `_worker`, `_issue`, ... sub-commands of this file) on its own instance directory and SQLite
database, configured only by EOFFICE_* variables; the two share the demo PKI so each trusts the other's PDFs.

Harness-only tweak (no application code is changed): the outbox's GRACE (5 minutes before the sweeper re-queues
a pending row whose job was lost, e.g. the worker was killed mid-delivery) is set to 5 s in these processes.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "eOffice@2026"
UNIT_HEAD = "thanhtri-nv-head"
GRACE_SECONDS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """One eoffice deployment of processes on 127.0.0.1:port, instance directory `path`."""

    def __init__(self, name: str, path: Path, pki: Path, pki_url: str, port: int | None = None):
        self.name, self.path, self.port = name, Path(path), port or free_port()
        self.path.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("EOFFICE_")},
                    "EOFFICE_INSTANCE_PATH": str(self.path), "EOFFICE_SECRET_KEY": f"bench-{name}",
                    "EOFFICE_DEMO_MODE": "1", "EOFFICE_SESSION_COOKIE_SECURE": "0",
                    "EOFFICE_PKI_PATH": str(pki), "EOFFICE_PKI_PUBLIC_PATH": str(pki / "public"),
                    "EOFFICE_DEMO_PKI_URL": pki_url, "EOFFICE_ARGON2_TIME_COST": "1",
                    "EOFFICE_ARGON2_MEMORY_KIB": "1024", "EOFFICE_RATELIMIT_LOGIN": "100000 per minute",
                    "EOFFICE_EXCHANGE_RETRY_BASE_SECONDS": "1", "EOFFICE_EXCHANGE_HTTP_TIMEOUT_SECONDS": "20",
                    "PYTHONPATH": str(ROOT)}
        self.server = self.worker = None

    def run(self, *args, timeout=900) -> str:
        done = subprocess.run([PY, __file__, *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{self.name} {args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def flask(self, *args):
        done = subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise RuntimeError(f"{self.name} flask {args}: {done.stderr[-3000:]}")

    def setup(self):
        self.flask("db", "upgrade")
        self.flask("eoffice", "demo")
        return self.run("_setup")

    def start_server(self):
        log = open(self.path / "server.log", "ab")
        self.server = subprocess.Popen([PY, __file__, "_serve", str(self.port)], env=self.env, cwd=ROOT,
                                       stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.server.poll() is not None:
                    raise RuntimeError(f"{self.name} server exited: {(self.path / 'server.log').read_text()[-3000:]}")
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not start")

    def stop_server(self):
        _stop(self.server)
        self.server = None

    def start_worker(self):
        log = open(self.path / "worker.log", "ab")
        self.worker = subprocess.Popen([PY, __file__, "_worker"], env=self.env, cwd=ROOT, stdout=log,
                                       stderr=subprocess.STDOUT)

    def kill_worker(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker.wait(timeout=10)
            self.worker = None

    def stop(self):
        self.kill_worker()
        self.stop_server()

    def counts(self) -> dict:
        return json.loads(self.run("_counts"))


def _stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def pair(base: Path):
    """Two deployments A (sender: thanhtri) and B (receiver: sonoivu), set up and linked as endpoint partners."""
    pki = base / "pki"
    port_a = free_port()
    a = Deployment("A", base / "a", pki, f"http://127.0.0.1:{port_a}/pki", port=port_a)
    b = Deployment("B", base / "b", pki, a.env["EOFFICE_DEMO_PKI_URL"])
    cert_a = json.loads(a.setup())
    cert_b = json.loads(b.setup())  # after A: B reuses the demo PKI A made
    # thanhtri@A sends to sonoivu@B, which answers to thanhtri@A: each directory names the other deployment.
    a.run("_link", "thanhtri", cert_b["sonoivu"]["code"], b.url, cert_b["sonoivu"]["certificate"])
    b.run("_link", "sonoivu", cert_a["thanhtri"]["code"], a.url, cert_a["thanhtri"]["certificate"])
    return a, b


# -- sub-commands, run inside a deployment's environment ----------------------------------------------------------

def _app():
    from eoffice import create_app
    from eoffice.exchange import outbox

    outbox.GRACE = timedelta(seconds=GRACE_SECONDS)
    return create_app()


def cmd_serve(port):
    from waitress import serve

    serve(_app(), listen=f"127.0.0.1:{port}", threads=8, _quiet=True)


def cmd_worker():
    app = _app()
    app.extensions["eoffice.jobs"].consumer(workers=1).run()


def cmd_setup():
    """After `eoffice demo`: thanhtri's unit head (reviews drafts), every agency's exchange key."""
    from sqlalchemy import select

    from eoffice.accounts.models import Agency, Unit, User
    from eoffice.accounts.services import create_user
    from eoffice.exchange.keys import exchange_key
    from eoffice.extensions import db

    app = _app()
    out = {}
    with app.app_context():
        thanhtri = db.session.scalar(select(Agency).where(Agency.slug == "thanhtri"))
        if db.session.scalar(select(User).where(User.username == UNIT_HEAD)) is None:
            nv = db.session.scalar(select(Unit).where(Unit.agency_id == thanhtri.id, Unit.abbreviation == "NV"))
            create_user(thanhtri, username=UNIT_HEAD, password=PASSWORD, full_name="Võ Thị Mai",
                        position="Trưởng phòng Nội vụ", unit_id=nv.id, roles=["leader"])
        for agency in db.session.scalars(select(Agency)):
            out[agency.slug] = {"code": agency.code, "certificate": exchange_key(agency).certificate_pem}
        db.session.commit()
    print(json.dumps(out))


def cmd_link(slug, organ_id, base_url, certificate):
    """Turn `slug`'s partner `organ_id` into an endpoint partner at `base_url` pinned to `certificate`."""
    from sqlalchemy import select

    from eoffice.accounts.models import Agency
    from eoffice.exchange.models import ExchangePartner
    from eoffice.exchange.services import update_partner
    from eoffice.extensions import db

    app = _app()
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
        partner = db.session.scalar(select(ExchangePartner).where(ExchangePartner.agency_id == agency.id,
                                                                  ExchangePartner.organ_id == organ_id))
        update_partner(partner, {"kind": "endpoint", "base_url": base_url, "certificates": certificate})
        db.session.commit()
        print(json.dumps({"partner_id": partner.id}))


def cmd_issue(n, offset="0"):
    """Issue `n` signed one-page documents from thanhtri to its partner (sonoivu of the other deployment) through
    the outgoing API (the flow of tests/outgoing). Prints the partner's ids and the seconds taken."""
    from sqlalchemy import select

    from eoffice.accounts.models import Agency, User
    from eoffice.exchange.models import ExchangePartner
    from eoffice.extensions import db
    from eoffice.registry.models import DocumentType, RegistryBook
    from eoffice.signing.samples import make_sample_pdf

    app = _app()
    pdf = make_sample_pdf(1)
    client = app.test_client()
    with app.app_context():
        agency = db.session.scalar(select(Agency).where(Agency.slug == "thanhtri"))
        partner_id = db.session.scalar(select(ExchangePartner.id).where(ExchangePartner.agency_id == agency.id,
                                                                         ExchangePartner.organ_id == "000.05.00.H55"))
        type_id = db.session.scalar(select(DocumentType.id).where(DocumentType.code == "QD"))
        signer_id = db.session.scalar(select(User.id).where(User.username == "thanhtri-leader"))
        book_id = db.session.scalar(select(RegistryBook.id).where(
            RegistryBook.agency_id == agency.id, RegistryBook.direction == "out", RegistryBook.secret.is_(False)))
    tokens = {}

    def headers(username):
        if username not in tokens:
            r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            tokens[username] = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
        return tokens[username]

    def act(username, doc_id, action, **body):
        r = client.post(f"/api/v1/outgoing/{doc_id}/{action}", headers=headers(username), json=body)
        assert r.status_code == 200, (action, r.get_json())

    started = time.perf_counter()
    ids = []
    for i in range(int(n)):
        body = {"document_type_id": type_id, "subject": f"Về việc liên thông văn bản số {int(offset) + i + 1}",
                "signer_id": signer_id, "priority": 1, "page_amount": 1, "issued_amount": 1,
                "places": "Như trên;\nLưu: VT, NV.",
                "recipients": [{"kind": "partner", "partner_id": partner_id, "mode": "electronic"}]}
        r = client.post("/api/v1/outgoing", headers=headers("thanhtri-specialist"), json=body)
        assert r.status_code == 201, r.get_json()
        doc_id = r.get_json()["id"]
        r = client.post(f"/api/v1/outgoing/{doc_id}/files", headers=headers("thanhtri-specialist"),
                        data={"file": (io.BytesIO(pdf), "du-thao.pdf"), "role": "main"},
                        content_type="multipart/form-data")
        assert r.status_code == 201, r.get_json()
        act("thanhtri-specialist", doc_id, "submit")
        # `eoffice demo`'s chain: the office checks the format (clerk), then the signer signs.
        act("thanhtri-clerk", doc_id, "approve", comment="Đúng thể thức.")
        act("thanhtri-leader", doc_id, "sign", pin=PASSWORD)
        act("thanhtri-clerk", doc_id, "issue", book_id=book_id, pin=PASSWORD)
        ids.append(doc_id)
    print(json.dumps({"ids": ids, "seconds": time.perf_counter() - started}))


def cmd_counts():
    """What this deployment holds: documents received by package key, statuses received, outbox states."""
    from sqlalchemy import func, select

    from eoffice.exchange.models import InboxPackage, OutboxPackage
    from eoffice.extensions import db
    from eoffice.incoming.models import IncomingDocument

    app = _app()
    with app.app_context():
        documents = db.session.execute(select(InboxPackage.package_key, func.count()).where(
            InboxPackage.kind == "document").group_by(InboxPackage.package_key)).all()
        incoming = db.session.execute(select(IncomingDocument.document_identifier, func.count()).where(
            IncomingDocument.source == "exchange").group_by(IncomingDocument.document_identifier)).all()
        statuses = db.session.execute(select(InboxPackage.package_key, InboxPackage.status_code, func.count()).where(
            InboxPackage.kind == "status").group_by(InboxPackage.package_key, InboxPackage.status_code)).all()
        outbox = db.session.execute(select(OutboxPackage.kind, OutboxPackage.status, func.count()).group_by(
            OutboxPackage.kind, OutboxPackage.status)).all()
        from eoffice.outgoing.models import OutgoingRecipient

        recipients = db.session.execute(select(OutgoingRecipient.exchange_status, func.count()).group_by(
            OutgoingRecipient.exchange_status)).all()
        attempts = db.session.scalar(select(func.max(OutboxPackage.attempts)))
        last_sent = db.session.scalar(select(func.max(OutboxPackage.sent_at)))
        first_created = db.session.scalar(select(func.min(OutboxPackage.created_at)))
        print(json.dumps({
            "documents": {k: c for k, c in documents}, "incoming": {k: c for k, c in incoming},
            "statuses": [[k, code, c] for k, code, c in statuses],
            "outbox": {f"{kind}:{status}": c for kind, status, c in outbox}, "max_attempts": attempts,
            "recipients": {str(k): c for k, c in recipients},
            "last_sent": last_sent.isoformat() if last_sent else None,
            "first_created": first_created.isoformat() if first_created else None}))


def cmd_local(n):
    """In-process rate: seal + local transport (build, sign, verify, parse, receive) of `n` documents issued
    with the worker stopped, delivered here one after another, between thanhtri and sonoivu of one deployment."""
    from sqlalchemy import select

    from eoffice.exchange.models import OutboxPackage
    from eoffice.exchange.outbox import deliver_outbox
    from eoffice.extensions import db

    app = _app()
    with app.app_context():
        ids = db.session.scalars(select(OutboxPackage.id).where(OutboxPackage.kind == "document",
                                                                OutboxPackage.status == "pending")
                                 .order_by(OutboxPackage.id)).all()[: int(n)]
        started = time.perf_counter()
        outcomes = []
        for outbox_id in ids:
            outcomes.append(deliver_outbox(outbox_id)["status"])
            db.session.commit()
        took = time.perf_counter() - started
    print(json.dumps({"n": len(ids), "seconds": took, "sent": outcomes.count("sent")}))


# -- the benchmark ---------------------------------------------------------------------------------------------

def wait_for(predicate, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def _bare_post_rate(size: int, rounds: int) -> float:
    """A trivial threaded WSGI endpoint that reads the body and answers 202 JSON; POSTs per second."""
    from werkzeug.serving import make_server

    def trivial(environ, start):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start("202 Accepted", [("Content-Type", "application/json")])
        return [b'{"ack": "done"}']

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, trivial, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    body = os.urandom(size // 2).hex().encode()[:size]
    url = f"http://127.0.0.1:{server.server_port}/exchange/v1/packages"
    started = time.perf_counter()
    for _ in range(rounds):
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/xml"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    took = time.perf_counter() - started
    server.shutdown()
    return rounds / took


def bench(n: int):
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
    a, b = pair(base)
    try:
        a.start_server()
        b.start_server()
        issued = json.loads(a.run("_issue", str(n)))
        print(f"issuing {n} signed one-page documents through the API took {issued['seconds']:.1f} s "
              f"({n / issued['seconds']:.2f} documents/s; not part of the delivery rate)")
        # The clock starts with the workers (their start-up, seconds, is counted against the rate).
        started = time.perf_counter()
        a.start_worker()
        b.start_worker()
        # The documents are queued in A's job store; delivered when B holds them all, and the 01s are back.
        wait_for(lambda: len(b.counts()["documents"]) >= n, timeout=600, step=0.5)
        delivered = time.perf_counter() - started
        wait_for(lambda: sum(1 for _k, code, _c in a.counts()["statuses"] if code == "01") >= n, 600, 0.5)
        with_statuses = time.perf_counter() - started
        size = int(a.run("_package_size"))
    finally:
        a.stop()
        b.stop()
    rate = n / delivered
    bare = _bare_post_rate(size, 300)

    # In-process: one deployment, thanhtri → sonoivu as local partners (the demo's default), worker stopped.
    c = Deployment("C", base / "c", base / "pki", a.env["EOFFICE_DEMO_PKI_URL"])
    c.flask("db", "upgrade")
    c.flask("eoffice", "demo")
    c.run("_setup")
    c.run("_issue", str(n))
    local = json.loads(c.run("_local", str(n)))
    local_rate = local["n"] / local["seconds"]

    print(f"payload: one-page signed PDF, sealed edXML package {size} bytes, n={n}")
    print(f"end to end, two deployments (HTTP, one worker each): {rate:8.2f} documents/s  (target >= 30)")
    print(f"  ... including every status 01 back at the sender:   {n / with_statuses:8.2f} documents/s")
    print(f"bare HTTP POST loop, same payload, trivial endpoint:   {bare:8.2f} posts/s")
    print(f"ratio end to end / bare POST:                          {rate / bare:8.3f}")
    print(f"in process (local transport, sealed and received):     {local_rate:8.2f} documents/s  "
          f"({local['sent']}/{local['n']} sent)")
    print(f"ratio in process / end to end:                         {local_rate / rate:8.2f}  (target >= 3)")


def cmd_package_size():
    """The size of one sealed document package as this deployment sends it."""
    from sqlalchemy import select

    from eoffice.exchange.models import OutboxPackage
    from eoffice.exchange.outbox import _partner_of, _sealed
    from eoffice.extensions import db

    app = _app()
    with app.app_context():
        row = db.session.scalar(select(OutboxPackage).where(OutboxPackage.kind == "document").limit(1))
        print(len(_sealed(row, _partner_of(row))[0]))


COMMANDS = {"_serve": cmd_serve, "_worker": cmd_worker, "_setup": cmd_setup, "_link": cmd_link,
            "_issue": cmd_issue, "_counts": cmd_counts, "_local": cmd_local, "_package_size": cmd_package_size}

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    else:
        import argparse

        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--n", type=int, default=40)
        bench(parser.parse_args().n)
