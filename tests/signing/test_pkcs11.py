"""Signing with a key on a PKCS#11 token: a SoftHSM2 token created for the test in a temporary directory.

The test PKI's ``good`` key is imported into the token with ``softhsm2-util --import``; its certificate and the
issuing CA's are stored next to it as certificate objects through python-pkcs11. Skipped when SoftHSM2 is not
installed (Debian/Ubuntu: ``apt-get install softhsm2``); ``SOFTHSM2_MODULE`` names the module elsewhere.
"""

from __future__ import annotations


import pytest

from eoffice.signing.credentials import CredentialError, Pkcs11Credential, WrongPin
from eoffice.signing.sign import Level, batch_sign, sign_pdf
from eoffice.signing.stamps import SignerStampStyle, make_demo_signature_png
from eoffice.signing.verify import verify_pdf

from .helpers import validate_all
from .softhsm import KEY, PIN, TOKEN

STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                         name="Nguyễn Văn Đức")
BOX = (320, 120, 540, 260)


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
