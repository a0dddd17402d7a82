"""The verification report: plain data, serialisable to the API's JSON shape.

`VerificationReport.to_dict()` is the body of ``POST /api/v1/signatures/verify`` and of
``signing verify --json`` (DESIGN.md, "Interfaces that must stay stable"). Keys listed there are always present;
the others are additions that clients may ignore.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# ETSI EN 319 102-1 main indications.
TOTAL_PASSED = 'TOTAL-PASSED'
INDETERMINATE = 'INDETERMINATE'
TOTAL_FAILED = 'TOTAL-FAILED'

# Flags: machine-readable notes that explain why a signature is not a plain pass, or what a reader should know.
FLAG_FORM_CHANGED = 'FORM_CHANGED_AFTER_SIGNING'
FLAG_ANNOTATIONS = 'ANNOTATIONS_ADDED_AFTER_SIGNING'
FLAG_MODIFIED = 'MODIFIED_AFTER_SIGNING'
FLAG_LATER_REVISIONS = 'LATER_REVISIONS'
FLAG_TOLERANT_PARSE = 'TOLERANT_PARSE'
FLAG_KEY_USAGE = 'KEY_USAGE_NOT_FOR_SIGNING'
FLAG_VALID_AT_TIMESTAMP = 'VALIDATED_AT_TIMESTAMP_TIME'
FLAG_SEED_VALUE = 'SEED_VALUE_VIOLATION'
FLAG_CONTENT_TIMESTAMP = 'CONTENT_TIMESTAMP_INVALID'
FLAG_SIG_FIELD_CHANGED = 'SIGNATURE_FIELD_CHANGED_AFTER_SIGNING'

# Where the revocation status came from (SignatureReport.revocation_source).
REVOCATION_SOURCES = ('embedded_ocsp', 'embedded_crl', 'online_ocsp', 'online_crl')

# Refusals of the whole file (top-level "error").
ERR_TOO_LARGE = 'file_too_large'
ERR_NOT_PDF = 'not_a_pdf'
ERR_UNREADABLE = 'unreadable_pdf'
ERR_TIMEOUT = 'verification_timeout'
ERR_RESOURCES = 'verification_out_of_memory'
ERR_CRASHED = 'verification_crashed'

KIND_SIGNATURE = 'signature'
KIND_DOC_TIMESTAMP = 'document_timestamp'


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class SignatureReport:
    """What the verifier concluded about one signature field (or document timestamp)."""

    field: str
    kind: str = KIND_SIGNATURE
    signer: str | None = None              #: subject common name of the signing certificate
    signer_organization: str | None = None
    issuer: str | None = None              #: issuer common name (or full DN when it has none)
    serial: str | None = None              #: certificate serial number, hexadecimal
    indication: str = INDETERMINATE
    sub_indication: str | None = None
    intact: bool = False                   #: the signed bytes hash to the signed digest
    crypto_valid: bool = False             #: the CMS signature value verifies with the signer's key
    trusted: bool = False                  #: chain to a configured trust anchor, valid at the reference time
    revocation: str = 'unknown'            #: good / revoked / unknown, as the revocation check concluded
    revocation_source: str | None = None   #: one of REVOCATION_SOURCES when a check concluded; else None
    coverage: str | None = None            #: pyHanko SignatureCoverageLevel name
    modification_level: str | None = None  #: pyHanko ModificationLevel name; None = could not be computed
    docmdp_ok: bool | None = None
    changed_fields: list[str] = field(default_factory=list)
    signing_time: datetime | None = None   #: time claimed by the signer (not proof)
    timestamp_time: datetime | None = None  #: time from a valid timestamp token
    level: str | None = None               #: PAdES baseline level, None for non-PAdES signatures
    sub_filter: str | None = None          #: /SubFilter of the signature dictionary
    revision: int | None = None            #: 1-based revision the signature covers
    total_revisions: int | None = None
    reason: str | None = None              #: /Reason of the signature dictionary, read from the signed revision
    location: str | None = None
    reasons: list[str] = field(default_factory=list)     #: English, most important first
    reasons_vi: list[str] = field(default_factory=list)  #: the same reasons in Vietnamese, in the same order
    flags: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True only for a plain pass: TOTAL-PASSED. Flagged states never reach TOTAL-PASSED."""
        return self.indication == TOTAL_PASSED

    def to_dict(self) -> dict:
        """The JSON shape of one signature (keys of DESIGN.md's stable interface always present)."""
        return {
            'field': self.field,
            'kind': self.kind,
            'signer': self.signer,
            'signer_organization': self.signer_organization,
            'issuer': self.issuer,
            'serial': self.serial,
            'valid': self.valid,
            'indication': self.indication,
            'sub_indication': self.sub_indication,
            'intact': self.intact,
            'crypto_valid': self.crypto_valid,
            'trusted': self.trusted,
            'revocation': self.revocation,
            'revocation_source': self.revocation_source,
            'coverage': self.coverage,
            'modification_level': self.modification_level,
            'docmdp_ok': self.docmdp_ok,
            'changed_fields': list(self.changed_fields),
            'signing_time': _iso(self.signing_time),
            'timestamp_time': _iso(self.timestamp_time),
            'level': self.level,
            'sub_filter': self.sub_filter,
            'revision': self.revision,
            'total_revisions': self.total_revisions,
            'reason': self.reason,
            'location': self.location,
            'reasons': list(self.reasons),
            'reasons_vi': list(self.reasons_vi),
            'flags': list(self.flags),
        }

    @classmethod
    def from_dict(cls, data: dict) -> 'SignatureReport':
        """Inverse of ``to_dict``; keys it does not know are ignored, missing ones take their defaults."""
        kwargs = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        for key in ('signing_time', 'timestamp_time'):
            if kwargs.get(key):
                kwargs[key] = datetime.fromisoformat(kwargs[key])
        return cls(**kwargs)


@dataclass
class VerificationReport:
    """The verdict on a whole file.

    ``valid`` is true only when the file carries at least one signature and every signature and document
    timestamp is TOTAL-PASSED; ``error`` is set when the file was refused or could not be read at all.
    """

    signatures: list[SignatureReport] = field(default_factory=list)
    signed: bool = False
    error_code: str | None = None
    error_message: str | None = None
    total_revisions: int | None = None

    @property
    def valid(self) -> bool:
        return (
            self.error_code is None and self.signed and bool(self.signatures)
            and all(s.valid for s in self.signatures)
        )

    @classmethod
    def refused(cls, code: str, message: str) -> 'VerificationReport':
        return cls(error_code=code, error_message=message)

    def to_dict(self) -> dict:
        out = {
            'valid': self.valid,
            'signed': self.signed,
            'total_revisions': self.total_revisions,
            'signatures': [s.to_dict() for s in self.signatures],
        }
        if self.error_code is not None:
            out['error'] = {'code': self.error_code, 'message': self.error_message or ''}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> 'VerificationReport':
        error = data.get('error') or {}
        return cls(
            signatures=[SignatureReport.from_dict(s) for s in data.get('signatures', ())],
            signed=bool(data.get('signed')),
            error_code=error.get('code'),
            error_message=error.get('message'),
            total_revisions=data.get('total_revisions'),
        )
