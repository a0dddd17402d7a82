"""Offline verification of a one-signature PDF: eoffice's verify_pdf against plain pyHanko, same run.

Run: ``python bench/verify.py [rounds]``. Prints the median milliseconds of
- naive: open the file, fresh ValidationContext(trust_roots=…), validate_pdf_signature (what a first
  integration would write; it does the same checks minus eoffice's report and policy),
- verify_pdf: the in-process library call (target: under 20 ms),
- verify_pdf_isolated: the same in a limited child process (dominated by interpreter start-up),
and the ratios. The document is built in memory with a throw-away self-signed RSA-2048 key.
"""
from __future__ import annotations

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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    data, root = _signed_document()
    assert _naive(data, root), 'baseline must accept the bench document'
    assert verify_pdf(data, trust_roots=[root]).valid, 'verify_pdf must accept the bench document'
    naive = _median_ms(lambda: _naive(data, root), rounds)
    ours = _median_ms(lambda: verify_pdf(data, trust_roots=[root]), rounds)
    isolated = _median_ms(lambda: verify_pdf_isolated(data, trust_roots=[root]), max(3, rounds // 10))
    print(f'document: {len(data)} bytes, one signature, offline, rounds={rounds}')
    print(f'naive pyHanko (fresh context per call): {naive:8.2f} ms median')
    print(f'verify_pdf (in process):                {ours:8.2f} ms median  (target < 20 ms)')
    print(f'verify_pdf_isolated (child process):    {isolated:8.2f} ms median')
    print(f'ratio verify_pdf / naive:               {ours / naive:8.2f}')
    print(f'ratio isolated / verify_pdf:            {isolated / ours:8.2f}')


if __name__ == '__main__':
    main()
