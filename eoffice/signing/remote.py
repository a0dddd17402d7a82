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
over it (the same contract as the CSC API's ``signatures/signHash``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = ["RemoteSigningService", "HttpRemoteSigningService", "PendingSignature", "prepare_remote_signature",
           "finish_remote_signature", "sign_remote"]

_RSA_SIGNATURE_BYTES = 512  # room for a 4096-bit key in the size estimate


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
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
            return json.load(response)

    def certificate_chain(self) -> list[x509.Certificate]:
        answer = self._call(f"/certificates?key_id={self.key_id}")
        return [x509.Certificate.load(base64.b64decode(c)) for c in answer["certificates"]]

    def sign_hash(self, hash_value: bytes, hash_algorithm: str = "sha256") -> bytes:
        answer = self._call("/sign", {"key_id": self.key_id, "hash_algorithm": hash_algorithm,
                                      "hash": base64.b64encode(hash_value).decode()})
        return base64.b64decode(answer["signature"])


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


def finish_remote_signature(pending: PendingSignature, signature_value: bytes, timestamper=None) -> bytes:
    """Embed the service's ``signature_value`` (with a signature timestamp if ``timestamper``) and return the PDF."""
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
