"""A SoftHSM2 token for the tests, created in a temporary directory and shared by the whole test process.

SoftHSM2 reads ``SOFTHSM2_CONF`` when its module is first loaded, and python-pkcs11 loads a module once per
process, so there can be only one token directory per process: the fixture in conftest.py is session-scoped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import pem

TOKEN, KEY = "eoffice-test", "nguyen-van-duc"
PIN, SO_PIN = "1234-Mật khẩu", "so-pin-5678"  # non-ASCII: the PIN reaches the token as UTF-8 on both paths
# where Debian/Ubuntu (both layouts), Fedora and Homebrew put the module
_MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                      "/usr/lib64/pkcs11/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")


def _module_path() -> str | None:
    candidates = [os.environ.get("SOFTHSM2_MODULE", ""), *_MODULE_CANDIDATES]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def _softhsm(*args: str) -> None:
    result = subprocess.run(["softhsm2-util", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def make_token(tmp_path_factory, pki) -> str:
    """A fresh SoftHSM2 token holding the ``good`` signer's key and certificate and the agency CA certificate.

    SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is first loaded in a process, and python-pkcs11 loads a
    module once per process, so the variable stays set for the rest of this (xdist worker) process: nothing
    else in the suite uses SoftHSM2.
    """
    module = _module_path()
    if module is None or shutil.which("softhsm2-util") is None:
        if os.environ.get("CI"):  # `make test` installs softhsm2; in CI a missing token is a failure, not a skip
            pytest.fail("SoftHSM2 is not installed (softhsm2-util and libsofthsm2.so)")
        pytest.skip("SoftHSM2 is not installed (softhsm2-util and libsofthsm2.so)")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)

    _softhsm("--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN)
    key_pem = base / "key.pem"
    key_pem.write_bytes(pem.armor("PRIVATE KEY", pki.arch.key_set.get_private_key("good").dump()))
    try:
        _softhsm("--import", str(key_pem), "--token", TOKEN, "--label", KEY, "--id", "01", "--pin", PIN)
    finally:
        key_pem.unlink()  # the key now lives only in the token

    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(module)
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        for label, cert_id, cert in ((KEY, b"\x01", pki.good.cert), ("agency-ca", b"\x02", pki.interm)):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: cert_id,
                Attribute.SUBJECT: cert.subject.dump(),
                Attribute.VALUE: cert.dump(),
            })
    return module
