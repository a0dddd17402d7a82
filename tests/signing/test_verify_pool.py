"""The pool of warm verification workers behind verify_pdf_isolated: same reports as in process, the limits of a
fresh child per file, replacement of dead, timed-out and worn workers, a scrubbed environment, and the cap on
concurrent verifications that answers 503 with Retry-After. No timing assertions: bench/verify.py holds those."""
from __future__ import annotations

import io
import os
import signal
import struct
import threading
import zlib
from datetime import datetime, timezone

import pytest
from pyhanko.sign import fields, signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eoffice.core.errors import VerifierBusy
from eoffice.signing.verify import pool as verifier_pool
from eoffice.signing.verify import verify_pdf, verify_pdf_isolated

MB = 1024 * 1024


@pytest.fixture
def start_pool():
    """``start_pool(**settings)``: configure this process's pool (one worker unless told) and start it; the
    defaults come back after the test."""
    def start(**settings):
        verifier_pool.configure(**{'workers': 1, **settings})
        return verifier_pool.get_pool()

    yield start
    verifier_pool.configure()


@pytest.fixture(scope='module')
def signed(pki, make_pdf):
    meta = signers.PdfSignatureMetadata(field_name='Sig1', subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf())), meta,
                            signer=pki.good.signer).getvalue()


def _pid(pool) -> int:
    return pool.probe(memory_mb=1024, cpu_s=30)['pid']


def test_pool_report_is_the_in_process_report(start_pool, pki, signed):
    start_pool()
    when = datetime.now(timezone.utc)
    isolated = verify_pdf_isolated(signed, trust_roots=[pki.root], validation_time=when)
    assert isolated.valid
    assert isolated.to_dict() == verify_pdf(signed, trust_roots=[pki.root], validation_time=when).to_dict()


def test_too_large_file_is_refused_before_it_reaches_a_worker(start_pool, signed):
    pool = start_pool()
    report = verify_pdf_isolated(signed, max_bytes=len(signed) - 1)
    assert (report.valid, report.error_code) == (False, 'file_too_large')
    assert pool.probe(memory_mb=1024, cpu_s=30)['files'] == 0


def test_wall_time_limit_kills_the_worker_and_a_fresh_one_takes_the_next_file(start_pool, pki, signed):
    pool = start_pool()
    before = _pid(pool)
    slow = verify_pdf_isolated(signed, trust_roots=[pki.root], timeout_s=0.001)
    assert (slow.valid, slow.error_code) == (False, 'verification_timeout')
    assert slow.signatures == []
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    assert _pid(pool) != before


def xref_bomb(entries: int) -> bytes:
    """A PDF of a few kilobytes whose compressed cross-reference stream lists ``entries`` objects: reading it
    takes about 160 MB per million entries (and seconds of CPU)."""
    head = b'%PDF-1.7\n'
    catalog = b'1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
    pages = b'2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n'
    at = (len(head), len(head) + len(catalog), len(head) + len(catalog) + len(pages))
    rows = [struct.pack('>BIH', 0, 0, 65535)] + [struct.pack('>BIH', 1, offset, 0) for offset in at]
    rows += [struct.pack('>BIH', 1, at[0], 0)] * (entries - len(rows))
    stream = zlib.compress(b''.join(rows), 9)
    xref = (b'3 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n'
            b'stream\n' % (entries, len(stream))) + stream + b'\nendstream\nendobj\n'
    return head + catalog + pages + xref + b'startxref\n%d\n%%%%EOF\n' % at[2]


def test_memory_limit_gives_a_refusal_and_the_worker_is_replaced(start_pool, pki, signed):
    pool = start_pool()
    before = _pid(pool)
    # A warm worker takes under 100 MB of address space; this file needs about 50 MB more.
    starved = verify_pdf_isolated(xref_bomb(300_000), memory_mb=100)
    assert (starved.valid, starved.error_code) == (False, 'verification_out_of_memory')
    assert _pid(pool) != before
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid


def test_each_file_runs_under_its_memory_and_cpu_limits(start_pool):
    pool = start_pool(memory_mb=1024)
    limits = pool.probe(memory_mb=300, cpu_s=5)['limits']
    assert limits['RLIMIT_AS'] == [300 * MB, 1024 * MB]
    cpu_soft, _ = limits['RLIMIT_CPU']
    assert 5 <= cpu_soft < 5 + 60  # CPU used so far (a few seconds of start-up at most) plus the file's budget
    assert limits['RLIMIT_CORE'] == [0, 0] and limits['RLIMIT_FSIZE'] == [0, 0]
    # A file allowed more than the pool's workers have gets a worker started with that much.
    assert pool.probe(memory_mb=1500, cpu_s=5)['limits']['RLIMIT_AS'] == [1500 * MB, 1500 * MB]


def test_a_worker_killed_while_idle_is_replaced(start_pool, pki, signed):
    pool = start_pool()
    victim = _pid(pool)
    os.kill(victim, signal.SIGKILL)
    next(w for w in pool._all if w.pid == victim).proc.wait(30)  # dead before the next file, not during it
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    assert _pid(pool) != victim


def test_a_worker_that_dies_on_a_file_gives_a_refusal_never_valid(start_pool, pki, signed, monkeypatch):
    pool = start_pool()
    victim = _pid(pool)
    real_request = verifier_pool.Worker.request

    def dies_with_the_file(worker, header, data, timeout_s):
        if header['op'] == 'verify':
            os.kill(worker.pid, signal.SIGKILL)
        return real_request(worker, header, data, timeout_s)

    monkeypatch.setattr(verifier_pool.Worker, 'request', dies_with_the_file)
    crashed = verify_pdf_isolated(signed, trust_roots=[pki.root])
    assert (crashed.valid, crashed.error_code) == (False, 'verification_crashed')
    assert all(s.indication != 'TOTAL-PASSED' for s in crashed.signatures)
    monkeypatch.setattr(verifier_pool.Worker, 'request', real_request)
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    assert _pid(pool) != victim


def test_worker_is_recycled_after_n_files(start_pool, pki, signed):
    pool = start_pool(recycle_after=2)
    first = _pid(pool)
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    assert _pid(pool) == first
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    second = _pid(pool)
    assert second != first
    assert verify_pdf_isolated(signed, trust_roots=[pki.root]).valid
    assert pool.probe(memory_mb=1024, cpu_s=30)['files'] == 1


def test_worker_environment_is_scrubbed(start_pool, monkeypatch):
    monkeypatch.setenv('EOFFICE_SECRET_KEY', 'must-not-leak')
    monkeypatch.setenv('DATABASE_URL', 'postgresql://user:secret@db/eoffice')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'must-not-leak')
    verifier_pool.shutdown()  # workers started before the variables were set would prove nothing
    environ = start_pool().probe(memory_mb=1024, cpu_s=30)['environ']
    assert not [name for name in environ if name.startswith('EOFFICE_')]
    assert set(environ) <= {'PATH', 'LANG', 'LC_ALL', 'PYTHONPATH', 'PYTHONDONTWRITEBYTECODE'}
    assert 'must-not-leak' not in repr(environ) and 'secret' not in repr(environ)


def test_one_verification_beyond_the_cap_is_refused_busy(start_pool, pki, signed, monkeypatch):
    cap = 2
    start_pool(workers=1, max_concurrent=cap, queue_wait_s=0, retry_after_s=9)
    entered, gate = threading.Semaphore(0), threading.Event()
    real_take, real_request = verifier_pool.VerifierPool._take, verifier_pool.Worker.request

    def take(pool, memory_mb):
        entered.release()  # this verification holds a slot now
        return real_take(pool, memory_mb)

    def request(worker, header, data, timeout_s):
        assert gate.wait(60)
        return real_request(worker, header, data, timeout_s)

    monkeypatch.setattr(verifier_pool.VerifierPool, '_take', take)
    monkeypatch.setattr(verifier_pool.Worker, 'request', request)
    reports = []
    running = [threading.Thread(target=lambda: reports.append(verify_pdf_isolated(signed, trust_roots=[pki.root])))
               for _ in range(cap)]
    for thread in running:
        thread.start()
    try:
        for _ in range(cap):
            assert entered.acquire(timeout=60)
        with pytest.raises(VerifierBusy) as busy:
            verify_pdf_isolated(signed, trust_roots=[pki.root])
        assert (busy.value.status, busy.value.code, busy.value.retry_after) == (503, 'verifier_busy', 9)
        assert busy.value.headers == {'Retry-After': '9'}
    finally:
        gate.set()
        for thread in running:
            thread.join(60)
    # The admitted ones were queued for the single worker, not refused.
    assert [r.valid for r in reports] == [True] * cap


def test_pool_after_fork_is_the_child_process_own(start_pool, pki, signed):
    parent_pool = start_pool()
    parent_worker = _pid(parent_pool)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked process, which reports by exit status only
        code = 1
        try:
            pool = verifier_pool.get_pool()
            ok = pool is not parent_pool and pool.pid == os.getpid()
            ok = ok and verify_pdf_isolated(signed, trust_roots=[pki.root]).valid and _pid(pool) != parent_worker
            code = 0 if ok else 1
        finally:
            verifier_pool.shutdown()
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _pid(parent_pool) == parent_worker  # the parent's worker survived the child's shutdown


@pytest.fixture
def saturated(start_pool):
    """A pool whose only slot is taken: every verification is refused busy at once."""
    pool = start_pool(workers=1, max_concurrent=1, queue_wait_s=0, retry_after_s=7)
    with pool.slot():
        yield pool


def test_busy_verifier_is_503_with_retry_after_in_the_api_envelope(client, demo, api_token, signed, saturated):
    response = client.post('/api/v1/signatures/verify', headers=api_token('thanhtri-leader'),
                           data={'file': (io.BytesIO(signed), 'signed.pdf')}, content_type='multipart/form-data')
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers['Retry-After'] == '7'
    error = response.get_json()['error']
    assert (error['code'], error['details']['retry_after']) == ('verifier_busy', 7) and error['message']


def test_busy_verifier_is_an_error_page_with_retry_after_for_browsers(client, signed, saturated):
    response = client.post('/verify', data={'file': (io.BytesIO(signed), 'signed.pdf')},
                           content_type='multipart/form-data', headers={'Accept': 'text/html'})
    assert response.status_code == 503
    assert response.headers['Retry-After'] == '7'
    assert response.mimetype == 'text/html' and 'data-error-code="verifier_busy"' in response.get_data(as_text=True)
