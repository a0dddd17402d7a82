"""Whom a verification trusts: one trust set per audience, decided on the server.

- Public (the verification page without login, anonymous API use, the CLI): the deployment's trust list, a
  directory of root certificates kept by the operator (``TRUST_LIST_PATH``, by default the tracked ``certs/trust``),
  plus the demo PKI's root in demo mode.
- An agency's users: the same, plus the anchors their agency's admin added. One agency's anchors never apply to
  another agency or to the public page, so an admin who trusts a rogue root harms only their own agency.

``trust_key`` names a trust set by its content; stored verification reports are keyed by it, so a report made
under other anchors is never shown as if made under these.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from flask import current_app
from sqlalchemy import select

from eoffice.extensions import db
from eoffice.signing.models import TrustAnchor

log = logging.getLogger(__name__)

#: Files of the trust list that are read as certificates; README and the like are skipped.
CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})

_cache: dict[tuple, tuple[asn1_x509.Certificate, ...]] = {}


def load_certificate_file(data: bytes) -> list[asn1_x509.Certificate]:
    """Every certificate in PEM (one or several) or DER bytes; ValueError when there is none."""
    if asn1_pem.detect(data):
        certs = [asn1_x509.Certificate.load(der) for kind, _headers, der in asn1_pem.unarmor(data, multiple=True)
                 if kind == "CERTIFICATE"]
    else:
        certs = [asn1_x509.Certificate.load(data)]
    for cert in certs:
        cert.native  # noqa: B018  (asn1crypto parses lazily; a broken certificate must fail here)
    if not certs:
        raise ValueError("no certificate in the file")
    return certs


def deployment_roots() -> tuple[asn1_x509.Certificate, ...]:
    """The operator's trust list. Re-read when a file of the directory changes; a broken file is logged and
    skipped (it adds no trust, so skipping it fails closed)."""
    folder = Path(current_app.config["TRUST_LIST_PATH"])
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in CERT_SUFFIXES and p.is_file()) \
        if folder.is_dir() else []
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    cached = _cache.get(key)
    if cached is None:
        roots = []
        for path in files:
            try:
                roots.extend(c for c in load_certificate_file(path.read_bytes()) if c.ca)
            except (OSError, ValueError) as exc:
                log.error("trust list file %s skipped: %s", path, exc)
        cached = _cache[key] = tuple(roots)
    return cached


def demo_root() -> list[asn1_x509.Certificate]:
    """The demo PKI's root, in demo mode only."""
    if not current_app.config["DEMO_MODE"]:
        return []
    path = Path(current_app.config["PKI_PATH"] or Path(current_app.instance_path) / "pki") / "root-ca.pem"
    return load_certificate_file(path.read_bytes()) if path.is_file() else []


def agency_roots(agency_id: int) -> list[asn1_x509.Certificate]:
    return [cert for pem in db.session.scalars(select(TrustAnchor.certificate_pem)
                                                .where(TrustAnchor.agency_id == agency_id))
            for cert in load_certificate_file(pem.encode())]


def audience_roots(agency_id: int | None) -> list[asn1_x509.Certificate]:
    """The anchors for an agency's users (``agency_id``) or for the public (None), without duplicates."""
    roots = [*deployment_roots(), *demo_root()]
    if agency_id is not None:
        roots.extend(agency_roots(agency_id))
    unique = {}
    for cert in roots:
        unique.setdefault(hashlib.sha256(cert.dump()).digest(), cert)
    return list(unique.values())


def trust_key(roots: Iterable[asn1_x509.Certificate]) -> str:
    """A name for a set of anchors, independent of order and duplicates (SHA-256 over their sorted hashes)."""
    digests = sorted({hashlib.sha256(cert.dump()).digest() for cert in roots})
    return hashlib.sha256(b"".join(digests)).hexdigest()
