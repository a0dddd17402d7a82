"""Signing credentials: where the private key lives and how it is unlocked.

Every credential is unlocked with a PIN for the duration of a ``with`` block and yields a pyHanko
:class:`~pyhanko.sign.signers.Signer`; nothing unlocked outlives the block, so a batch signs many documents
with one unlock and the key is never kept in the clear afterwards. A wrong PIN always surfaces as
:class:`WrongPin`; counting attempts and locking the account belong to the database layer.

The third channel, remote signing (the key never comes here), is in :mod:`eoffice.signing.remote`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

from asn1crypto import keys as asn1_keys
from asn1crypto import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

__all__ = ["CredentialError", "WrongPin", "Credential", "InMemorySigner", "Pkcs12Credential", "Pkcs11Credential"]


class CredentialError(Exception):
    """The credential cannot be used (unreadable container, token or key not found, …)."""


class WrongPin(CredentialError):
    """The PIN does not unlock the credential."""


class Credential(ABC):
    """A private key with its certificate chain, unlocked by a PIN."""

    @abstractmethod
    @contextmanager
    def open(self, pin: str) -> Iterator[Signer]:
        """Unlock the key with ``pin`` and yield a pyHanko signer valid inside the ``with`` block.

        Raises :class:`WrongPin` on a bad PIN and :class:`CredentialError` when the key cannot be used.
        """


def _asn1_cert(cert) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(Encoding.DER))


class InMemorySigner(SimpleSigner):
    """pyHanko's :class:`SimpleSigner` that keeps the key it was given as a ready pyca key object.

    pyHanko's signer re-parses the DER key (with pyca's expensive RSA consistency check) for every raw signature,
    twice per document counting the size estimate: about 40 ms per document, most of a batch signature. Here
    the key is parsed once per unlock, and the size estimate (a dry run) gets a placeholder of the exact length
    instead of a real signature. Mechanisms other than RSA PKCS#1 v1.5 and ECDSA go through pyHanko's code.
    """

    def __init__(self, *args, private_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._private_key = private_key

    def forget_key(self) -> None:
        self.signing_key = None
        self._private_key = None

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        key = self._private_key
        if dry_run and isinstance(key, rsa.RSAPrivateKey):
            return bytes((key.key_size + 7) // 8)
        if dry_run and isinstance(key, ec.EllipticCurvePrivateKey):
            # the longest DER encoding of (r, s): two INTEGERs of the curve size plus a sign byte each
            return bytes(2 * ((key.key_size + 7) // 8 + 3) + 3)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        key = self._private_key
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = None
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        return super().sign_raw(data, digest_algorithm)


class Pkcs12Credential(Credential):
    """An encrypted PKCS#12 container (key, certificate and chain), e.g. a user's ``.p12`` file as bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def unlock(self, pin: str) -> InMemorySigner:
        """Decrypt the container and return a signer holding the key in memory (prefer :meth:`open`)."""
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(self.data, pin.encode("utf-8"))
        except ValueError as exc:
            # pyca reports a bad password and a corrupt container alike; a container that opens with the
            # empty password is not "wrong PIN" but is still refused (every key must be encrypted).
            if not _opens_without_password(self.data):
                raise WrongPin("the PIN does not unlock this PKCS#12 container") from exc
            raise CredentialError("refusing an unencrypted PKCS#12 container") from exc
        if key is None or cert is None:
            raise CredentialError("the PKCS#12 container holds no key or no certificate")
        key_info = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        )
        registry = SimpleCertificateStore.from_certs([_asn1_cert(c) for c in extra])
        return InMemorySigner(signing_cert=_asn1_cert(cert), signing_key=key_info, cert_registry=registry,
                              private_key=key)

    @contextmanager
    def open(self, pin: str) -> Iterator[Signer]:
        signer = self.unlock(pin)
        try:
            yield signer
        finally:
            # drop our references so the decrypted key can be collected as soon as the caller is done
            signer.forget_key()


def _opens_without_password(data: bytes) -> bool:
    for password in (None, b""):
        try:
            pkcs12.load_key_and_certificates(data, password)
            return True
        except ValueError:
            continue
    return False


class Pkcs11Credential(Credential):
    """A key on a PKCS#11 token or HSM (SoftHSM2 in tests).

    The token is found by ``slot`` number or ``token_label``; the key by ``key_label`` (the certificate with the
    same label is read from the token unless ``cert_label`` names another one). The issuing CA certificates are
    embedded in every signature so that it can be validated offline: every other certificate stored on the token,
    plus ``ca_chain`` for tokens that hold only the signer's own.
    """

    def __init__(self, module_path: str, key_label: str, *, slot: int | None = None,
                 token_label: str | None = None, cert_label: str | None = None,
                 ca_chain: tuple[x509.Certificate, ...] = ()):
        if slot is None and token_label is None:
            raise ValueError("give the token's slot number or its label")
        self.module_path = module_path
        self.key_label = key_label
        self.cert_label = cert_label or key_label
        self.slot = slot
        self.token_label = token_label
        self.ca_chain = tuple(ca_chain)

    @contextmanager
    def open(self, pin: str) -> Iterator[Signer]:
        from pkcs11 import exceptions as p11_errors
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.general import SigningError
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        criteria = TokenCriteria(label=self.token_label) if self.token_label else None
        try:
            session = open_pkcs11_session(self.module_path, slot_no=self.slot, token_criteria=criteria,
                                          user_pin=pin)
        except (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange) as exc:
            raise WrongPin("the PIN does not unlock this token") from exc
        except (p11_errors.PKCS11Error, SigningError, OSError) as exc:
            raise CredentialError(f"cannot open the PKCS#11 token: {exc!r}") from exc
        try:
            # other_certs_to_pull=None: pull every certificate on the token (pyHanko's default pulls none)
            signer = PKCS11Signer(session, key_label=self.key_label, cert_label=self.cert_label,
                                  other_certs_to_pull=None, ca_chain=self.ca_chain or None)
            try:
                # fail here, with a clear error, rather than in the middle of a signature
                signer.signing_cert  # noqa: B018 - the property loads the certificate from the token
            except (p11_errors.PKCS11Error, SigningError) as exc:
                raise CredentialError(f"key or certificate {self.key_label!r} not usable: {exc!r}") from exc
            yield signer
        finally:
            session.close()
