"""Test PKI for the signing and verification tests (stable fixture names: ``pki``, ``make_pdf``,
``local_pki_services``, ``pdfsig_nssdb``).

The PKI is a certomancer architecture whose OCSP responder, CRLs and TSA are served by certomancer's Animator
over real HTTP on 127.0.0.1 (werkzeug in a thread, ephemeral port), so pyHanko and poppler fetch revocation
data exactly as they would in production. Keys are generated once per session in a temporary directory.
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
from certomancer.integrations.animator import AnimatorArchStore
from certomancer.registry import CertomancerConfig
from certomancer.registry.issued.general import RevocationStatus

from eoffice.signing.credentials import Pkcs12Credential
from eoffice.signing.pki import (WholeSecondAnimator, ca_cert_spec, leaf_cert_spec, new_key_file, pem_certificate,
                                 service_specs)
from eoffice.signing.samples import make_sample_pdf

from .servers import ocsp_get_as_post, serve_wsgi

PASSWORD = "1234-Mật khẩu"  # non-ASCII on purpose: the PIN is encoded as UTF-8 everywhere
ARCH, ROGUE = "testing", "rogue"


@dataclass
class TestSigner:
    """A signer of the test PKI: ``cert``, ``pkcs12`` (encrypted with ``pki.password``), ``credential``
    (a :class:`Pkcs12Credential`), ``signer`` (an unlocked pyHanko signer), ``label`` in certomancer."""

    __test__ = False  # not a test class, despite the name
    label: str
    arch: object
    password: str

    @property
    def cert(self):
        return self.arch.get_cert(self.label)

    @property
    def pkcs12(self) -> bytes:
        return _pkcs12(self.arch, self.label, self.password)

    @property
    def credential(self) -> Pkcs12Credential:
        return Pkcs12Credential(self.pkcs12)

    @property
    def signer(self):
        return self.credential.unlock(self.password)


@cache
def _pkcs12(arch, label, password) -> bytes:
    return arch.package_pkcs12(label, password=password.encode("utf-8"))


@dataclass
class TestPKI:
    """The ``pki`` fixture.

    Certificates: ``root``, ``interm``, ``tsa_cert``; ``root_pem`` (path of the root in PEM).
    Signers (:class:`TestSigner`): ``good``, ``revoked`` (revoked one day before the session; move the date with
    :meth:`revoked_at`), ``expired`` (valid only in 2020), ``no_nonrepudiation`` (digitalSignature only),
    ``unknown_root`` (chains to a root that is not trusted), ``seal`` (an agency seal certificate).
    Services (real HTTP): ``tsa_url``, ``ocsp_url``, ``crl_url``; :meth:`timestamper` gives a pyHanko HTTP
    timestamper, :meth:`validation_context` a context trusting ``root`` (fetching allowed).
    """

    __test__ = False
    arch: object
    rogue_arch: object
    base_url: str
    root_pem: object
    password: str = PASSWORD
    session_start: datetime = None

    def __post_init__(self):
        make = lambda label, arch=None: TestSigner(label, arch or self.arch, self.password)  # noqa: E731
        self.good, self.revoked, self.expired = make("good"), make("revoked"), make("expired")
        self.no_nonrepudiation, self.seal = make("no-nonrepudiation"), make("seal")
        self.encipher_only = make("encipher-only")  # keyEncipherment only: not a signing certificate
        self.unknown_root = make("stranger", self.rogue_arch)
        self._revocation_overrides: dict[str, RevocationStatus | None] = {}
        original = self.arch.check_revocation_status

        def check(cert_label, at_time, is_ac=False):
            # certomancer computes OCSP answers and CRLs on demand from this method, so overriding it moves
            # a revocation date for the running services too
            if not is_ac and cert_label in self._revocation_overrides:
                revo = self._revocation_overrides[cert_label]
                return revo if revo is not None and revo.revoked_since <= at_time else None
            return original(cert_label, at_time, is_ac)

        self.arch.check_revocation_status = check

    root = property(lambda self: self.arch.get_cert("root"))
    interm = property(lambda self: self.arch.get_cert("interm"))
    tsa_cert = property(lambda self: self.arch.get_cert("tsa"))
    tsa_url = property(lambda self: f"{self.base_url}/{ARCH}/tsa/tsa")
    ocsp_url = property(lambda self: f"{self.base_url}/{ARCH}/ocsp/interm")
    crl_url = property(lambda self: f"{self.base_url}/{ARCH}/crls/interm/latest.crl")

    def timestamper(self, url: str | None = None):
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(url or self.tsa_url, timeout=5)

    def validation_context(self, **kwargs):
        from pyhanko_certvalidator import ValidationContext

        kwargs.setdefault("allow_fetching", True)
        return ValidationContext(trust_roots=[self.root], **kwargs)

    @contextmanager
    def revoked_at(self, signer: TestSigner, when: datetime | None):
        """Within the block, ``signer`` counts as revoked from ``when`` (None: not revoked) for OCSP and CRLs."""
        previous = self._revocation_overrides.get(signer.label, ...)
        self._revocation_overrides[signer.label] = (
            None if when is None else RevocationStatus.from_config({"revoked-since": when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                                                                    "reason": "key_compromise"}))
        try:
            yield signer
        finally:
            if previous is ...:
                self._revocation_overrides.pop(signer.label, None)
            else:
                self._revocation_overrides[signer.label] = previous


def _key_usage_only(spec: dict, *usages: str) -> dict:
    """`spec` with its key usage replaced by `usages` (e.g. a key for encryption only, not for signing)."""
    for ext in spec["extensions"]:
        if ext["id"] == "key_usage":
            ext["smart-value"]["params"] = list(usages)
    return spec


def _config(keys_dir, now: datetime) -> dict:
    start, far = datetime(2019, 1, 1, tzinfo=timezone.utc), now + timedelta(days=365 * 20)
    signer = dict(ocsp="interm", crl_repo="interm")
    names = {"root": "Test Root CA", "interm": "Test Agency CA", "ocsp": "Test OCSP", "tsa": "Test TSA",
             "good": "Nguyễn Văn Đức", "revoked": "Trần Thị Thu", "expired": "Lê Văn Cũ",
             "no-nonrepudiation": "Phạm Văn Thiếu", "seal": "UBND huyện Thạnh Trị", "encipher-only": "Võ Văn Mã"}
    certs = {
        "root": {**ca_cert_spec("root", start, far), "subject": "root"},
        "interm": ca_cert_spec("root", start, far, crl_repo="root", path_len=0),
        "ocsp": leaf_cert_spec("interm", start, far, non_repudiation=False, extended_key_usage=["ocsp_signing"],
                               ocsp_no_check=True),
        "tsa": leaf_cert_spec("root", start, far, non_repudiation=False, extended_key_usage=["time_stamping"],
                              crl_repo="root"),
        "good": leaf_cert_spec("interm", now - timedelta(days=30), now + timedelta(days=730), **signer),
        "revoked": leaf_cert_spec("interm", now - timedelta(days=30), now + timedelta(days=730),
                                  revoked_since=now - timedelta(days=1), **signer),
        "expired": leaf_cert_spec("interm", datetime(2020, 1, 1, tzinfo=timezone.utc),
                                  datetime(2021, 1, 1, tzinfo=timezone.utc), **signer),
        "no-nonrepudiation": leaf_cert_spec("interm", now - timedelta(days=30), now + timedelta(days=730),
                                            non_repudiation=False, **signer),
        "seal": leaf_cert_spec("interm", now - timedelta(days=30), now + timedelta(days=730), **signer),
        "encipher-only": _key_usage_only(leaf_cert_spec("interm", now - timedelta(days=30),
                                                        now + timedelta(days=730), **signer), "key_encipherment"),
    }
    rogue_certs = {
        "root": {**ca_cert_spec("root", start, far), "subject": "root"},
        "stranger": leaf_cert_spec("root", now - timedelta(days=30), now + timedelta(days=730)),
    }
    keys = {label: {"path": f"{label}.key.pem"} for label in certs}
    keys.update({f"rogue-{label}": {"path": f"rogue-{label}.key.pem"} for label in rogue_certs})
    for spec in keys.values():
        new_key_file(keys_dir / spec["path"])
    rogue_certs["root"]["subject-key"] = rogue_certs["root"]["authority-key"] = "rogue-root"
    rogue_certs["stranger"].update({"subject-key": "rogue-stranger", "authority-key": "rogue-root"})
    org = {"country-name": "VN", "organization-name": "UBND huyện Thạnh Trị"}
    return {
        "keysets": {"testing": {"path-prefix": str(keys_dir), "keys": keys}},
        "pki-architectures": {
            ARCH: {"keyset": "testing", "entities": {k: {**org, "common-name": v} for k, v in names.items()},
                   "certs": certs, "services": service_specs()},
            ROGUE: {"keyset": "testing",
                    "entities": {"root": {**org, "common-name": "Unknown Root CA"},
                                 "stranger": {**org, "common-name": "Người Lạ"}},
                    "certs": rogue_certs},
        },
    }


@pytest.fixture(scope="session")
def local_pki_services():
    """A live HTTP server on 127.0.0.1 (ephemeral port) for the test PKI's OCSP, CRL and TSA endpoints.

    ``.url`` is its base URL; ``.mount(wsgi_app)`` sets the application it serves.
    """
    with serve_wsgi() as server:
        yield server


@pytest.fixture(scope="session")
def pki(tmp_path_factory, local_pki_services) -> TestPKI:
    """The test PKI (see :class:`TestPKI`), its services already answering on ``local_pki_services``."""
    keys_dir = tmp_path_factory.mktemp("pki-keys")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    config = CertomancerConfig(_config(keys_dir, now), key_search_dir=str(keys_dir),
                               external_url_prefix=local_pki_services.url)
    arch, rogue = config.get_pki_arch(ARCH), config.get_pki_arch(ROGUE)
    root_pem = keys_dir / "root-ca.pem"
    root_pem.write_bytes(pem_certificate(arch.get_cert("root")))
    test_pki = TestPKI(arch, rogue, local_pki_services.url, root_pem, session_start=now)
    # whole-second times: NSS (pdfsig) rejects OCSP responses whose times carry microseconds
    local_pki_services.mount(ocsp_get_as_post(WholeSecondAnimator(AnimatorArchStore({ARCH: arch, ROGUE: rogue}),
                                                                  with_web_ui=False)))
    return test_pki


@pytest.fixture(scope="session")
def make_pdf():
    """``make_pdf(pages=1) -> bytes``: an A4 sample decision (Vietnamese text, Liberation Serif), cached."""
    return cache(lambda pages=1: make_sample_pdf(pages))


@pytest.fixture(scope="session")
def pdfsig_nssdb(tmp_path_factory, pki):
    """An NSS database trusting the test root, for ``pdfsig -nssdir``; skips if poppler or certutil is missing."""
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        pytest.skip("pdfsig (poppler-utils) or certutil (libnss3-tools) is not installed")
    db = tmp_path_factory.mktemp("nssdb")
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "eoffice-test-root", "-t", "CT,C,C",
                    "-i", str(pki.root_pem)], check=True)
    return db


@pytest.fixture(scope="session")
def token(tmp_path_factory, pki):
    """A SoftHSM2 token holding the ``good`` signer's key and certificate and the agency CA; its module path."""
    from .softhsm import make_token

    return make_token(tmp_path_factory, pki)
