"""Content-addressed file store.

A file is named by the SHA-256 of its bytes, so a stored original can never change under its name: a signature
produces new bytes and therefore a new file. Writes go to a temporary name in the same directory, are fsynced and
then renamed, so a crash leaves either the whole file or nothing. Reads check the hash, so silent corruption on
disk is reported instead of served. The interface is small on purpose, for an S3-compatible store to fit behind it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class StorageError(Exception):
    pass


class FileMissing(StorageError):
    pass


class FileCorrupted(StorageError):
    """The bytes on disk no longer match their name."""


class FileStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: bytes | BinaryIO) -> str:
        """Store the bytes (or everything readable from a binary stream) and return their SHA-256 hex digest."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as tmp:
                if isinstance(source, (bytes, bytearray, memoryview)):
                    digest.update(source)
                    tmp.write(source)
                else:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            sha256 = digest.hexdigest()
            target = self._path(sha256)
            if target.exists():
                os.unlink(tmp_name)
                return sha256
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            _fsync_dir(target.parent)
            return sha256
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise FileMissing(sha256) from None

    def read(self, sha256: str) -> bytes:
        """Return the stored bytes; FileCorrupted when they do not hash to their name."""
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise FileMissing(sha256) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileCorrupted(sha256)
        return data

    def delete(self, sha256: str) -> None:
        """Remove a file. Callers run this from a job after the commit that dropped the last reference."""
        try:
            self._path(sha256).unlink()
        except FileNotFoundError:
            pass


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry itself reaches the disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_store() -> FileStore:
    from flask import current_app

    return current_app.extensions["eoffice.storage"]
