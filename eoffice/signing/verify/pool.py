"""A pool of warm, limited verification workers (``python -m eoffice.signing.verify``) and a cap on concurrency.

Written by hand on ``subprocess.Popen`` rather than with pebble's ``ProcessPool`` or the standard
``ProcessPoolExecutor(max_tasks_per_child=…)``, which were considered first:
- both start workers through ``multiprocessing``, whose children inherit the parent's whole ``os.environ``
  (database URL, secret key, ``EOFFICE_*``); a scrubbed environment would mean changing ``os.environ`` of a
  threaded server around each start. ``Popen(env=…)`` execs the child with only what it needs;
- both send results back as pickles: the parent would unpickle whatever a worker that has just parsed a hostile
  file writes, which is code execution in the web process if that worker is ever subverted. Here the answer is
  a length-prefixed JSON frame, read with a size cap;
- ``ProcessPoolExecutor`` has no per-task timeout and a killed worker breaks the whole executor; pebble kills
  and replaces per task but pickles (above) and spawns through ``multiprocessing`` (the parent's ``__main__``
  re-imported in each worker).
What the hand-written pool does: ``Popen`` (fork+exec in C, safe from a threaded server) of a new session per
worker, pipes made non-blocking and driven by ``selectors`` against the file's deadline; on expiry the worker's
whole process group is killed and a replacement started, so the next file meets a warm worker.

One pool per process, started lazily on first use, replaced after ``os.fork`` (the child process starts its own)
and shut down at interpreter exit. Settings come from ``configure()``; without it the defaults apply.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from eoffice.core.errors import VerifierBusy

_LEN = struct.Struct('>I')
#: Largest answer read from a worker; a report is a few kilobytes.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
EXIT_OUT_OF_MEMORY = 3
# The directory that contains the ``eoffice`` package (and config.py), so the worker imports this same code.
_IMPORT_ROOT = str(Path(__file__).resolve().parents[3])


@dataclasses.dataclass(frozen=True)
class PoolSettings:
    #: Warm worker processes kept ready.
    workers: int = 2
    #: Verifications admitted at once (running or waiting for a worker); more wait ``queue_wait_s`` then busy.
    max_concurrent: int = 4
    #: A worker is replaced after this many files.
    recycle_after: int = 200
    queue_wait_s: float = 2.0
    #: Retry-After of the busy answer, in seconds.
    retry_after_s: int = 5
    #: Address space of a worker for its whole life, in MB; a file's own limit may only be lower.
    memory_mb: int = 1024
    #: How long a new worker may take to import and warm up before it counts as broken.
    start_timeout_s: float = 60.0


class WorkerFailed(Exception):
    """The worker did not answer: ``kind`` is ``timeout``, ``out_of_memory``, ``cpu`` or ``crashed``."""

    def __init__(self, kind: str, detail: str = ''):
        super().__init__(kind, detail)
        self.kind, self.detail = kind, detail


def child_environment() -> dict[str, str]:
    """The whole environment of a worker: nothing of the parent's beyond PATH (no EOFFICE_*, no DATABASE_URL)."""
    return {
        'PATH': os.environ.get('PATH') or os.defpath,
        'LANG': 'C.UTF-8',
        'LC_ALL': 'C.UTF-8',
        'PYTHONPATH': _IMPORT_ROOT,
        'PYTHONDONTWRITEBYTECODE': '1',
    }


class Worker:
    """One worker process and its three pipes (raw, non-blocking file descriptors)."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        self.files = 0
        self.ready = False
        self.proc = subprocess.Popen(
            [sys.executable, '-s', '-B', '-m', 'eoffice.signing.verify', '--memory-mb', str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=child_environment(), cwd=_IMPORT_ROOT, start_new_session=True, close_fds=True,
        )
        self._fds = self.proc.stdin.fileno(), self.proc.stdout.fileno(), self.proc.stderr.fileno()
        for fd in self._fds:
            os.set_blocking(fd, False)
        self._inbox = bytearray()
        self._stderr_tail: deque[bytes] = deque(maxlen=16)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def warm(self) -> bool:
        """Whether the worker has greeted (imported and warmed up), without waiting."""
        if not self.ready:
            try:
                self.wait_ready(0)
            except WorkerFailed:
                return False
        return True

    def wait_ready(self, timeout_s: float) -> None:
        answer = self.exchange(b'', time.monotonic() + timeout_s)
        if not answer.get('ready'):
            raise WorkerFailed('crashed', f'unexpected greeting {answer!r:.200}')
        self.ready = True

    def request(self, header: dict, data: bytes | None, timeout_s: float) -> dict:
        frames = [json.dumps(header).encode()] + ([data] if data is not None else [])
        payload = b''.join(_LEN.pack(len(f)) + f for f in frames)
        return self.exchange(payload, time.monotonic() + timeout_s)

    def exchange(self, payload: bytes, deadline: float) -> dict:
        """Write ``payload``, read one answer frame before ``deadline``; stderr is drained all along."""
        stdin, stdout, stderr = self._fds
        view, sel = memoryview(payload), selectors.DefaultSelector()
        try:
            if view:
                sel.register(stdin, selectors.EVENT_WRITE)
            sel.register(stdout, selectors.EVENT_READ)
            sel.register(stderr, selectors.EVENT_READ)
            expired = False
            while (frame := self._take_frame()) is None:
                if expired:
                    raise WorkerFailed('timeout')
                remaining = deadline - time.monotonic()
                expired = remaining <= 0  # then one last look at what has already arrived
                for key, _ in sel.select(max(remaining, 0)):
                    if key.fd == stdin:
                        try:
                            view = view[os.write(stdin, view[:1 << 16]):]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            view = view[:0]  # it died: the end of its stdout tells how
                        if not view:
                            sel.unregister(stdin)
                    elif key.fd == stdout:
                        chunk = os.read(stdout, 1 << 16)
                        if not chunk:
                            raise self._died()
                        self._inbox += chunk
                    else:
                        chunk = os.read(stderr, 1 << 16)
                        if chunk:
                            self._stderr_tail.append(chunk)
                        else:
                            sel.unregister(stderr)
        finally:
            sel.close()
        try:
            return json.loads(frame)
        except ValueError as exc:
            raise WorkerFailed('crashed', f'unreadable answer from the verifier: {exc}') from None

    def _take_frame(self) -> bytes | None:
        if len(self._inbox) < _LEN.size:
            return None
        size = _LEN.unpack_from(self._inbox)[0]
        if size > MAX_ANSWER_BYTES:
            raise WorkerFailed('crashed', f'the verifier answered {size} bytes')
        if len(self._inbox) < _LEN.size + size:
            return None
        frame = bytes(self._inbox[_LEN.size:_LEN.size + size])
        del self._inbox[:_LEN.size + size]
        return frame

    def _died(self) -> WorkerFailed:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        err = b''.join(self._stderr_tail).decode('utf-8', 'replace')
        if code == EXIT_OUT_OF_MEMORY or 'MemoryError' in err[-2000:]:
            return WorkerFailed('out_of_memory')
        if code == -signal.SIGXCPU:
            return WorkerFailed('cpu')
        tail = err.strip().splitlines()[-1:] or ['no message']
        return WorkerFailed('crashed', f'the verifier stopped with status {code}: {tail[0][:300]}')

    def kill(self) -> None:
        """Kill the worker's whole process group and reap it."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def abandon(self) -> None:
        """In a forked child: let go of the parent's worker without touching it."""
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        # Not ours to wait for: keep Popen's finaliser from reaping or warning about the parent's child.
        self.proc.returncode = 0


class VerifierPool:
    """Warm workers, handed out one file at a time, under a cap of ``max_concurrent`` verifications."""

    def __init__(self, settings: PoolSettings):
        self.settings = settings
        self.pid = os.getpid()
        self._slots = threading.BoundedSemaphore(max(1, settings.max_concurrent))
        self._cond = threading.Condition()
        self._closed = False
        self._all: set[Worker] = set()
        # Started at once so that they import and warm up in parallel, before the first file arrives.
        self._idle: list[Worker] = [self._spawn(settings.memory_mb) for _ in range(max(1, settings.workers))]

    def _spawn(self, memory_mb: int) -> Worker:
        worker = Worker(memory_mb)
        self._all.add(worker)
        return worker

    def run(self, header: dict, data: bytes | None, *, timeout_s: float, memory_mb: int) -> dict:
        """Send one request to a warm worker and return its answer; raises ``WorkerFailed`` (the worker is then
        replaced) or ``VerifierBusy`` when no slot frees within ``queue_wait_s``."""
        with self.slot():
            worker = self._take(memory_mb)
            healthy = False
            try:
                if not worker.ready:
                    try:
                        worker.wait_ready(self.settings.start_timeout_s)
                    except WorkerFailed as exc:
                        raise WorkerFailed('crashed', f'the verifier could not start: {exc.kind} {exc.detail}')
                if header.get('op') == 'verify':
                    worker.files += 1
                answer = worker.request(header, data, timeout_s)
                healthy = not answer.get('out_of_memory')
                return answer
            finally:
                self._give_back(worker, healthy)

    @contextlib.contextmanager
    def slot(self):
        """Hold one of the ``max_concurrent`` verification slots; ``VerifierBusy`` when none frees in time."""
        wait = self.settings.queue_wait_s
        if not (self._slots.acquire(timeout=wait) if wait > 0 else self._slots.acquire(blocking=False)):
            raise VerifierBusy(retry_after=self.settings.retry_after_s)
        try:
            yield
        finally:
            self._slots.release()

    def _take(self, memory_mb: int) -> Worker:
        worker = None
        with self._cond:
            # With no worker at all (every replacement failed to start, see _give_back) this file starts one.
            while not self._idle and self._all and not self._closed:
                self._cond.wait()
            if self._closed:
                raise WorkerFailed('crashed', 'the verifier pool is shut down')
            if self._idle:
                # The most recently used warm worker; a replacement still warming up only when no other is idle.
                warm = [i for i, w in enumerate(self._idle) if w.warm()]
                worker = self._idle.pop(warm[-1] if warm else -1)
        if worker is not None:
            if worker.alive() and worker.memory_mb >= memory_mb:
                return worker
            # Died while idle (killed from outside), or started with less address space than this file may use.
            self._retire(worker)
        try:
            return self._spawn(max(memory_mb, self.settings.memory_mb))
        except OSError as exc:
            raise WorkerFailed('crashed', f'the verifier could not be started: {exc}') from None

    def _give_back(self, worker: Worker, healthy: bool) -> None:
        if not healthy or not worker.alive() or worker.files >= self.settings.recycle_after or self._closed:
            self._retire(worker)
            try:
                worker = None if self._closed else self._spawn(self.settings.memory_mb)
            except OSError:
                worker = None  # out of processes or descriptors: the pool shrinks, _take starts one on demand
        with self._cond:
            if worker is not None:
                self._idle.append(worker)
            self._cond.notify()

    def _retire(self, worker: Worker) -> None:
        self._all.discard(worker)
        worker.kill()

    def probe(self, memory_mb: int, cpu_s: int) -> dict:
        """Environment, pid, file count and limits of a worker, read under a file's limits (tests, diagnostics)."""
        return self.run({'op': 'probe', 'memory_mb': memory_mb, 'cpu_s': cpu_s}, None,
                        timeout_s=self.settings.start_timeout_s, memory_mb=memory_mb)['probe']

    def shutdown(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            self._retire(worker)

    def abandon(self) -> None:
        for worker in list(self._all):
            worker.abandon()
        self._all.clear()
        self._idle = []


_lock = threading.Lock()
_settings = PoolSettings()
_pool: VerifierPool | None = None


def configure(**settings) -> PoolSettings:
    """Set the pool's settings (fields of ``PoolSettings``; unnamed ones keep their default). A running pool with
    other settings is shut down; the next verification starts the new one."""
    global _settings, _pool
    new = PoolSettings(**settings)
    with _lock:
        old, _settings = _pool, new
        if old is not None and old.settings != new:
            _pool = None
        else:
            old = None
    if old is not None:
        old.shutdown()
    return new


def configure_from(config) -> PoolSettings:
    """``configure()`` from a mapping with eoffice's ``VERIFY_*`` keys (e.g. a Flask app's config)."""
    names = {'workers': 'VERIFY_WORKERS', 'max_concurrent': 'VERIFY_MAX_CONCURRENT',
             'recycle_after': 'VERIFY_RECYCLE_AFTER', 'queue_wait_s': 'VERIFY_QUEUE_WAIT_SECONDS',
             'retry_after_s': 'VERIFY_RETRY_AFTER_SECONDS', 'memory_mb': 'VERIFY_MEMORY_MB'}
    return configure(**{field: config[key] for field, key in names.items() if key in config})


def get_pool() -> VerifierPool:
    """This process's pool, started on first use (and again in a process forked from one that had a pool)."""
    global _pool
    with _lock:
        if _pool is not None and _pool.pid != os.getpid():
            _pool.abandon()
            _pool = None
        if _pool is None:
            _pool = VerifierPool(_settings)
        return _pool


def shutdown() -> None:
    """Stop this process's workers (at interpreter exit, or to start anew)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None and pool.pid == os.getpid():
        pool.shutdown()


def _after_fork_in_child() -> None:
    # The lock may have been held by another thread of the parent at fork time: the child gets a fresh one. The
    # pid check of get_pool() then abandons the parent's pool.
    global _lock
    _lock = threading.Lock()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_after_fork_in_child)
