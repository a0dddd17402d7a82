"""The demo/development PKI, built with certomancer.

Layout of the hierarchy (the same shape the test PKI in ``tests/signing/conftest.py`` uses):

    root CA ── agency intermediate CA ── one signing certificate per user (digitalSignature + nonRepudiation,
           │                          │   CN = full name, O = agency)
           │                          ├─ one seal certificate per agency (the clerk's agency signature)
           │                          └─ OCSP responder (ocspSigning, id-pkix-ocsp-nocheck)
           └─ timestamp authority (timeStamping)

Certomancer is stateless: a certificate is a pure function of the configuration and the keys, so the demo PKI is
kept as ``certomancer.yml`` plus PEM keys under ``pki_dir`` and every later load rebuilds byte-identical
certificates. New users or agencies are appended to the stored configuration; existing entries keep their
serials, validity and keys, which is what makes :func:`create_demo_pki` idempotent.

The CA, TSA and OCSP keys are written unencrypted (mode 0600) under ``pki_dir`` because certomancer must load them
to answer OCSP/CRL/TSA requests; this is a demo PKI and never holds a real key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path

import yaml
from asn1crypto import pem, x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertomancerConfig, PKIArchitecture
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "eoffice"
CONFIG_FILE = "certomancer.yml"
DEFAULT_URL_PREFIX = "http://localhost:5000/pki"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"

__all__ = [
    "DemoPKI",
    "create_demo_pki",
    "load_demo_pki",
    "new_key_file",
    "ca_cert_spec",
    "leaf_cert_spec",
    "service_specs",
    "pem_certificate",
    "WholeSecondAnimator",
]


def new_key_file(path: Path, bits: int = 2048) -> None:
    """Write a fresh unencrypted RSA key (PKCS#8 PEM, mode 0600) to ``path`` unless the file already exists."""
    if path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _when(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime(_DATE_FORMAT)


def _key_usage(*usages: str) -> dict:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(usages)}}


def ca_cert_spec(issuer: str, valid_from: datetime, valid_to: datetime, crl_repo: str | None = None,
                 path_len: int | None = None) -> dict:
    """Certomancer spec of a CA certificate; ``crl_repo`` names the issuer's CRL repository (none for a root)."""
    basic = {"ca": True} if path_len is None else {"ca": True, "path-len-constraint": path_len}
    exts = [{"id": "basic_constraints", "critical": True, "value": basic},
            _key_usage("digital_signature", "key_cert_sign", "crl_sign")]
    if crl_repo:
        exts.append({"id": "crl_distribution_points",
                     "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [crl_repo]}}})
    return {"issuer": issuer, "validity": {"valid-from": _when(valid_from), "valid-to": _when(valid_to)},
            "extensions": exts}


def leaf_cert_spec(issuer: str, valid_from: datetime, valid_to: datetime, *, non_repudiation: bool = True,
                   ocsp: str | None = None, crl_repo: str | None = None, revoked_since: datetime | None = None,
                   extended_key_usage: list[str] | None = None, ocsp_no_check: bool = False) -> dict:
    """Certomancer spec of an end-entity certificate.

    A signer certificate gets digitalSignature (+ nonRepudiation unless told otherwise) and, when ``ocsp`` or
    ``crl_repo`` name a service of the issuer, the AIA/CRL distribution point pointing at it, so that
    validators (pyHanko, poppler) can fetch revocation data from the running responder.
    """
    usages = ["digital_signature", "non_repudiation"] if non_repudiation else ["digital_signature"]
    exts: list[dict] = [_key_usage(*usages)]
    if extended_key_usage:
        exts.append({"id": "extended_key_usage", "critical": True, "value": extended_key_usage})
    if ocsp_no_check:
        exts.append({"id": "ocsp_no_check"})
    if crl_repo:
        exts.append({"id": "crl_distribution_points",
                     "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [crl_repo]}}})
    if ocsp:
        exts.append({"id": "authority_information_access",
                     "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [ocsp]}}})
    spec = {"issuer": issuer, "validity": {"valid-from": _when(valid_from), "valid-to": _when(valid_to)},
            "extensions": exts}
    if revoked_since is not None:
        spec["revocation"] = {"revoked-since": _when(revoked_since), "reason": "key_compromise"}
    return spec


def service_specs(root: str = "root", interm: str = "interm", ocsp: str = "ocsp", tsa: str = "tsa") -> dict:
    """Certomancer services: OCSP for the intermediate, CRLs of both CAs, certificate repositories, one TSA."""
    return {
        "ocsp": {interm: {"for-issuer": interm, "responder-cert": ocsp, "signing-key": ocsp}},
        "crl-repo": {root: {"for-issuer": root, "signing-key": root, "simulated-update-schedule": "P90D"},
                     interm: {"for-issuer": interm, "signing-key": interm, "simulated-update-schedule": "P7D"}},
        "cert-repo": {root: {"for-issuer": root, "publish-issued-certs": True},
                      interm: {"for-issuer": interm, "publish-issued-certs": True}},
        "time-stamping": {tsa: {"signing-key": tsa, "signing-cert": tsa}},
    }


class WholeSecondAnimator(Animator):
    """Certomancer's Animator (OCSP, CRLs, certificates, TSA over HTTP), answering with times in whole seconds.

    Certomancer stamps OCSP responses with the current time including microseconds, which DER writes as a
    GeneralizedTime with a fraction ("20261122025108.068927Z"). NSS (and so poppler's pdfsig, Firefox,
    LibreOffice) rejects such a response as malformed and reports the signer's certificate as "Unknown issue
    with Certificate or corrupted data"; real responders answer in whole seconds, as RFC 5280 wants for
    certificate times. pyHanko accepts either.
    """

    def at_time(self, request):
        return super().at_time(request).replace(microsecond=0)


def ocsp_get_as_post(app):
    """Let ``app`` (certomancer's Animator, which answers OCSP only by POST) take RFC 6960 GET requests too.

    NSS, and therefore poppler's pdfsig, asks OCSP responders by GET first and gives up on a 404.
    """
    import base64
    import io
    from urllib.parse import unquote

    def wrapped(environ, start_response):
        parts = environ.get("PATH_INFO", "").split("/")
        if environ["REQUEST_METHOD"] == "GET" and len(parts) >= 5 and parts[2] == "ocsp":
            # the server already percent-decoded PATH_INFO, so the base64 '/' characters split the path
            try:
                der = base64.b64decode(unquote("/".join(parts[4:])))
            except ValueError:
                der = b""
            environ = dict(environ, REQUEST_METHOD="POST", PATH_INFO="/".join(parts[:4]),
                           CONTENT_LENGTH=str(len(der)), CONTENT_TYPE="application/ocsp-request")
            environ["wsgi.input"] = io.BytesIO(der)
        return app(environ, start_response)

    return wrapped


def pem_certificate(cert: x509.Certificate) -> bytes:
    return pem.armor("CERTIFICATE", cert.dump())


@dataclass
class DemoPKI:
    """A demo PKI on disk. Labels: ``user-<username>`` and ``agency-<code>`` for the signing certificates."""

    pki_dir: Path
    public_dir: Path
    external_url_prefix: str = DEFAULT_URL_PREFIX

    @cached_property
    def arch(self) -> PKIArchitecture:
        """The certomancer architecture (certificates, CRLs, OCSP and TSA on demand)."""
        config = yaml.safe_load((self.pki_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        cfg = CertomancerConfig(config, key_search_dir=str(self.pki_dir), external_url_prefix=self.external_url_prefix)
        return cfg.get_pki_arch(ARCH)

    @property
    def root_cert_path(self) -> Path:
        return self.pki_dir / "root-ca.pem"

    def user_pkcs12_path(self, username: str) -> Path:
        return self.pki_dir / "users" / f"{username}.p12"

    def agency_pkcs12_path(self, code: str) -> Path:
        return self.pki_dir / "agencies" / f"{code}.p12"

    def certificate(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(label)

    def timestamper(self):
        """An in-process pyHanko timestamper signing with the demo TSA key (no HTTP needed for the demo)."""
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        arch = self.arch
        return DummyTimeStamper(tsa_cert=arch.get_cert("tsa"), tsa_key=arch.key_set.get_private_key("tsa"),
                                certs_to_embed=[arch.get_cert("root")])

    def wsgi_app(self):
        """Certomancer's Animator answering OCSP, CRL, certificate and TSA requests of this PKI.

        Mount it at the path of ``external_url_prefix`` (e.g. with werkzeug's DispatcherMiddleware under
        ``/pki``) so that the URLs written into the certificates resolve. OCSP is answered by GET as well as by
        POST, in whole seconds, so that NSS-based validators (pdfsig, Firefox, LibreOffice) accept the answers.
        """
        return ocsp_get_as_post(WholeSecondAnimator(AnimatorArchStore({ARCH: self.arch}), with_web_ui=False))


def load_demo_pki(pki_dir: Path, public_dir: Path, external_url_prefix: str | None = None) -> DemoPKI:
    """Open an existing demo PKI; the URL prefix stored at creation is used unless another one is given."""
    config = yaml.safe_load((Path(pki_dir) / CONFIG_FILE).read_text(encoding="utf-8"))
    prefix = external_url_prefix or config.get("external-url-prefix", DEFAULT_URL_PREFIX)
    return DemoPKI(Path(pki_dir), Path(public_dir), prefix)


def _base_config(pki_dir: Path, now: datetime, prefix: str) -> dict:
    start = now - timedelta(days=1)
    entity = {"country-name": "VN", "organization-name": "eoffice demo"}
    return {
        "external-url-prefix": prefix,
        "keysets": {ARCH: {"path-prefix": "keys", "keys": {}}},
        "pki-architectures": {ARCH: {
            "entity-defaults": {"country-name": "VN"},
            "entities": {
                "root": {**entity, "common-name": "eoffice Demo Root CA"},
                "interm": {**entity, "common-name": "eoffice Demo Agency CA"},
                "ocsp": {**entity, "common-name": "eoffice Demo OCSP Responder"},
                "tsa": {**entity, "common-name": "eoffice Demo Timestamp Authority"},
            },
            "certs": {
                "root": {**ca_cert_spec("root", start, now + timedelta(days=365 * 20)), "subject": "root"},
                "interm": ca_cert_spec("root", start, now + timedelta(days=365 * 10), crl_repo="root", path_len=0),
                "ocsp": leaf_cert_spec("interm", start, now + timedelta(days=365 * 10), non_repudiation=False,
                                       extended_key_usage=["ocsp_signing"], ocsp_no_check=True),
                "tsa": leaf_cert_spec("root", start, now + timedelta(days=365 * 10), non_repudiation=False,
                                      extended_key_usage=["time_stamping"], crl_repo="root"),
            },
            "services": service_specs(),
        }},
    }


def _add_signer(config: dict, label: str, name: dict, now: datetime) -> bool:
    arch = config["pki-architectures"][ARCH]
    if label in arch["certs"]:
        return False
    arch["entities"][label] = name
    arch["certs"][label] = leaf_cert_spec("interm", now - timedelta(days=1), now + timedelta(days=365 * 3),
                                          ocsp="interm", crl_repo="interm")
    return True


def create_demo_pki(pki_dir: Path, public_dir: Path, agencies: list[dict], users: list[dict], password: str,
                    external_url_prefix: str = DEFAULT_URL_PREFIX) -> DemoPKI:
    """Create (or complete) the demo PKI and return it.

    ``agencies``: ``[{"code": "thanhtri", "name": "UBND huyện Thạnh Trị"}]``;
    ``users``: ``[{"username": "thanhtri-leader", "full_name": "Nguyễn Văn Đức", "agency": "thanhtri"}]``.

    Writes ``pki_dir/root-ca.pem``, ``pki_dir/users/<username>.p12`` and ``pki_dir/agencies/<code>.p12``
    (key + certificate + chain, encrypted with ``password``, which is also the signing PIN), and only public
    certificates to ``public_dir`` (``root-ca.pem``, ``agency-ca.pem``, ``tsa.pem``, ``users/``, ``agencies/``).
    Existing keys, certificates and PKCS#12 files are never regenerated; a user or agency not yet present is added.
    """
    pki_dir, public_dir = Path(pki_dir), Path(public_dir)
    pki_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(pki_dir, 0o700)
    config_path = pki_dir / CONFIG_FILE
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if config_path.exists():
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    else:
        config = _base_config(pki_dir, now, external_url_prefix)
    agency_names = {a["code"]: a["name"] for a in agencies}
    changed = not config_path.exists()
    for agency in agencies:
        name = {"common-name": agency["name"], "organization-name": agency["name"]}
        changed |= _add_signer(config, f"agency-{agency['code']}", name, now)
    for user in users:
        org = agency_names.get(user["agency"], user["agency"])
        name = {"common-name": user["full_name"], "organization-name": org}
        changed |= _add_signer(config, f"user-{user['username']}", name, now)
    keys = config["keysets"][ARCH]["keys"]
    for label in config["pki-architectures"][ARCH]["certs"]:
        keys.setdefault(label, {"path": f"{label}.key.pem"})
        new_key_file(pki_dir / "keys" / keys[label]["path"])
    if changed:
        tmp = config_path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        tmp.replace(config_path)

    demo = load_demo_pki(pki_dir, public_dir)
    _write_outputs(demo, agencies, users, password)
    return demo


def _write_if_missing(path: Path, data: bytes, mode: int = 0o644) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _write_outputs(demo: DemoPKI, agencies: list[dict], users: list[dict], password: str) -> None:
    arch = demo.arch
    root_pem = pem_certificate(arch.get_cert("root"))
    _write_if_missing(demo.root_cert_path, root_pem)
    _write_if_missing(demo.public_dir / "root-ca.pem", root_pem)
    _write_if_missing(demo.public_dir / "agency-ca.pem", pem_certificate(arch.get_cert("interm")))
    _write_if_missing(demo.public_dir / "tsa.pem", pem_certificate(arch.get_cert("tsa")))
    targets = [(f"agency-{a['code']}", demo.agency_pkcs12_path(a["code"]), "agencies", a["code"]) for a in agencies]
    targets += [(f"user-{u['username']}", demo.user_pkcs12_path(u["username"]), "users", u["username"])
                for u in users]
    for label, p12_path, folder, name in targets:
        if not p12_path.exists():
            data = arch.package_pkcs12(label, password=password.encode("utf-8"))
            _write_if_missing(p12_path, data, mode=0o600)
        _write_if_missing(demo.public_dir / folder / f"{name}.pem", pem_certificate(arch.get_cert(label)))
