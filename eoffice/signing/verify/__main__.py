"""Child process of verify_pdf_isolated: limits before the file is read, then verify, answer in JSON.

stdin: one JSON header line (trust_roots as base64 DER, offline, validation_time, own_flow_fields, memory_mb,
cpu_s), then the file bytes. stdout: ``VerificationReport.to_dict()`` as JSON. Exit status 3 means out of memory.
"""
import json
import resource
import sys


def _limit(header: dict) -> None:
    memory = int(header['memory_mb']) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(header['cpu_s'])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # No core dumps of hostile input; no files written.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main() -> int:
    header = json.loads(sys.stdin.buffer.readline())
    _limit(header)
    try:
        data = sys.stdin.buffer.read()
        # (Running as ``-m`` has already imported the package; the limits bind everything from here on.)
        import base64
        from datetime import datetime

        from asn1crypto import x509

        from eoffice.signing.verify.core import verify_pdf

        roots = [x509.Certificate.load(base64.b64decode(r)) for r in header['trust_roots']]
        when = header.get('validation_time')
        own = header.get('own_flow_fields')
        report = verify_pdf(
            data,
            trust_roots=roots,
            offline=bool(header.get('offline', True)),
            validation_time=datetime.fromisoformat(when) if when else None,
            own_flow_fields=frozenset(own) if own is not None else None,
        )
        sys.stdout.write(json.dumps(report.to_dict()))
        sys.stdout.flush()
    except MemoryError:
        return 3
    return 0


if __name__ == '__main__':
    sys.exit(main())
