"""The envelope signature of an edXML package: XMLDSig, enveloped, RSA-SHA256, by the sending agency's seal key.

Signing takes a private key and its certificate chain, so it does not care where the key came from (the service
in `exchange.services` unlocks the agency's seal credential with the clerk's PIN). Verifying takes the
certificates the receiving agency keeps for the sender in its partner directory: the signing certificate must be
one of them, or chain to one of them; anything else, an altered package, or a signature made with another
algorithm is refused. This module knows nothing of the database.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_private_key
from lxml import etree

from eoffice.exchange.edxml.model import NS as EDXML_NS
from eoffice.exchange.edxml.model import XMLDSIG_NS as DSIG_NS
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier, methods
from signxml.exceptions import SignXMLException

#: The only algorithms accepted, in both directions (DESIGN: XMLDSig RSA-SHA256).
SIGNATURE_METHOD, DIGEST_ALGORITHM = SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256
MIN_RSA_BITS = 2048
#: How many issuers a chain from the signing certificate to a partner certificate may climb.
MAX_CHAIN = 6

_EXPECT = SignatureConfiguration(signature_methods=frozenset({SIGNATURE_METHOD}),
                                 digest_algorithms=frozenset({DIGEST_ALGORITHM}), expect_references=1)


class EnvelopeError(Exception):
    """The envelope cannot be signed, parsed or trusted; `code` says why in one word for the API and the log."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class VerifiedEnvelope:
    """A verified envelope: `signed` is the signed content only (never read anything unsigned from the
    package), `signer` the signing certificate, `trusted_by` the partner certificate it is or chains to."""

    signed: etree._Element
    signer: x509.Certificate
    trusted_by: x509.Certificate


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no entity expansion, no DTD, no network access, no huge trees.

    A document type declaration is refused outright: edXML has none, and an internal subset is where entity
    tricks (billion laughs, external entities) live.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"not well-formed XML: {exc}", "malformed") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise EnvelopeError("a document type declaration is not allowed", "doctype")
    return root


def key_and_chain(signer) -> tuple[rsa.RSAPrivateKey, list[x509.Certificate]]:
    """The private key and certificate chain (signing certificate first) of an unlocked pyHanko signer that
    holds its key in memory (a PKCS#12 credential); EnvelopeError for a key that never leaves its token."""
    key_info = getattr(signer, "signing_key", None)
    if key_info is None:
        raise EnvelopeError("this key cannot sign an envelope (it stays in its token or service)", "key_unusable")
    key = load_der_private_key(key_info.dump(), password=None)
    chain = [x509.load_der_x509_certificate(signer.signing_cert.dump())]
    for cert in (signer.cert_registry or ()):
        pyca = x509.load_der_x509_certificate(cert.dump())
        if pyca != chain[0]:
            chain.append(pyca)
    return key, chain


def sign_envelope(root: etree._Element, private_key, certificates: Sequence[x509.Certificate]) -> etree._Element:
    """Return a signed copy of `root`: an enveloped XMLDSig signature (RSA-SHA256, reference to the whole
    document) with the certificate chain in KeyInfo, placed last in the edXML header when there is one."""
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < MIN_RSA_BITS:
        raise EnvelopeError(f"the envelope is signed with RSA of at least {MIN_RSA_BITS} bits", "key_unusable")
    if not certificates or certificates[0].public_key().public_numbers() != private_key.public_key().public_numbers():
        raise EnvelopeError("the first certificate must be the signing key's", "key_unusable")
    if root.find(f".//{{{DSIG_NS}}}Signature") is not None:
        raise EnvelopeError("the document is signed already", "already_signed")
    document = copy.deepcopy(root)
    header = document.find(f".//{{{EDXML_NS}}}edXMLHeader")
    # signxml puts the signature where it finds this placeholder; without one it would append it to the root.
    etree.SubElement(header if header is not None else document, f"{{{DSIG_NS}}}Signature", Id="placeholder")
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=SIGNATURE_METHOD,
                       digest_algorithm=DIGEST_ALGORITHM)
    return signer.sign(document, key=private_key, cert=list(certificates))


def verify_envelope(document: etree._Element | bytes, trusted: Sequence[x509.Certificate], *,
                    at: datetime | None = None) -> VerifiedEnvelope:
    """Verify the envelope signature of `document` against the sender's certificates `trusted`.

    Refused (EnvelopeError) when: there is not exactly one signature; it does not cover the whole document; it
    uses anything but RSA-SHA256 with SHA-256 digests; the content was changed after signing; or no certificate
    of its KeyInfo is one of `trusted` or chains to one of them (validity checked at `at`, default now).
    """
    root = parse_xml(document) if isinstance(document, bytes) else document
    signatures = root.findall(f".//{{{DSIG_NS}}}Signature")
    if len(signatures) != 1:
        raise EnvelopeError(f"expected one envelope signature, found {len(signatures)}", "signature_count")
    references = signatures[0].findall(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference")
    # Only a reference to the whole document protects it all: one to an Id'd element leaves the rest unsigned
    # and opens the door to signature wrapping.
    if len(references) != 1 or references[0].get("URI") != "":
        raise EnvelopeError("the signature must cover the whole document", "signature_scope")
    _check_algorithms(signatures[0], references[0])
    if not trusted:
        raise EnvelopeError("no certificate is known for this sender", "untrusted_signer")
    when = at or datetime.now(timezone.utc)
    pool = _keyinfo_certificates(signatures[0])
    last_error: Exception | None = None
    for candidate in pool:
        anchor = _trusted_anchor(candidate, pool, trusted, when)
        if anchor is None:
            continue
        try:
            result = XMLVerifier().verify(root, x509_cert=candidate,
                                          expect_config=dataclasses.replace(_EXPECT, verification_time=when))
        except SignXMLException as exc:
            last_error = exc
            continue
        return VerifiedEnvelope(signed=result.signed_xml, signer=candidate, trusted_by=anchor)
    if last_error is not None:
        raise EnvelopeError(f"the signature does not match the document: {last_error}", "signature_invalid")
    raise EnvelopeError("the signing certificate is not one of the sender's and does not chain to one",
                        "untrusted_signer")


def _check_algorithms(signature: etree._Element, reference: etree._Element) -> None:
    # Checked here, before signxml, so that a weak or unexpected algorithm has its own answer.
    method = signature.find(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}SignatureMethod")
    digest = reference.find(f"{{{DSIG_NS}}}DigestMethod")
    if method is None or method.get("Algorithm") != SIGNATURE_METHOD.value:
        raise EnvelopeError("the signature algorithm must be RSA-SHA256", "signature_algorithm")
    if digest is None or digest.get("Algorithm") != DIGEST_ALGORITHM.value:
        raise EnvelopeError("the digest algorithm must be SHA-256", "signature_algorithm")


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, hex: how a certificate is named in the partner directory."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _keyinfo_certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs = []
    for element in signature.iterfind(f"{{{DSIG_NS}}}KeyInfo/{{{DSIG_NS}}}X509Data/{{{DSIG_NS}}}X509Certificate"):
        try:
            der = _b64(element.text or "")
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise EnvelopeError("a KeyInfo certificate cannot be read", "malformed") from None
    if not certs:
        raise EnvelopeError("the signature carries no certificate", "untrusted_signer")
    return certs


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _trusted_anchor(cert: x509.Certificate, pool: Sequence[x509.Certificate], trusted: Sequence[x509.Certificate],
                    when: datetime) -> x509.Certificate | None:
    """The certificate of `trusted` that `cert` is, or reaches through issuers from `pool` and `trusted`."""
    if not _valid_at(cert, when):
        return None
    anchors = {fingerprint(t): t for t in trusted}
    current, seen = cert, set()
    for _step in range(MAX_CHAIN):
        current_print = fingerprint(current)
        if current_print in anchors:
            return anchors[current_print]
        seen.add(current_print)
        issuer = _issuer_of(current, [*trusted, *pool], seen, when)
        if issuer is None:
            return None
        current = issuer
    return None


def _issuer_of(cert: x509.Certificate, candidates: Sequence[x509.Certificate], seen: set[str],
               when: datetime) -> x509.Certificate | None:
    for issuer in candidates:
        if fingerprint(issuer) in seen or not _is_ca(issuer) or not _valid_at(issuer, when):
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return issuer
    return None
