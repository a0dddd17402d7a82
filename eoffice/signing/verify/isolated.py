"""verify_pdf in a child process with limits, so that a hostile file cannot take the web process down.

The child is ``python -m eoffice.signing.verify`` (see ``__main__``): it sets its own resource limits before it
imports the PDF stack, reads one JSON header line and the file bytes on stdin, and writes the report as JSON on
stdout. Limits are set by the child itself rather than through ``preexec_fn``, which is unsafe in a threaded
server. The parent enforces the wall-clock limit and kills the child's whole process group when it expires.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from asn1crypto import x509

from .model import (
    ERR_CRASHED,
    ERR_RESOURCES,
    ERR_TIMEOUT,
    ERR_TOO_LARGE,
    VerificationReport,
)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_MB = 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: Exit status the child uses when it ran out of memory (MemoryError) rather than crashing otherwise.
EXIT_OUT_OF_MEMORY = 3

# The directory that contains the ``eoffice`` package, so the child imports this same code.
_IMPORT_ROOT = str(Path(__file__).resolve().parents[3])


def verify_pdf_isolated(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate] = (),
    offline: bool = True,
    validation_time: datetime | None = None,
    own_flow_fields: frozenset[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerificationReport:
    """Like ``verify_pdf``, in a child process limited to ``memory_mb`` of address space and ``timeout_s`` of
    wall-clock time; files over ``max_bytes`` are refused before anything is parsed.

    Never raises for any input and never reports a signature as valid when the child did not finish: a timeout,
    memory exhaustion or crash gives a report with ``error`` set (codes ``verification_timeout``,
    ``verification_out_of_memory``, ``verification_crashed``), ``valid`` false and indication INDETERMINATE.
    """
    if len(data) > max_bytes:
        return VerificationReport.refused(
            ERR_TOO_LARGE, f'the file is {len(data)} bytes; the limit is {max_bytes} bytes')
    header = {
        'trust_roots': [base64.b64encode(c.dump()).decode('ascii') for c in trust_roots],
        'offline': offline,
        'validation_time': validation_time.isoformat() if validation_time else None,
        'own_flow_fields': sorted(own_flow_fields) if own_flow_fields is not None else None,
        'memory_mb': memory_mb,
        'cpu_s': int(timeout_s) + 1,
    }
    payload = json.dumps(header).encode('utf-8') + b'\n' + data
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (_IMPORT_ROOT, env.get('PYTHONPATH')) if p)
    proc = subprocess.Popen(
        [sys.executable, '-s', '-m', 'eoffice.signing.verify'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, start_new_session=True,
    )
    try:
        out, err = proc.communicate(payload, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return VerificationReport.refused(
            ERR_TIMEOUT, f'verification did not finish within {timeout_s:g} s; the file was not judged')
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode == 0:
        try:
            return VerificationReport.from_dict(json.loads(out))
        except (ValueError, TypeError, KeyError) as exc:
            return VerificationReport.refused(ERR_CRASHED, f'unreadable answer from the verifier: {exc}')
    if proc.returncode == EXIT_OUT_OF_MEMORY or b'MemoryError' in err[-2000:]:
        return VerificationReport.refused(
            ERR_RESOURCES, f'verification needed more than {memory_mb} MB; the file was not judged')
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return VerificationReport.refused(ERR_TIMEOUT, 'verification exceeded its CPU time limit')
    tail = err.decode('utf-8', 'replace').strip().splitlines()[-1:] or ['no message']
    return VerificationReport.refused(
        ERR_CRASHED, f'the verifier stopped with status {proc.returncode}: {tail[0][:300]}')


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
