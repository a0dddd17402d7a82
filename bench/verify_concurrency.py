"""Writes of logged-in users while eight public verifications of a 30 MB signed PDF run at once, over real HTTP.

Run: ``python bench/verify_concurrency.py [payload_mb] [threads]`` (defaults 30 and 16). The server is what
``make run`` serves: waitress with 16 threads (``wsgi:app``) in a process of its own, on a fresh SQLite instance
in a temporary directory with the demo agencies, the production settings (verifier pool of 2 workers, at most 4
verifications at once, 2 s queue wait, busy timeout 30 s, rate limits) except CSRF (off, so that the uploads need
no form token) and secure cookies (plain HTTP). The document is a sample decision carrying ``payload_mb`` of
random bytes as an attachment, signed with a throw-away self-signed RSA-2048 key that the instance's trust list
holds.

The writer is the agency's admin changing the agency's telephone (``PATCH /api/v1/agency``: a row and an audit
entry, one transaction with BEGIN IMMEDIATE), one request after the other. Prints:
- the baseline write latency (median and max) with no verification running,
- for 8 concurrent anonymous uploads to ``POST /verify``: the status codes, and the median and max latency of
  the writes that ran while at least one verification was in flight, and the ratio to the baseline
  (target: every write under 1 s; before verification left the transaction, one 31 MB upload delayed writes by
  18 s and eight gave "database is locked" 500s),
- the same with half of the uploads from a logged-in user (their requests load the user, which begins the
  write transaction before the upload is parsed),
- how many "database is locked" and 500s the server logged.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from asn1crypto import keys, x509  # noqa: E402
from cryptography import x509 as cx509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from pyhanko.pdf_utils import embed  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402

from eoffice.signing.samples import make_sample_pdf  # noqa: E402

MB = 1024 * 1024
PASSWORD = "Bench-password-2026"
ADMIN, CLERK = "thanhtri-admin", "thanhtri-clerk"
CONCURRENT = 8
BASELINE_WRITES = 40


def _signer() -> tuple[signers.SimpleSigner, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, 'Bench Signer'),
                       cx509.NameAttribute(NameOID.ORGANIZATION_NAME, 'UBND huyện Thạnh Trị')])
    now = datetime.now(timezone.utc)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(cx509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(cx509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
            .sign(key, hashes.SHA256()))
    asn1_cert = x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=asn1_cert, signing_key=asn1_key, cert_registry=None)
    return signer, cert.public_bytes(serialization.Encoding.PEM)


def _big_signed_pdf(signer, payload_bytes: int) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(make_sample_pdf(1)))
    attachment = embed.EmbeddedFileObject.from_file_data(w, os.urandom(payload_bytes), compress=False,
                                                         mime_type='application/octet-stream')
    embed.embed_file(w, embed.FileSpec('phu-luc.bin', embedded_data=attachment, description='Phụ lục'))
    unsigned = BytesIO()
    w.write(unsigned)
    meta = signers.PdfSignatureMetadata(field_name='Sig1', subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(unsigned.getvalue())), meta,
                            signer=signer).getvalue()


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="quyet-dinh.pdf"\r\n'
            'Content-Type: application/pdf\r\n\r\n').encode()
    return head + data + f'\r\n--{boundary}--\r\n'.encode(), f'multipart/form-data; boundary={boundary}'


class Http:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: bytes = b'', headers: dict | None = None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, payload: dict, headers: dict | None = None):
        return self.request(method, path, json.dumps(payload).encode(),
                            {'Content-Type': 'application/json', **(headers or {})})


def _environment(instance: Path, trust: Path) -> dict[str, str]:
    return {**os.environ, 'EOFFICE_INSTANCE_PATH': str(instance), 'EOFFICE_SECRET_KEY': 'bench-secret',
            'EOFFICE_TRUST_LIST_PATH': str(trust), 'EOFFICE_WTF_CSRF_ENABLED': '0',
            'EOFFICE_SESSION_COOKIE_SECURE': '0', 'EOFFICE_LOG_LEVEL': 'WARNING'}


def _prepare_instance(env: dict[str, str]) -> None:
    """Migrations and the demo agencies, in a child process so that this one keeps no application state."""
    script = ('import flask_migrate; from eoffice import create_app; from eoffice.demo import load_demo; '
              'from eoffice.extensions import db; app = create_app()\n'
              'with app.app_context():\n'
              f'    flask_migrate.upgrade(directory={str(REPO / "migrations")!r}); load_demo({PASSWORD!r}); '
              'db.session.commit()\n')
    subprocess.run([sys.executable, '-c', script], env=env, cwd=REPO, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _serve(env: dict[str, str], port: int, threads: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, '-m', 'waitress', f'--listen=127.0.0.1:{port}',
                               f'--threads={threads}', 'wsgi:app'],
                              env=env, cwd=REPO, stdout=log.open('wb'), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            Http(port).request('GET', '/login')
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f'the server stopped: {log.read_text()[-2000:]}')
            time.sleep(0.1)
    raise RuntimeError('the server did not start')


class Writer(threading.Thread):
    """One write after the other (PATCH /api/v1/agency) until stopped; each as (start, end, status)."""

    def __init__(self, web: Http, bearer: dict):
        super().__init__(name='writer', daemon=True)
        self.web, self.bearer, self.stop, self.writes = web, bearer, threading.Event(), []

    def write_once(self) -> tuple[float, float, int]:
        start = time.perf_counter()
        status = self.web.json('PATCH', '/api/v1/agency', {'telephone': f'0299 38{len(self.writes) % 10000:04d}'},
                               self.bearer)[0]
        return start, time.perf_counter(), status

    def run(self):
        while not self.stop.is_set():
            self.writes.append(self.write_once())


def _verifications(web: Http, body: bytes, content_type: str, cookies: list[str | None]):
    """The uploads at once (one thread each, released together); (start, end, status, Retry-After) each."""
    barrier, results = threading.Barrier(len(cookies)), []

    def upload(cookie):
        barrier.wait()
        start = time.perf_counter()
        status, headers, _ = web.request('POST', '/verify', body, {'Content-Type': content_type,
                                                                    **({'Cookie': cookie} if cookie else {})})
        results.append((start, time.perf_counter(), status, headers.get('Retry-After')))

    threads = [threading.Thread(target=upload, args=(cookie,)) for cookie in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _scenario(label: str, web: Http, bearer: dict, body: bytes, content_type: str, cookies, baseline: float):
    writer = Writer(web, bearer)
    writer.start()
    time.sleep(0.3)  # the writer is going before the uploads start
    uploads = _verifications(web, body, content_type, cookies)
    writer.stop.set()
    writer.join()
    first, last = min(u[0] for u in uploads), max(u[1] for u in uploads)
    during = [(s, e, st) for s, e, st in writer.writes if s < last and e > first]
    inside = [w for w in during if any(us <= w[0] and w[1] <= ue for us, ue, _, _ in uploads)]
    latencies = [(e - s) * 1000 for s, e, _ in during]
    statuses = {}
    for _, _, status, _ in uploads:
        statuses[status] = statuses.get(status, 0) + 1
    retry = sorted({r for _, _, status, r in uploads if status == 503})
    bad_writes = sorted({st for _, _, st in during if st != 200})
    print(f'{label}:')
    print(f'  verifications: {len(uploads)}, status codes {dict(sorted(statuses.items()))}'
          + (f', Retry-After {retry}' if retry else '') + f', all answered in {(last - first):.2f} s')
    if latencies:
        median, worst = statistics.median(latencies), max(latencies)
        print(f'  writes during them: {len(during)} ({len(inside)} entirely within one verification request), '
              f'median {median:7.1f} ms, max {worst:7.1f} ms  (target < 1000 ms)'
              + (f', non-200: {bad_writes}' if bad_writes else ''))
        print(f'  ratio to baseline: median {median / baseline:5.2f}, max {worst / baseline:5.2f}')
        slow = max(during, key=lambda w: w[1] - w[0])
        in_flight = sum(1 for us, ue, _, _ in uploads if us <= slow[0] < ue)
        answered = sum(1 for _, ue, _, _ in uploads if ue <= slow[0])
        print(f'  writes over 1 s: {sum(1 for x in latencies if x >= 1000)}; the slowest began '
              f'{slow[0] - first:5.2f} s after the first upload, {in_flight} uploads in flight, {answered} answered')
    else:
        print('  no write ran during the verifications')
    return uploads, during


def main() -> None:
    payload_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    signer, root_pem = _signer()
    data = _big_signed_pdf(signer, payload_mb * MB)
    body, content_type = _multipart(data)
    with tempfile.TemporaryDirectory(prefix='eoffice-bench-') as tmp:
        tmp = Path(tmp)
        (tmp / 'trust').mkdir()
        (tmp / 'trust' / 'bench-root.pem').write_bytes(root_pem)
        env = _environment(tmp / 'instance', tmp / 'trust')
        _prepare_instance(env)
        log = tmp / 'server.log'
        port = _free_port()
        server = _serve(env, port, threads, log)
        try:
            web = Http(port)
            status, _, raw = web.json('POST', '/api/v1/auth/token', {'username': ADMIN, 'password': PASSWORD})
            assert status == 200, raw
            bearer = {'Authorization': f'Bearer {json.loads(raw)["access_token"]}'}
            status, headers, _ = web.request('POST', '/login', f'username={CLERK}&password={PASSWORD}'.encode(),
                                             {'Content-Type': 'application/x-www-form-urlencoded'})
            assert status == 302, status
            cookie = headers['Set-Cookie'].split(';', 1)[0]
            print(f'document: {len(data)} bytes ({payload_mb} MB random attachment), one PAdES signature; '
                  f'server: waitress, {threads} threads, SQLite (WAL), production verifier settings')
            t0 = time.perf_counter()
            status = _verifications(web, body, content_type, [None])[0][2]
            assert status == 200, status
            print(f'one verification alone (pool start and warm-up included): {(time.perf_counter() - t0):6.2f} s')
            t0 = time.perf_counter()
            status = _verifications(web, body, content_type, [None])[0][2]
            print(f'one verification alone, warm:                             {(time.perf_counter() - t0):6.2f} s')
            writer = Writer(web, bearer)
            samples = [writer.write_once() for _ in range(BASELINE_WRITES)]
            assert all(st == 200 for _, _, st in samples), samples
            latencies = [(e - s) * 1000 for s, e, _ in samples]
            baseline = statistics.median(latencies)
            print(f'baseline writes, no verification running: {len(samples)}, median {baseline:7.1f} ms, '
                  f'max {max(latencies):7.1f} ms')
            _scenario(f'{CONCURRENT} concurrent anonymous verifications', web, bearer, body, content_type,
                      [None] * CONCURRENT, baseline)
            _scenario(f'{CONCURRENT} concurrent verifications, half by a logged-in user', web, bearer, body,
                      content_type, [None, cookie] * (CONCURRENT // 2), baseline)
        finally:
            server.terminate()
            server.wait(timeout=30)
        text = log.read_text(errors='replace')
        print(f'server log: "database is locked" {text.count("database is locked")} times, '
              f'unhandled errors (500) {text.count("unhandled error")}')


if __name__ == '__main__':
    main()
