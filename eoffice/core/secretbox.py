"""Secrets at rest (stored PKCS#12 files, service tokens), sealed with Fernet keys that can be rotated.

A PKCS#12 is already encrypted with its owner's PIN, but PINs are short: sealing it again with an instance key
means a copy of the database alone is not enough to start guessing PINs offline. Several keys may be configured,
newest first; everything opens with any of them and new seals use the newest (cryptography's MultiFernet).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SealError(Exception):
    pass


def _box() -> MultiFernet:
    box = current_app.extensions.get("eoffice.secretbox")
    if box is None:
        configured = [k.strip() for k in current_app.config["SECRET_BOX_KEYS"].split(",") if k.strip()]
        keys = configured or [_instance_key(Path(current_app.instance_path) / "secret_box_key")]
        box = MultiFernet([Fernet(k) for k in keys])
        current_app.extensions["eoffice.secretbox"] = box
    return box


def _instance_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = Fernet.generate_key().decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


def seal(data: bytes) -> bytes:
    return _box().encrypt(data)


def unseal(token: bytes) -> bytes:
    try:
        return _box().decrypt(token)
    except InvalidToken:
        raise SealError("the sealed secret does not open with any configured key") from None
