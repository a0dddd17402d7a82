"""verify_pdf in a warm, limited worker process, so that a hostile file cannot take the web process down.

The workers (``python -m eoffice.signing.verify``, see ``__main__`` and ``pool``) have pyHanko imported and warmed
before the first file, run with a scrubbed environment, and are recycled after a number of files. Per file the
limits are those of a fresh child: address space (RLIMIT_AS) and CPU time set by the worker, wall-clock time by
the parent, which kills the worker's process group when it expires and starts a replacement; the size is
refused here before anything is sent.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import x509

from .model import (
    ERR_CRASHED,
    ERR_RESOURCES,
    ERR_TIMEOUT,
    ERR_TOO_LARGE,
    VerificationReport,
)
from .pool import WorkerFailed, get_pool

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_MB = 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def verify_pdf_isolated(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate] = (),
    offline: bool = True,
    validation_time: datetime | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerificationReport:
    """Like ``verify_pdf``, in a worker process limited to ``memory_mb`` of address space, ``timeout_s`` of
    wall-clock time and about as much CPU time; files over ``max_bytes`` are refused before anything is parsed.

    Never reports a signature as valid when the worker did not finish: a timeout, memory exhaustion or crash
    gives a report with ``error`` set (codes ``verification_timeout``, ``verification_out_of_memory``,
    ``verification_crashed``), ``valid`` false and indication INDETERMINATE, and the worker is replaced.

    Raises ``eoffice.core.errors.VerifierBusy`` (503, with ``retry_after``) when the pool's cap of concurrent
    verifications is reached and no slot frees within its queue wait: that is no verdict on the file, the caller
    should try again later. Pool size, cap and recycling are set with ``pool.configure()``.
    """
    if len(data) > max_bytes:
        return VerificationReport.refused(
            ERR_TOO_LARGE, f'the file is {len(data)} bytes; the limit is {max_bytes} bytes')
    header = {
        'op': 'verify',
        'trust_roots': [base64.b64encode(c.dump()).decode('ascii') for c in trust_roots],
        'offline': offline,
        'validation_time': validation_time.isoformat() if validation_time else None,
        'memory_mb': memory_mb,
        'cpu_s': int(timeout_s) + 1,
    }
    try:
        answer = get_pool().run(header, data, timeout_s=timeout_s, memory_mb=memory_mb)
    except WorkerFailed as exc:
        return _refusal(exc, timeout_s, memory_mb)
    if answer.get('out_of_memory'):
        return _refusal(WorkerFailed('out_of_memory'), timeout_s, memory_mb)
    try:
        return VerificationReport.from_dict(answer['report'])
    except (ValueError, TypeError, KeyError) as exc:
        return VerificationReport.refused(ERR_CRASHED, f'unreadable answer from the verifier: {exc}')


def _refusal(exc: WorkerFailed, timeout_s: float, memory_mb: int) -> VerificationReport:
    if exc.kind == 'timeout':
        return VerificationReport.refused(
            ERR_TIMEOUT, f'verification did not finish within {timeout_s:g} s; the file was not judged')
    if exc.kind == 'cpu':
        return VerificationReport.refused(ERR_TIMEOUT, 'verification exceeded its CPU time limit')
    if exc.kind == 'out_of_memory':
        return VerificationReport.refused(
            ERR_RESOURCES, f'verification needed more than {memory_mb} MB; the file was not judged')
    return VerificationReport.refused(ERR_CRASHED, exc.detail or 'the verifier stopped')
