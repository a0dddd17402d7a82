"""Signing for users of eoffice: stored credentials unlocked by PIN, the agency seal, the trust store, stamp
images, and verification with the agency's trust anchors. Services flush; the caller's edge commits."""

from __future__ import annotations

import hashlib
import unicodedata
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.core import signals
from eoffice.core.errors import Conflict, Forbidden, Locked, NotFound, ValidationFailed
from eoffice.core.permissions import ADMIN, CLERK
from eoffice.core.secretbox import seal, unseal
from eoffice.core.storage import get_store
from eoffice.core.time import format_datetime, utcnow
from eoffice.extensions import db
from eoffice.signing.credentials import CredentialError, Pkcs11Credential, Pkcs12Credential, WrongPin
from eoffice.signing.trust import audience_roots
# Verification is part of this façade; its implementation lives beside it.
from eoffice.signing.verification import (  # noqa: F401
    refuse_unverifiable, request_verification, stored_report, verify_data, verify_stored)
from eoffice.signing.models import PKCS11, PKCS12, REMOTE, SEAL_IMAGE, SIGNATURE_IMAGE, SigningCredential, StampImage, TrustAnchor


class PinRefused(ValidationFailed):
    status, code = 403, "wrong_pin"


# -- credentials ------------------------------------------------------------------------------------------------

def _describe_certificate(cert: asn1_x509.Certificate) -> dict:
    return {"subject": cert.subject.human_friendly[:300], "issuer": cert.issuer.human_friendly[:300],
            "serial": format(cert.serial_number, "x")[:80], "not_after": cert.not_valid_after,
            "certificate_pem": asn1_pem.armor("CERTIFICATE", cert.dump()).decode()}


class NameMismatch(ValidationFailed):
    status, code = 409, "name_mismatch"


def import_pkcs12(agency, data: bytes, pin: str, *, user=None, label: str = "", actor=None,
                  confirm_name: bool = False) -> SigningCredential:
    """Store a PKCS#12 for `user` (or as the agency seal when `user` is None) after checking that `pin` opens it,
    that its certificate is valid now and made for signing (digitalSignature or nonRepudiation), and, for a
    personal key, that it names the user (full name, NFC, case and spacing ignored).

    A name that differs is refused (audited, 409) unless an administrator of the agency confirms it
    (`confirm_name` from anyone else counts for nothing); the confirmed import is audited as such.
    The file stays encrypted with the PIN and is sealed again with the instance key; the PIN is not stored.
    """
    try:
        signer = Pkcs12Credential(data).unlock(pin)
    except WrongPin:
        raise ValidationFailed(_("The PIN does not open this PKCS#12 file."), code="wrong_pin") from None
    except (CredentialError, ValueError) as exc:
        raise ValidationFailed(_("This is not a usable PKCS#12 file: %(e)s", e=str(exc)[:200])) from None
    cert = signer.signing_cert
    _check_signing_certificate(cert)
    details = {}
    if user is not None and _normal_name(_common_name(cert)) != _normal_name(user.full_name):
        details = {"user_id": user.id, "certificate_name": _common_name(cert)[:200], "full_name": user.full_name,
                   "serial": format(cert.serial_number, "x")[:80]}
        confirmed = (confirm_name and actor is not None and actor.has_role(ADMIN)
                     and actor.agency_id == agency.id)
        if not confirmed:
            signals.credential_changed.send(user, actor=actor, action="import_refused", details=details)
            raise NameMismatch(_("The certificate is issued to \"%(cn)s\", not to %(name)s. Only an administrator "
                                 "can confirm that this key belongs to this user.",
                                 cn=details["certificate_name"], name=user.full_name),
                               details={"certificate_name": details["certificate_name"]}, keep_changes=True)
        details["name_confirmed_by_admin"] = True
    _deactivate_previous(agency.id, user)
    credential = SigningCredential(agency_id=agency.id, user_id=getattr(user, "id", None), kind=PKCS12,
                                   label=label or _common_name(cert)[:100],
                                   pkcs12_sealed=seal(data), **_describe_certificate(cert))
    db.session.add(credential)
    db.session.flush()
    signals.credential_changed.send(credential, actor=actor, action="import", details=details)
    return credential


def _common_name(cert: asn1_x509.Certificate) -> str:
    name = cert.subject.native.get("common_name", "")
    return " ".join(name) if isinstance(name, list) else str(name or "")


def _normal_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _check_signing_certificate(cert: asn1_x509.Certificate) -> None:
    """Refuse a certificate that is not valid at this moment or whose key usage does not allow signing."""
    now = utcnow()
    if cert.not_valid_before > now:
        raise ValidationFailed(_("The certificate is not valid yet (valid from %(d)s).",
                                 d=format_datetime(cert.not_valid_before)), code="certificate_not_yet_valid")
    if cert.not_valid_after < now:
        raise ValidationFailed(_("The certificate expired on %(d)s.", d=format_datetime(cert.not_valid_after)),
                               code="certificate_expired")
    usage = cert.key_usage_value.native if cert.key_usage_value is not None else set()
    if not {"digital_signature", "non_repudiation"} & set(usage):
        raise ValidationFailed(_("The certificate is not made for signing (its key usage has neither "
                                 "digitalSignature nor nonRepudiation)."), code="certificate_not_for_signing")


def register_pkcs11(agency, *, module: str, key_label: str, token: str = "", slot: int | None = None,
                    certificate_pem: str = "", user=None, label: str = "", actor=None) -> SigningCredential:
    """Record a key on a PKCS#11 token or HSM; the PIN is asked at each signing, by the token itself."""
    if not Path(module).is_file():
        raise ValidationFailed(_("The PKCS#11 module was not found on the server."), details={"module": module})
    _deactivate_previous(agency.id, user)
    credential = SigningCredential(agency_id=agency.id, user_id=getattr(user, "id", None), kind=PKCS11,
                                   label=label or key_label, pkcs11_module=module, pkcs11_token=token,
                                   pkcs11_slot=slot, pkcs11_key_label=key_label, certificate_pem=certificate_pem)
    db.session.add(credential)
    db.session.flush()
    signals.credential_changed.send(credential, actor=actor, action="register")
    return credential


def register_remote(agency, *, url: str, key_id: str, token: str = "", user=None, label: str = "",
                    actor=None) -> SigningCredential:
    """Record a key held by a remote signing service; the service is asked for its certificate chain now, so a
    wrong address, key or token is refused here rather than at the first signature.

    Only an address under REMOTE_SIGNING_ALLOWED_URLS is ever called (checked before any request). What the
    service answered goes to the server log, never to the caller: the caller gets a plain refusal.
    """
    from eoffice.signing.remote import HttpRemoteSigningService, RemoteSigningError

    if not remote_url_allowed(url):
        raise ValidationFailed(_("This signing service address is not allowed on this server."),
                               code="remote_url_not_allowed", details={"fields": ["url"]})
    try:
        chain = HttpRemoteSigningService(url, key_id, token=token or None, timeout=15).certificate_chain()
    except RemoteSigningError as exc:
        current_app.logger.warning("remote signing service %s refused key %r: %s", url, key_id, exc)
        raise ValidationFailed(_("The signing service did not accept this key. The administrator can find the "
                                 "reason in the server log."), code="remote_refused") from None
    _deactivate_previous(agency.id, user)
    credential = SigningCredential(agency_id=agency.id, user_id=getattr(user, "id", None), kind=REMOTE,
                                   label=label or key_id, remote_url=url, remote_key_id=key_id,
                                   remote_token_sealed=seal(token.encode()) if token else None,
                                   **_describe_certificate(chain[0]))
    db.session.add(credential)
    db.session.flush()
    signals.credential_changed.send(credential, actor=actor, action="register",
                                    details={"remote_url": url, "key_id": key_id[:100]})
    return credential


def remote_url_allowed(url: str) -> bool:
    """Whether `url` lies under one of the REMOTE_SIGNING_ALLOWED_URLS prefixes: same scheme and host:port, and
    a path equal to the prefix's or below it (``/api`` allows ``/api/v1``, not ``/api-other``). No user info,
    query or fragment: the service's paths are appended to the address."""
    try:
        target = urlsplit(url)
        target.port  # noqa: B018 - raises ValueError on a malformed port
    except (ValueError, TypeError, AttributeError):
        return False
    if (target.scheme not in ("http", "https") or not target.hostname or "@" in target.netloc
            or target.query or target.fragment):
        return False
    if any(segment in (".", "..") for segment in unquote(target.path).split("/")):
        return False  # /api/../admin would leave the prefix once the service resolves it
    for prefix in current_app.config["REMOTE_SIGNING_ALLOWED_URLS"]:
        allowed = urlsplit(prefix.strip())
        if (allowed.scheme, allowed.netloc.lower()) != (target.scheme, target.netloc.lower()):
            continue
        base = allowed.path.rstrip("/")
        if target.path.rstrip("/") == base or target.path.startswith(base + "/"):
            return True
    return False


def remote_service(credential: SigningCredential):
    from eoffice.signing.remote import HttpRemoteSigningService

    token = unseal(credential.remote_token_sealed).decode() if credential.remote_token_sealed else None
    return HttpRemoteSigningService(credential.remote_url, credential.remote_key_id, token=token)


def _deactivate_previous(agency_id: int, user) -> None:
    for old in db.session.scalars(select(SigningCredential).where(
            SigningCredential.agency_id == agency_id, SigningCredential.active.is_(True),
            SigningCredential.user_id == getattr(user, "id", None) if user is not None
            else SigningCredential.user_id.is_(None))):
        old.active = False


def active_credential(agency_id: int, user=None) -> SigningCredential:
    """The user's active credential, or the agency seal credential when `user` is None."""
    owner = SigningCredential.user_id == user.id if user is not None else SigningCredential.user_id.is_(None)
    credential = db.session.scalar(select(SigningCredential).where(
        SigningCredential.agency_id == agency_id, owner, SigningCredential.active.is_(True)))
    if credential is None:
        raise NotFound(_("No signing key is set up for you.") if user is not None
                       else _("The agency has no seal key."), code="no_credential")
    return credential


def can_use(actor, credential: SigningCredential) -> bool:
    """A user signs with their own key; the agency seal key belongs to the agency's clerks."""
    if credential.agency_id != actor.agency_id or not credential.active:
        return False
    return credential.user_id == actor.id if credential.user_id else actor.has_role(CLERK)


@contextmanager
def unlocked(credential: SigningCredential, pin: str, *, actor):
    """Unlock `credential` with `pin` for the block and yield a pyHanko signer.

    A wrong PIN is counted on the credential and locks it after PIN_MAX_FAILURES; the count survives the failed
    request (the error asks the request to keep its changes). Using someone else's key is refused with 403.
    """
    if not can_use(actor, credential):
        raise Forbidden(_("You cannot sign with this key."))
    config = current_app.config
    now = utcnow()
    if credential.locked_until and credential.locked_until > now:
        raise Locked(_("The signing key is locked after too many wrong PINs. Try again after %(m)d minutes.",
                       m=config["PIN_LOCKOUT_MINUTES"]), code="pin_locked")
    try:
        with _credential_object(credential).open(pin) as signer:
            yield signer
    except WrongPin:
        # Counted on the row as it is now, locked, so that wrong PINs tried at the same moment all count (the
        # caller may have closed its transaction for the signing, and its copy of the row may be old).
        db.session.refresh(credential, with_for_update=True)
        credential.failed_pins += 1
        left = config["PIN_MAX_FAILURES"] - credential.failed_pins
        if left <= 0:
            credential.locked_until = now + timedelta(minutes=config["PIN_LOCKOUT_MINUTES"])
            credential.failed_pins = 0
        db.session.flush()
        signals.pin_failed.send(credential, actor=actor, locked=left <= 0)
        if left <= 0:
            raise Locked(_("Wrong PIN: the signing key is locked for %(m)d minutes.",
                           m=config["PIN_LOCKOUT_MINUTES"]), code="pin_locked", keep_changes=True) from None
        raise PinRefused(_("Wrong PIN. %(n)d attempts left.", n=left), details={"attempts_left": left},
                         keep_changes=True) from None
    if credential.failed_pins:
        credential.failed_pins = 0


def _credential_object(credential: SigningCredential):
    if credential.kind == PKCS12:
        return Pkcs12Credential(unseal(credential.pkcs12_sealed))
    if credential.kind == PKCS11:
        return Pkcs11Credential(credential.pkcs11_module, credential.pkcs11_key_label,
                                slot=credential.pkcs11_slot, token_label=credential.pkcs11_token or None)
    raise Conflict(_("This key is used through its remote signing service."))


# -- trust store ------------------------------------------------------------------------------------------------

def parse_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    """Certificates from PEM (one or several) or DER bytes; ValidationFailed when there is none."""
    try:
        if asn1_pem.detect(data):
            return [asn1_x509.Certificate.load(der) for _type, _headers, der in asn1_pem.unarmor(data, multiple=True)]
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018  (parses lazily; force it so a broken file fails here)
        return [cert]
    except Exception:
        raise ValidationFailed(_("The file is not an X.509 certificate (PEM or DER).")) from None


def add_trust_anchor(agency, data: bytes, *, actor=None) -> list[TrustAnchor]:
    added = []
    for cert in parse_certificates(data):
        digest = hashlib.sha256(cert.dump()).hexdigest()
        if db.session.scalar(select(TrustAnchor.id).where(TrustAnchor.agency_id == agency.id,
                                                          TrustAnchor.sha256 == digest)):
            continue
        if not cert.ca:
            raise ValidationFailed(_("Only CA certificates can be trust anchors."))
        described = _describe_certificate(cert)
        anchor = TrustAnchor(agency_id=agency.id, sha256=digest, subject=described["subject"],
                             certificate_pem=described["certificate_pem"], not_after=described["not_after"])
        db.session.add(anchor)
        db.session.flush()
        signals.trust_changed.send(anchor, actor=actor, action="add")
        added.append(anchor)
    return added


def remove_trust_anchor(anchor: TrustAnchor, *, actor=None) -> None:
    signals.trust_changed.send(anchor, actor=actor, action="remove")
    db.session.delete(anchor)
    db.session.flush()


def trust_roots(agency_id: int | None) -> list[asn1_x509.Certificate]:
    """The anchors of an agency's users, or of the public when `agency_id` is None (see `signing.trust`)."""
    return audience_roots(agency_id)


def pki_path() -> Path:
    return Path(current_app.config["PKI_PATH"] or Path(current_app.instance_path) / "pki")


# -- stamp images -----------------------------------------------------------------------------------------------

def set_stamp_image(agency, kind: str, data: bytes, *, user=None, actor=None) -> StampImage:
    from PIL import Image
    import io

    from eoffice.signing.images import check_stamp_image

    if kind not in (SIGNATURE_IMAGE, SEAL_IMAGE):
        raise ValidationFailed(_("Unknown image kind."))
    try:
        png = check_stamp_image(data)
    except ValueError as exc:
        raise ValidationFailed(_("The image is not usable: %(e)s", e=str(exc))) from None
    width, height = Image.open(io.BytesIO(png)).size
    digest = get_store().put(png)
    image = db.session.scalar(select(StampImage).where(
        StampImage.agency_id == agency.id, StampImage.kind == kind,
        StampImage.user_id == user.id if user is not None else StampImage.user_id.is_(None)))
    if image is None:
        image = StampImage(agency_id=agency.id, user_id=getattr(user, "id", None), kind=kind)
        db.session.add(image)
    image.sha256, image.width, image.height = digest, width, height
    db.session.flush()
    signals.credential_changed.send(image, actor=actor, action=f"image.{kind}")
    return image


def stamp_png(agency_id: int, kind: str, user=None) -> bytes | None:
    image = db.session.scalar(select(StampImage).where(
        StampImage.agency_id == agency_id, StampImage.kind == kind,
        StampImage.user_id == user.id if user is not None else StampImage.user_id.is_(None)))
    return get_store().read(image.sha256) if image else None


# -- PDF input --------------------------------------------------------------------------------------------------

#: What pyHanko raises, besides its own PdfError, on a file it cannot parse (it has no single exception type).
PDF_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, AssertionError)


def unreadable_pdf(name: str | None = None, *, document: int | None = None) -> ValidationFailed:
    """The 422 for a file that is not a readable PDF (the parser's words are not repeated to the client)."""
    if name:
        message = _("%(name)s could not be read as a PDF.", name=name)
    elif document:
        message = _("Document %(n)d could not be read as a PDF.", n=document)
    else:
        message = _("The file could not be read as a PDF.")
    details = {k: v for k, v in (("file", name), ("document", document)) if v}
    return ValidationFailed(message, code="unreadable_pdf", details=details)


def check_readable_pdf(data: bytes, name: str | None = None, *, document: int | None = None) -> int:
    """The page count of `data`, read the way signing reads it; `unreadable_pdf` (422) when pyHanko cannot."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        pages = reader.root["/Pages"]
        count = int(pages["/Count"])
        reader.find_page_for_modification(0)  # the page tree resolves down to a first page
        if count < 1:
            raise ValueError("no pages")
        return count
    except Exception:  # noqa: BLE001 - untrusted input: any failure of the parser is "not a readable PDF"
        raise unreadable_pdf(name, document=document) from None
