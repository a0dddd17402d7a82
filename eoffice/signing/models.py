from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.time import utcnow

PKCS12, PKCS11, REMOTE = "pkcs12", "pkcs11", "remote"
SIGNATURE_IMAGE, SEAL_IMAGE = "signature", "seal"


class SigningCredential(AgencyOwnedMixin, TimestampMixin, Base):
    """A signing key: a user's own, or the agency seal key (`user_id` empty), which the agency's clerks use."""

    __tablename__ = "signing_credential"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_((PKCS12, PKCS11, REMOTE)), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The owner; None for the agency seal credential.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: pkcs12 (stored here), pkcs11 (a token or HSM), remote (a signing service).
    kind: Mapped[str] = mapped_column(sa.String(10))
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    #: The PKCS#12 (itself encrypted with the owner's PIN), encrypted again with the instance key at rest.
    pkcs12_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: PKCS#11: module path, token label or slot, key label.
    pkcs11_module: Mapped[str] = mapped_column(sa.String(255), default="")
    pkcs11_token: Mapped[str] = mapped_column(sa.String(100), default="")
    pkcs11_slot: Mapped[int | None]
    pkcs11_key_label: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Remote signing service: base URL and key id; the access token is sealed like a PKCS#12.
    remote_url: Mapped[str] = mapped_column(sa.String(255), default="")
    remote_key_id: Mapped[str] = mapped_column(sa.String(100), default="")
    remote_token_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: The signing certificate (PEM), for display and to check the chain before signing.
    certificate_pem: Mapped[str] = mapped_column(sa.Text, default="")
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    issuer: Mapped[str] = mapped_column(sa.String(300), default="")
    serial: Mapped[str] = mapped_column(sa.String(80), default="")
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Wrong PINs since the last right one; the credential locks after too many.
    failed_pins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)

    user = relationship("User")


class TrustAnchor(AgencyOwnedMixin, TimestampMixin, Base):
    """A root certificate the agency's admin trusts for verifying signatures."""

    __tablename__ = "trust_anchor"
    __table_args__ = (sa.UniqueConstraint("agency_id", "sha256", name="uq_trust_anchor_agency_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    #: SHA-256 of the DER certificate.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StampImage(AgencyOwnedMixin, TimestampMixin, Base):
    """A user's handwritten-signature image or the agency's seal image (transparent PNG in the file store)."""

    __tablename__ = "stamp_image"
    __table_args__ = (sa.UniqueConstraint("agency_id", "user_id", "kind", name="uq_stamp_image_owner_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: SHA-256 of the PNG in the content-addressed store.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    width: Mapped[int]
    height: Mapped[int]


class StoredVerification(Base):
    """The verification report of one file under one trust set and one version of the verdict policy.

    Computed once (by a job after the file is stored, or on first need) outside any database transaction and
    read by every page and API call that shows the file's signatures, so the same file gets the same verdict
    everywhere and page views start no verification. Not agency-owned: the trust set is part of the key, and
    an agency's anchors give a trust key of their own.
    """

    __tablename__ = "stored_verification"
    __table_args__ = (sa.UniqueConstraint("file_sha256", "trust_key", "policy_version",
                                          name="uq_stored_verification_file_trust_policy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the verified file (the content-addressed store's name for it).
    file_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: `signing.trust.trust_key` of the anchors the file was verified against.
    trust_key: Mapped[str] = mapped_column(sa.String(64))
    #: `signing.verify.POLICY_VERSION` of the verdict; a new policy computes reports anew.
    policy_version: Mapped[int]
    #: The report's top-level verdict, for lists and filters.
    valid: Mapped[bool]
    signed: Mapped[bool]
    #: `VerificationReport.to_dict()` as JSON.
    report: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
