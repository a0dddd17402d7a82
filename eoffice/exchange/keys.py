"""Each agency's exchange key, which signs the envelopes its deployment sends (XMLDSig RSA-SHA256).

Why not the agency seal: the seal key is unlocked with a clerk's PIN, and packages leave at job time (retries,
status codes 01…06 answering a registration or a leader's direction) when no clerk is there to give one. The
seal still signs the document itself (the PAdES agency signature made at issuing, verified on receipt); the
envelope signature authenticates the sending deployment, as the national exchange axis's gateway certificates
do. The key is made on first use, kept sealed by the instance's secret box, and its self-signed certificate is
what partners pin in their directory (a local partner's is looked up here).
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from eoffice.core import secretbox
from eoffice.core.time import utcnow
from eoffice.exchange.models import ExchangeKey
from eoffice.extensions import db

KEY_BITS = 2048
VALID_FOR = timedelta(days=3650)


def exchange_key(agency) -> ExchangeKey:
    """The agency's exchange key, made (and flushed) the first time it is asked for."""
    row = db.session.scalar(select(ExchangeKey).where(ExchangeKey.agency_id == agency.id))
    if row is not None:
        return row
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{agency.name} (liên thông)"[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, agency.code[:64])])
    now = utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    row = ExchangeKey(agency_id=agency.id, sealed_key=secretbox.seal(pem),
                      certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode())
    db.session.add(row)
    db.session.flush()
    return row


def exchange_certificate(agency_id: int) -> x509.Certificate | None:
    """The certificate of the agency's exchange key, or None when it has none yet."""
    pem = db.session.scalar(select(ExchangeKey.certificate_pem).where(ExchangeKey.agency_id == agency_id))
    return x509.load_pem_x509_certificate(pem.encode()) if pem else None


def signing_material(row: ExchangeKey):
    """The private key and its certificate chain, for `envelope.sign_envelope`."""
    key = serialization.load_pem_private_key(secretbox.unseal(row.sealed_key), password=None)
    return key, [x509.load_pem_x509_certificate(row.certificate_pem.encode())]
