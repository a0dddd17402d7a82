"""Remote signing: the key stays with a signing service; we send it a digest and embed what comes back.

Built on pyHanko's interrupted signing: :func:`prepare_remote_signature` writes the document with its
signature placeholder and returns a :class:`PendingSignature` carrying the digest the service must sign;
:func:`finish_remote_signature` builds the CMS around the service's signature value (adding the signature
timestamp) and embeds it. The two halves may run far apart in time (a user approving on a phone), which is why
they are separate. :func:`sign_remote` chains them for a service that answers at once.

Protocol of :class:`HttpRemoteSigningService` (JSON over HTTPS, bearer token):
``GET  {base}/certificates`` → ``{"certificates": [base64 DER, signer first]}``;
``POST {base}/sign`` ``{"key_id", "hash_algorithm": "sha256", "hash": base64}`` → ``{"signature": base64}``
where ``hash`` is the SHA-256 of the DER signed attributes and ``signature`` the RSA PKCS#1 v1.5 signature
over it (the same contract as the CSC API's ``signatures/signHash``). Any failure of the service (unreachable,
refused token, HTTP error, malformed answer) is a :class:`RemoteSigningError`, and so is a signature value that
does not verify against the signer's certificate: a document is never finished with a signature that cannot
be valid. Redirects are refused, not followed: only the configured address was checked against the allow-list,
and a service there must not be able to send this server to another (internal) address.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = ["RemoteSigningError", "RemoteSigningService", "HttpRemoteSigningService", "PendingSignature",
           "prepare_remote_signature", "finish_remote_signature", "sign_remote", "check_signature_value"]

_RSA_SIGNATURE_BYTES = 512  # room for a 4096-bit key in the size estimate
log = logging.getLogger(__name__)


class RemoteSigningError(Exception):
    """The signing service could not be used or answered something unusable; the message says which."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Any 30x answer is a failure of the service; its target is never requested."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        fp.close()
        log.warning("signing service %s answered HTTP %s redirecting to %s: refused", req.full_url, code,
                    newurl[:300])
        raise RemoteSigningError(f"the signing service answered HTTP {code} (a redirect, which is not followed)")


_OPENER = urllib.request.build_opener(_RefuseRedirects)


class RemoteSigningService(ABC):
    """A service holding the private key. Subclasses speak one provider's protocol."""

    @abstractmethod
    def certificate_chain(self) -> list[x509.Certificate]:
        """The signer's certificate first, then its issuers."""

    @abstractmethod
    def sign_hash(self, hash_value: bytes, hash_algorithm: str = "sha256") -> bytes:
        """Return the raw signature value (RSA PKCS#1 v1.5) over an already computed hash."""


class HttpRemoteSigningService(RemoteSigningService):
    """Talks the JSON protocol described in the module docstring."""

    def __init__(self, base_url: str, key_id: str, token: str | None = None, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.key_id, self.token, self.timeout = key_id, token, timeout

    def _call(self, path: str, payload: dict | None = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method="GET" if data is None else "POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                return json.load(response)
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code in (401, 403):
                raise RemoteSigningError(f"the signing service refused our credentials (HTTP {exc.code}){detail}"
                                         ) from exc
            raise RemoteSigningError(f"the signing service answered HTTP {exc.code} to {path}{detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteSigningError(f"the signing service cannot be reached: {exc}") from exc
        except ValueError as exc:
            raise RemoteSigningError(f"the signing service answered something that is not JSON: {exc}") from exc

    def certificate_chain(self) -> list[x509.Certificate]:
        answer = self._call(f"/certificates?key_id={urllib.parse.quote(self.key_id)}")
        try:
            chain = [x509.Certificate.load(base64.b64decode(c)) for c in answer["certificates"]]
            for cert in chain:
                cert.native  # noqa: B018 - parse now: a malformed certificate fails here, not inside pyHanko
        except (KeyError, TypeError, ValueError) as exc:
            raise RemoteSigningError(f"the signing service sent no usable certificate chain: {exc!r}") from exc
        if not chain:
            raise RemoteSigningError("the signing service sent an empty certificate chain")
        return chain

    def sign_hash(self, hash_value: bytes, hash_algorithm: str = "sha256") -> bytes:
        answer = self._call("/sign", {"key_id": self.key_id, "hash_algorithm": hash_algorithm,
                                      "hash": base64.b64encode(hash_value).decode()})
        try:
            return base64.b64decode(answer["signature"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise RemoteSigningError(f"the signing service sent no usable signature: {exc!r}") from exc


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The service's own error message, if its error body is the usual JSON, for the exception text."""
    try:
        body = json.loads(exc.read(4096) or b"{}")
    except (ValueError, OSError):
        return ""
    message = body.get("error") if isinstance(body, dict) else None
    if isinstance(message, dict):
        message = message.get("message")
    return f": {message}" if isinstance(message, str) and message else ""


def check_signature_value(cert: x509.Certificate, hash_value: bytes, signature_value: bytes) -> None:
    """Raise :class:`RemoteSigningError` unless ``signature_value`` is ``cert``'s key's signature of the SHA-256
    ``hash_value`` (RSA PKCS#1 v1.5 or ECDSA)."""
    public_key = load_der_public_key(cert.public_key.dump())
    prehashed = Prehashed(hashes.SHA256())
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature_value, hash_value, padding.PKCS1v15(), prehashed)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature_value, hash_value, ec.ECDSA(prehashed))
        else:
            raise RemoteSigningError(f"unsupported key type for remote signing: {cert.public_key.algorithm}")
    except InvalidSignature as exc:
        raise RemoteSigningError("the signature value from the signing service does not match the document's "
                                 "hash and the signer's certificate") from exc


@dataclass
class PendingSignature:
    """A document waiting for its signature value: send ``hash_to_sign`` to the service."""

    hash_to_sign: bytes
    signed_attrs: cms.CMSAttributes
    prepared_digest: PreparedByteRangeDigest
    output: BytesIO
    chain: list[x509.Certificate]
    post_sign_instructions: object


def _external_signer(chain: list[x509.Certificate], signature_value: bytes) -> signers.ExternalSigner:
    return signers.ExternalSigner(signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(chain),
                                  signature_value=signature_value)


def prepare_remote_signature(pdf_bytes: bytes, chain: list[x509.Certificate], *, field_name: str = "Signature1",
                             stamp=None, box=None, page: int = 0, text_params: dict | None = None
                             ) -> PendingSignature:
    """Write the document with an empty signature of ``chain[0]`` and compute what the service must sign."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    placeholder = _external_signer(chain, bytes(_RSA_SIGNATURE_BYTES))
    exists = any(fq == field_name for fq, _v, _r in fields.enumerate_sig_fields(writer, filled_status=None))
    spec = None if exists else fields.SigFieldSpec(field_name, on_page=page, box=box)
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=placeholder, stamp_style=stamp, new_field_spec=spec)

    async def prepare():
        digest, tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, appearance_text_params=text_params or {}, bytes_reserved=16384)
        attrs = await placeholder.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        return digest, tbs, output, attrs

    digest, tbs, output, attrs = asyncio.run(prepare())
    return PendingSignature(hashlib.sha256(attrs.dump()).digest(), attrs, digest, output, chain,
                            tbs.post_sign_instructions)


def finish_remote_signature(pending: PendingSignature, signature_value: bytes, timestamper=None, *,
                            check: bool = True) -> bytes:
    """Embed the service's ``signature_value`` (with a signature timestamp if ``timestamper``) and return the PDF.

    The value is first checked against the signer's certificate and ``pending.hash_to_sign``
    (:class:`RemoteSigningError` if it does not match); ``check=False`` skips that, for tests only.
    """
    if check:
        check_signature_value(pending.chain[0], pending.hash_to_sign, signature_value)
    signer = _external_signer(pending.chain, signature_value)

    async def finish():
        cms_obj = await signer.async_sign_prescribed_attributes("sha256", signed_attrs=pending.signed_attrs,
                                                                timestamper=timestamper)
        await PdfTBSDocument.async_finish_signing(pending.output, pending.prepared_digest, cms_obj,
                                                  post_sign_instr=pending.post_sign_instructions)

    asyncio.run(finish())
    return pending.output.getvalue()


def sign_remote(pdf_bytes: bytes, service: RemoteSigningService, timestamper=None, **options) -> bytes:
    """Prepare, have ``service`` sign, and finish, in one call (``options`` as for the prepare step)."""
    pending = prepare_remote_signature(pdf_bytes, service.certificate_chain(), **options)
    return finish_remote_signature(pending, service.sign_hash(pending.hash_to_sign), timestamper)
