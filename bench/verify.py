"""Offline verification of a one-signature PDF: eoffice's verify_pdf against plain pyHanko, same run.

Run: ``python bench/verify.py [rounds]``. Prints the median milliseconds of
- naive: open the file, fresh ValidationContext(trust_roots=…), validate_pdf_signature (what a first
  integration would write; it does the same checks minus eoffice's report and policy),
- verify_pdf: the in-process library call (target: under 20 ms),
- verify_pdf_isolated: the same in a warm, limited worker of the pool (target: at most 50 ms; a fresh child per
  call took about 940 ms, nearly all interpreter start-up and imports), measured after the pool has started,
and the ratios; then it shows that the limits still hold in the pool: a file over the size limit is refused before
it is sent, a tiny wall-clock limit kills the worker, a tiny memory limit ends in a refusal, and the next file
after each is verified by a fresh warm worker. The document is built in memory with a throw-away self-signed
RSA-2048 key.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asn1crypto import keys, x509  # noqa: E402
from cryptography import x509 as cx509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.pdf_utils.writer import PdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from eoffice.signing.verify import verify_pdf, verify_pdf_isolated  # noqa: E402
from eoffice.signing.verify.pool import get_pool  # noqa: E402


def _signed_document() -> tuple[bytes, x509.Certificate]:
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
    blank = BytesIO()
    writer = PdfFileWriter()
    from pyhanko.pdf_utils import generic
    page = generic.DictionaryObject({
        generic.pdf_name('/Type'): generic.pdf_name('/Page'),
        generic.pdf_name('/MediaBox'): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
    })
    writer.insert_page(page)
    writer.write(blank)
    out = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(blank.getvalue())),
                           signers.PdfSignatureMetadata(field_name='Sig1', subfilter=None), signer=signer)
    return out.getvalue(), asn1_cert


def _naive(data: bytes, root: x509.Certificate) -> bool:
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(BytesIO(data))
    ok = True
    for name, _, field in enumerate_sig_fields(reader, filled_status=True):
        status = validate_pdf_signature(EmbeddedPdfSignature(reader, field, name),
                                        ValidationContext(trust_roots=[root]))
        ok = ok and status.bottom_line
    return ok


def _median_ms(fn, rounds: int) -> float:
    fn()  # warm caches and imports outside the measurement
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def _xref_bomb(entries: int) -> bytes:
    """A few kilobytes that make the reader build ``entries`` cross-reference entries (~160 MB, ~4 s a million)."""
    import struct
    import zlib

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


def _limits(data: bytes, root: x509.Certificate) -> None:
    pool = get_pool()
    checks = [
        ('size limit (max_bytes = size - 1)', 'file_too_large',
         lambda: verify_pdf_isolated(data, trust_roots=[root], max_bytes=len(data) - 1)),
        ('wall-clock limit (timeout 1 ms)', 'verification_timeout',
         lambda: verify_pdf_isolated(data, trust_roots=[root], timeout_s=0.001)),
        ('hostile xref, 2M entries (timeout 1 s)', 'verification_timeout',
         lambda: verify_pdf_isolated(_xref_bomb(2_000_000), timeout_s=1)),
        ('hostile xref, 300k entries (100 MB)', 'verification_out_of_memory',
         lambda: verify_pdf_isolated(_xref_bomb(300_000), memory_mb=100)),
    ]
    for label, expected, check in checks:
        before = pool.probe(memory_mb=1024, cpu_s=30)['pid']
        t0 = time.perf_counter()
        report = check()
        took = (time.perf_counter() - t0) * 1000
        assert not report.valid and report.error_code == expected, (label, report.to_dict())
        t0 = time.perf_counter()
        assert verify_pdf_isolated(data, trust_roots=[root]).valid, f'the file after the {label} must verify'
        after_ms = (time.perf_counter() - t0) * 1000
        try:
            os.kill(before, 0)
            worker = 'its worker kept'
        except ProcessLookupError:
            worker = 'its worker killed, a warm one took over'
        print(f'{label:39s} -> {report.error_code:27s} in {took:7.1f} ms; next file valid in '
              f'{after_ms:7.1f} ms ({worker})')
    limits = pool.probe(memory_mb=1024, cpu_s=31)['limits']
    print(f'per-file limits in the worker: RLIMIT_AS {limits["RLIMIT_AS"]}, RLIMIT_CPU {limits["RLIMIT_CPU"]}, '
          f'RLIMIT_CORE {limits["RLIMIT_CORE"]}, RLIMIT_FSIZE {limits["RLIMIT_FSIZE"]}')


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    data, root = _signed_document()
    assert _naive(data, root), 'baseline must accept the bench document'
    assert verify_pdf(data, trust_roots=[root]).valid, 'verify_pdf must accept the bench document'
    t0 = time.perf_counter()
    assert verify_pdf_isolated(data, trust_roots=[root]).valid, 'verify_pdf_isolated must accept the bench document'
    first = (time.perf_counter() - t0) * 1000
    naive = _median_ms(lambda: _naive(data, root), rounds)
    ours = _median_ms(lambda: verify_pdf(data, trust_roots=[root]), rounds)
    isolated = _median_ms(lambda: verify_pdf_isolated(data, trust_roots=[root]), rounds)
    print(f'document: {len(data)} bytes, one signature, offline, rounds={rounds}')
    print(f'naive pyHanko (fresh context per call): {naive:8.2f} ms median')
    print(f'verify_pdf (in process):                {ours:8.2f} ms median  (target < 20 ms)')
    print(f'verify_pdf_isolated (warm worker pool): {isolated:8.2f} ms median  (target <= 50 ms)')
    print(f'  first call, pool start and warm-up:   {first:8.2f} ms (once per server process)')
    print(f'ratio verify_pdf / naive:               {ours / naive:8.2f}')
    print(f'ratio isolated / verify_pdf:            {isolated / ours:8.2f}')
    _limits(data, root)

if __name__ == '__main__':
    main()
