"""A warm verification worker of the pool in ``pool.py``: limits first, pyHanko imported and warmed, then files.

Run by the pool as ``python -s -B -m eoffice.signing.verify --memory-mb N`` with a scrubbed environment. Frames
on stdin/stdout are a 4-byte big-endian length and a payload. The worker first answers ``{"ready": true, "pid"}``;
then each request is one JSON header frame (``op``: ``verify`` or ``probe``; ``trust_roots`` as base64 DER,
``offline``, ``validation_time``, ``memory_mb``, ``cpu_s``), for ``verify`` followed by one frame with the file
bytes, and gets one JSON frame back: ``{"report": VerificationReport.to_dict()}``, or ``{"out_of_memory": true}``
after which the worker exits with status 3. End of input ends the worker.

Limits: the address space (RLIMIT_AS) is capped at ``--memory-mb`` for the worker's whole life, before anything
of the PDF stack is imported; for each file the soft limit is lowered to that file's ``memory_mb`` and the CPU
soft limit set to the CPU time used so far plus ``cpu_s`` (SIGXCPU ends the worker), both lifted again between
files. No core dumps, no files written (RLIMIT_CORE, RLIMIT_FSIZE 0). The wall-clock limit is the parent's.
"""
import json
import math
import os
import resource
import struct
import sys

_LEN = struct.Struct('>I')
_MB = 1024 * 1024
EXIT_OUT_OF_MEMORY = 3


def read_frame(fd: int) -> bytes | None:
    head = _read_exact(fd, _LEN.size)
    return None if head is None else _read_exact(fd, _LEN.unpack(head)[0], eof_ok=False)


def _read_exact(fd: int, size: int, eof_ok: bool = True) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            if eof_ok and left == size:
                return None
            raise EOFError('input ended inside a frame')
        chunks.append(chunk)
        left -= len(chunk)
    return b''.join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(_LEN.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def _limit_worker(memory_mb: int) -> None:
    memory = memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # No core dumps of hostile input; no files written.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _limit_file(memory_mb: int, cpu_s: int) -> None:
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    memory = memory_mb * _MB
    resource.setrlimit(resource.RLIMIT_AS, (memory if as_hard == resource.RLIM_INFINITY else min(memory, as_hard),
                                            as_hard))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # The hard CPU limit stays where it is: an unprivileged process could never raise it again for the next file.
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu = math.ceil(usage.ru_utime + usage.ru_stime) + max(1, cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if cpu_hard == resource.RLIM_INFINITY else min(cpu, cpu_hard),
                                             cpu_hard))


def _lift_file_limits() -> None:
    for which in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        resource.setrlimit(which, (resource.getrlimit(which)[1],) * 2)


def _warm(verify_pdf) -> None:
    """Sign and verify a one-page PDF with a throw-away key so that the first real file finds every module
    imported and every cache filled. Best effort: a failure here only costs the first file some time."""
    try:
        from datetime import datetime, timedelta, timezone
        from io import BytesIO

        from asn1crypto import keys, x509
        from cryptography import x509 as cx509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.writer import PdfFileWriter
        from pyhanko.sign import signers

        key = ec.generate_private_key(ec.SECP256R1())
        name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, 'eoffice verifier warm-up')])
        now = datetime.now(timezone.utc)
        cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
                .add_extension(cx509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
                .sign(key, hashes.SHA256()))
        asn1_cert = x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        asn1_key = keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        writer, blank = PdfFileWriter(), BytesIO()
        writer.insert_page(generic.DictionaryObject({
            generic.pdf_name('/Type'): generic.pdf_name('/Page'),
            generic.pdf_name('/MediaBox'): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
        }))
        writer.write(blank)
        signed = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(blank.getvalue())),
            signers.PdfSignatureMetadata(field_name='Sig1'),
            signer=signers.SimpleSigner(signing_cert=asn1_cert, signing_key=asn1_key, cert_registry=None))
        verify_pdf(signed.getvalue(), trust_roots=[asn1_cert]).to_dict()
        verify_pdf(blank.getvalue())
    except Exception as exc:  # noqa: BLE001 - warm-up is an optimisation, never a reason not to serve
        print(f'verifier warm-up failed: {exc!r}', file=sys.stderr)


def _verify(verify_pdf, header: dict, data: bytes) -> dict:
    import base64
    from datetime import datetime

    from asn1crypto import x509

    roots = [x509.Certificate.load(base64.b64decode(r)) for r in header['trust_roots']]
    when = header.get('validation_time')
    _limit_file(int(header['memory_mb']), int(header['cpu_s']))
    try:
        report = verify_pdf(data, trust_roots=roots, offline=bool(header.get('offline', True)),
                            validation_time=datetime.fromisoformat(when) if when else None)
    except MemoryError:
        report = None
    finally:
        _lift_file_limits()
    if report is None or _ran_out_of_memory(report):
        return {'out_of_memory': True}
    return {'report': report.to_dict()}


def _ran_out_of_memory(report) -> bool:
    """Whether the file hit the memory limit: verify_pdf says so itself, except where pyHanko caught the
    MemoryError and raised a reading error of its own, which would otherwise pass for an unreadable file."""
    if report.error_code == 'verification_out_of_memory':
        return True
    notes = [report.error_message or ''] + [reason for sig in report.signatures for reason in sig.reasons]
    return any('MemoryError' in note for note in notes)


def _probe(header: dict, files: int) -> dict:
    """What the worker runs with, read under the limits of a file: for tests and diagnostics."""
    _limit_file(int(header['memory_mb']), int(header['cpu_s']))
    try:
        limits = {name: list(resource.getrlimit(getattr(resource, name)))
                  for name in ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_CORE', 'RLIMIT_FSIZE')}
        return {'probe': {'pid': os.getpid(), 'files': files, 'environ': dict(os.environ), 'limits': limits}}
    finally:
        _lift_file_limits()


def main() -> int:
    memory_mb = int(sys.argv[sys.argv.index('--memory-mb') + 1])
    _limit_worker(memory_mb)
    # The protocol keeps its own copies of stdin and stdout; anything a library prints goes to stderr instead of
    # corrupting the frames.
    proto_in, proto_out = os.dup(0), os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    from eoffice.signing.verify.core import verify_pdf

    _warm(verify_pdf)
    write_frame(proto_out, json.dumps({'ready': True, 'pid': os.getpid()}).encode())
    files = 0
    while True:
        raw = read_frame(proto_in)
        if raw is None:
            return 0
        header = json.loads(raw)
        if header.get('op') == 'verify':
            data = read_frame(proto_in)
            files += 1
            answer = _verify(verify_pdf, header, data)
            del data
        elif header.get('op') == 'probe':
            answer = _probe(header, files)
        else:
            answer = {'error': f'unknown operation {header.get("op")!r}'}
        write_frame(proto_out, json.dumps(answer).encode())
        if answer.get('out_of_memory'):
            # The heap may be left fragmented or half-full: a fresh worker takes the next file.
            return EXIT_OUT_OF_MEMORY


if __name__ == '__main__':
    sys.exit(main())
