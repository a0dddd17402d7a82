"""Validation contexts: trust anchors, embedded revocation data, key-usage policy.

A pyHanko ``ValidationContext`` collects state while it validates (certificates met in the document, fetched
revocation data, soft failures), so every signature gets a fresh one: sharing it between documents would let one
file's certificates and responses leak into another file's verdict. What is safe to share is the immutable part,
the trust manager built from the configured anchors, and that is what is cached here.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.errors import RevokedError
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.validate_crl import verify_crl
from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response
from pyhanko_certvalidator.util import get_declared_revinfo

logger = logging.getLogger(__name__)

#: A signing certificate must allow one of these (RFC 5280 keyUsage bits). PAdES/eIDAS signing certificates carry
#: nonRepudiation (contentCommitment); many national CAs, the Vietnamese ones included, also issue certificates
#: with digitalSignature only, and PDF readers accept both. A certificate that asserts keyUsage without either
#: (e.g. keyEncipherment only) was not issued for signing and fails. A certificate without a keyUsage extension is
#: unrestricted by RFC 5280 §4.2.1.3 and passes this check (self-signed test certificates are commonly like that;
#: trust still has to come from the configured anchors).
SIGNING_KEY_USAGES = frozenset({'non_repudiation', 'digital_signature'})


def key_usage_problem(cert: x509.Certificate) -> str | None:
    """Return why ``cert`` may not sign documents under the key-usage policy, or None when it may."""
    ku = cert.key_usage_value
    if ku is None:
        return None
    asserted = set(ku.native)
    if asserted & SIGNING_KEY_USAGES:
        return None
    shown = ', '.join(sorted(asserted)) or 'none'
    return f'signing certificate key usage ({shown}) allows neither nonRepudiation nor digitalSignature'


@functools.lru_cache(maxsize=32)
def _trust_manager(root_ders: tuple[bytes, ...]) -> SimpleTrustManager:
    # Parsing anchors and hashing their keys is a measurable part of a small verification; the manager is only
    # read during path building, so one instance per anchor set can serve every verification.
    roots = [x509.Certificate.load(der) for der in root_ders]
    return SimpleTrustManager.build(trust_roots=[CertTrustAnchor(r) for r in roots])


def trust_manager_for(trust_roots: Sequence[x509.Certificate]) -> SimpleTrustManager:
    """The (cached) trust manager for these anchors; order and duplicates do not matter."""
    ders = tuple(sorted({c.dump() for c in trust_roots}))
    return _trust_manager(ders)


@dataclass
class EmbeddedValidationData:
    """Certificates and revocation data carried by the document itself (DSS and Adobe-style archival)."""

    certs: list[x509.Certificate] = field(default_factory=list)
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    ocsps: list[asn1_ocsp.OCSPResponse] = field(default_factory=list)
    dss_present: bool = False
    dss_revision: int | None = None  #: 1-based revision that introduced the DSS, when it is an indirect object
    problems: list[str] = field(default_factory=list)

    def add_archival(self, signer_info) -> None:
        """Add the ``adbe-revocationInfoArchival`` signed attribute of a signature, when present."""
        try:
            archival = find_unique_cms_attribute(signer_info['signed_attrs'], 'adobe_revocation_info_archival')
        except Exception:  # absent, duplicated or unparseable: nothing usable
            return
        try:
            self.crls.extend(archival['crl'] or ())
            self.ocsps.extend(archival['ocsp'] or ())
        except Exception as exc:
            self.problems.append(f'unreadable revocation archival attribute: {exc}')


def read_embedded_validation_data(reader) -> EmbeddedValidationData:
    """Read the document security store; a damaged DSS is reported, not fatal (the signature may not need it)."""
    data = EmbeddedValidationData()
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return data
    except Exception as exc:
        data.problems.append(f'unreadable document security store: {exc}')
        return data
    data.dss_present = True
    try:
        ref = reader.root.raw_get('/DSS')
        data.dss_revision = reader.xrefs.get_introducing_revision(ref.reference) + 1
    except Exception:  # a direct DSS dictionary has no revision of its own
        pass
    try:
        data.certs.extend(dss.load_certs())
        # Parsed here rather than through DocumentSecurityStore.as_validation_context, which would build a
        # context on the operating system's trust list just to hand the objects over.
        for ref in dss.ocsps:
            raw = ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)
            data.ocsps.append(asn1_ocsp.OCSPResponse.load(raw))
        for ref in dss.crls:
            raw = ref.get_object().read_data(DecodePurpose.CRL)
            data.crls.append(asn1_crl.CertificateList.load(raw))
    except Exception as exc:
        data.problems.append(f'unreadable entry in document security store: {exc}')
    return data


def build_context(
    trust_roots: Sequence[x509.Certificate],
    *,
    moment: datetime | None,
    offline: bool,
    embedded: EmbeddedValidationData,
    extra_certs: Iterable[x509.Certificate] = (),
    retroactive_revinfo: bool = False,
) -> ValidationContext:
    """A fresh validation context for one signature.

    Offline, only the revocation data embedded in the document is used and nothing is fetched; revocation data
    is checked when present and its absence is tolerated ('soft-fail'), which the report shows as revocation
    'unknown'. Online, OCSP/CRL are fetched as the certificates declare them.
    """
    return ValidationContext(
        trust_manager=trust_manager_for(trust_roots),
        other_certs=list(embedded.certs) + list(extra_certs),
        crls=list(embedded.crls),
        ocsps=list(embedded.ocsps),
        moment=moment,
        allow_fetching=not offline,
        revocation_mode='soft-fail',
        retroactive_revinfo=retroactive_revinfo,
    )


async def revocation_status(status, cert: x509.Certificate, ctx: ValidationContext, *,
                            trust_roots: Sequence[x509.Certificate], embedded: EmbeddedValidationData
                            ) -> tuple[str, str | None]:
    """(good / revoked / unknown, source) for the signing certificate, as the revocation check concluded.

    The certificate validator runs in soft-fail mode and does not record which response it relied on, so the
    same routines it uses (``verify_ocsp_response``, then ``verify_crl``, in its order and only for the kinds of
    revocation data the certificate declares) are run again on the validated path, at the same validation time,
    once per origin of the data: fetched online (what ``ctx`` fetched during validation, no new fetch) and
    embedded in the file. 'good' needs one of them to conclude "not revoked"; data that merely exists, a failed
    fetch or an undecidable response is 'unknown' with no source, which is what soft-fail tolerated.
    """
    if status.revoked:
        return 'revoked', None
    path = status.validation_path
    if not status.trusted or path is None:
        return 'unknown', None
    has_crl, has_ocsp = get_declared_revinfo(cert)
    embedded_ocsp = {o.dump() for o in embedded.ocsps}
    embedded_crl = {c.dump() for c in embedded.crls}
    fetched_ocsps = [o for o in ctx.ocsps if o.dump() not in embedded_ocsp]
    fetched_crls = [c for c in ctx.crls if c.dump() not in embedded_crl]
    probes = []
    if has_ocsp:
        probes += [('online_ocsp', verify_ocsp_response, (), fetched_ocsps),
                   ('embedded_ocsp', verify_ocsp_response, (), list(embedded.ocsps))]
    if has_crl:
        probes += [('embedded_crl', verify_crl, list(embedded.crls), ()),
                   ('online_crl', verify_crl, fetched_crls, ())]
    for source, check, crls, ocsps in probes:
        if not crls and not ocsps:
            continue
        probe_ctx = ValidationContext(
            trust_manager=trust_manager_for(trust_roots), other_certs=list(embedded.certs), crls=list(crls),
            ocsps=list(ocsps), moment=ctx.moment, allow_fetching=False, revocation_mode='soft-fail',
            retroactive_revinfo=ctx.retroactive_revinfo,
        )
        try:
            await check(cert, path, probe_ctx)
        except RevokedError:
            return 'revoked', source
        except Exception as exc:  # no match, undecidable, unverifiable: this origin says nothing
            logger.debug('revocation probe %s: %s', source, exc)
            continue
        return 'good', source
    return 'unknown', None
