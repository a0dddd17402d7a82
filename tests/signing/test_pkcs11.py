"""Signing with a key on a PKCS#11 token: a SoftHSM2 token created for the test in a temporary directory.

The test PKI's ``good`` key is imported into the token with ``softhsm2-util --import``; its certificate and the
issuing CA's are stored next to it as certificate objects through python-pkcs11. Skipped when SoftHSM2 is not
installed (Debian/Ubuntu: ``apt-get install softhsm2``); ``SOFTHSM2_MODULE`` names the module elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import pem

from eoffice.signing.credentials import CredentialError, Pkcs11Credential, WrongPin
from eoffice.signing.sign import Level, batch_sign, sign_pdf
from eoffice.signing.stamps import SignerStampStyle, make_demo_signature_png
from eoffice.signing.verify import verify_pdf

from .helpers import validate_all

TOKEN, KEY = "eoffice-test", "nguyen-van-duc"
PIN, SO_PIN = "1234-Mật khẩu", "so-pin-5678"  # non-ASCII: the PIN reaches the token as UTF-8 on both paths
STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                         name="Nguyễn Văn Đức")
BOX = (320, 120, 540, 260)
# where Debian/Ubuntu (both layouts), Fedora and Homebrew put the module
_MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                      "/usr/lib64/pkcs11/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")


def _module_path() -> str | None:
    candidates = [os.environ.get("SOFTHSM2_MODULE", ""), *_MODULE_CANDIDATES]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def _softhsm(*args: str) -> None:
    result = subprocess.run(["softhsm2-util", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def token(tmp_path_factory, pki):
    """A fresh SoftHSM2 token holding the ``good`` signer's key and certificate and the agency CA certificate.

    SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is first loaded in a process, and python-pkcs11 loads a
    module once per process, so the variable stays set for the rest of this (xdist worker) process: nothing
    else in the suite uses SoftHSM2.
    """
    module = _module_path()
    if module is None or shutil.which("softhsm2-util") is None:
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


def test_token_signature_validates_in_pyhanko_and_eoffice(token, pki, make_pdf):
    credential = Pkcs11Credential(token, KEY, token_label=TOKEN)
    with credential.open(PIN) as signer:
        assert signer.signing_cert.dump() == pki.good.cert.dump()
        result = sign_pdf(make_pdf(), signer, stamp=STAMP, box=BOX, level=Level.B_T, timestamper=pki.timestamper())
    assert result.level == Level.B_T

    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.dump() == pki.good.cert.dump()

    # the token's CA certificate went into the signature: the chain is found without any network access
    report = verify_pdf(result.pdf, trust_roots=[pki.root], offline=True)
    (sig,) = report.signatures
    assert sig.intact and sig.crypto_valid and sig.trusted, report.to_dict()
    assert sig.signer == "Nguyễn Văn Đức" and sig.level == "B-T"


def test_batch_on_the_token_logs_in_once(token, pki, make_pdf):
    results = batch_sign([make_pdf(), make_pdf(3)], Pkcs11Credential(token, KEY, token_label=TOKEN), PIN,
                         stamp=STAMP, box=BOX, level=Level.B_B)
    for result in results:
        (status,) = validate_all(result.pdf, pki.validation_context()).values()
        assert status.bottom_line


def test_wrong_pin_is_wrong_pin(token):
    with pytest.raises(WrongPin):
        with Pkcs11Credential(token, KEY, token_label=TOKEN).open("0000"):
            pass


def test_missing_key_or_token_is_a_credential_error(token):
    with pytest.raises(CredentialError) as missing_key:
        with Pkcs11Credential(token, "no-such-key", token_label=TOKEN).open(PIN):
            pass
    assert not isinstance(missing_key.value, WrongPin)
    with pytest.raises(CredentialError):
        with Pkcs11Credential(token, KEY, token_label="no-such-token").open(PIN):
            pass
