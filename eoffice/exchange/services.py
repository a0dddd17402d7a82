"""Exchange services: the partner directory (create, update, deactivate, import, certificates) and the envelope
signature with the agency seal. Every change flushes and sends `partner_changed`; only the edges commit."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select

from eoffice.accounts.models import Agency
from eoffice.core import signals
from eoffice.core.errors import Conflict, NotFound, ValidationFailed
from eoffice.exchange import envelope
from eoffice.exchange.keys import exchange_certificate
from eoffice.exchange.models import ENDPOINT, LOCAL, PARTNER_KINDS, ExchangePartner, PartnerCertificate
from eoffice.extensions import db
from eoffice.signing import services as signing

#: Text fields of a partner that services accept, with the edXML name each holds.
TEXT_FIELDS = ("organ_id", "name", "organization_in_charge", "address", "email", "telephone", "fax", "website",
               "base_url")
#: What an import may hold per partner, in the order of a CSV header.
IMPORT_FIELDS = (*TEXT_FIELDS, "kind", "active", "certificates")
MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
#: Contact data a local partner takes from its agency when the admin gives none.
_FROM_AGENCY = {"name": "name", "organization_in_charge": "organization_in_charge", "address": "address",
                "email": "email", "telephone": "telephone", "fax": "fax", "website": "website"}


def _length(name: str) -> int:
    return ExchangePartner.__table__.c[name].type.length


def _clean(data: dict, *, partial: bool) -> tuple[dict, dict]:
    """The accepted values of `data` and, per field, what is wrong with the others."""
    values, errors = {}, {}
    for name in TEXT_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if raw is not None and not isinstance(raw, str):
            errors[name] = _("Must be text.")
            continue
        text = (raw or "").strip()
        if len(text) > _length(name):
            errors[name] = _("At most %(n)d characters.", n=_length(name))
        elif any(ord(ch) < 32 for ch in text):
            errors[name] = _("Must not contain control characters.")
        else:
            values[name] = text
    # An identifier code keeps whatever shape the national directory gives it; only blanks are refused inside.
    if "organ_id" in values and any(ch.isspace() for ch in values["organ_id"]):
        errors["organ_id"] = _("An identifier code has no spaces.")
    if values.get("email") and "@" not in values["email"]:
        errors["email"] = _("Not an e-mail address.")
    if values.get("base_url"):
        parts = urlsplit(values["base_url"])
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
            errors["base_url"] = _("The address of a deployment is an http(s) URL without query.")
        else:
            values["base_url"] = values["base_url"].rstrip("/")
    if "kind" in data:
        if data["kind"] in PARTNER_KINDS:
            values["kind"] = data["kind"]
        else:
            errors["kind"] = _("Either endpoint or local.")
    if "active" in data:
        if isinstance(data["active"], bool):
            values["active"] = data["active"]
        else:
            errors["active"] = _("Must be true or false.")
    if not partial:
        for name in ("organ_id", "name"):
            if not values.get(name) and name not in errors and not (name == "name" and values.get("kind") == LOCAL):
                errors[name] = _("Required.")
    return values, errors


def _refuse(errors: dict, message: str | None = None):
    raise ValidationFailed(message or _("Some fields are not valid."), details={"fields": errors})


def _apply(partner: ExchangePartner, values: dict, errors: dict) -> dict:
    """Set `values` on `partner`, resolving a local partner's agency; returns the changes as {field: [old, new]}."""
    kind = values.get("kind", partner.kind or ENDPOINT)
    organ_id = values.get("organ_id", partner.organ_id)
    target = None
    if kind == LOCAL:
        # A local partner is the agency of this deployment with that identifier code: never typed twice.
        target = db.session.scalar(select(Agency).where(Agency.code == organ_id)) if organ_id else None
        if target is None:
            errors["organ_id"] = _("No agency of this deployment has this identifier code.")
        elif target.id == partner.agency_id:
            errors["organ_id"] = _("An agency is not its own partner.")
        if values.get("base_url", partner.base_url or ""):
            errors["base_url"] = _("A local partner has no address: it is reached inside this deployment.")
    if errors:
        _refuse(errors)
    if target is not None:
        for mine, theirs in _FROM_AGENCY.items():
            if not values.get(mine) and not getattr(partner, mine, None):
                values[mine] = (getattr(target, theirs) or "")[:_length(mine)]
    changes = {}
    for name, value in {**values, "kind": kind, "target_agency_id": target.id if target else None}.items():
        old = getattr(partner, name, None)
        if old != value:
            changes[name] = [old, value]
            setattr(partner, name, value)
    return changes


def _check_unique(agency_id: int, organ_id: str, partner_id: int | None) -> None:
    clash = db.session.scalar(select(ExchangePartner.id).where(
        ExchangePartner.agency_id == agency_id, ExchangePartner.organ_id == organ_id))
    if clash is not None and clash != partner_id:
        raise Conflict(_("A partner with this identifier code already exists."), details={"fields": ["organ_id"]})


def create_partner(agency, data: dict, *, actor=None) -> ExchangePartner:
    """Add a partner to `agency`'s directory from `data` (the TEXT_FIELDS, `kind`, `active`, `certificates` as
    PEM text). 422 with the faulty fields, 409 when the identifier code is in the directory already."""
    values, errors = _clean(data, partial=False)
    certificates = _certificates_in(data.get("certificates"), errors)
    partner = ExchangePartner(agency_id=agency.id, kind=values.get("kind", ENDPOINT), active=True)
    _apply(partner, values, errors)
    _check_unique(agency.id, partner.organ_id, None)
    db.session.add(partner)
    _attach(partner, certificates)
    db.session.flush()
    signals.partner_changed.send(partner, actor=actor, action="create",
                                 changes={"certificates": [c.sha256 for c in partner.certificates]})
    return partner


def update_partner(partner: ExchangePartner, data: dict, *, actor=None) -> ExchangePartner:
    """Change the fields of `data` (as for create_partner; `certificates` adds to those kept)."""
    values, errors = _clean(data, partial=True)
    certificates = _certificates_in(data.get("certificates"), errors)
    for name in ("organ_id", "name"):
        if name in values and not values[name]:
            errors[name] = _("Required.")
    changes = _apply(partner, values, errors)
    _check_unique(partner.agency_id, partner.organ_id, partner.id)
    added = _attach(partner, certificates)
    if added:
        changes["certificates_added"] = [c.sha256 for c in added]
    db.session.flush()
    if changes:
        signals.partner_changed.send(partner, actor=actor, action="update", changes=changes)
    return partner


def deactivate_partner(partner: ExchangePartner, *, actor=None) -> ExchangePartner:
    """Stop sending to `partner`; it stays in the directory and in the history of what was sent."""
    if partner.active:
        partner.active = False
        db.session.flush()
        signals.partner_changed.send(partner, actor=actor, action="deactivate", changes={"active": [True, False]})
    return partner


def remove_partner_certificate(certificate: PartnerCertificate, *, actor=None) -> None:
    """Forget one of a partner's certificates (e.g. a replaced seal key)."""
    partner = certificate.partner
    partner.certificates.remove(certificate)
    db.session.flush()
    signals.partner_changed.send(partner, actor=actor, action="certificate_remove",
                                 changes={"certificate": certificate.sha256, "subject": certificate.subject})


@dataclass
class ImportResult:
    """What an import did: the partners created and updated (matched by identifier code)."""

    created: list[ExchangePartner] = field(default_factory=list)
    updated: list[ExchangePartner] = field(default_factory=list)


def import_partners(agency, data: bytes, *, fmt: str, actor=None) -> ImportResult:
    """Create or update (by identifier code) the partners of a CSV (UTF-8, header row of IMPORT_FIELDS,
    certificates as PEM text) or JSON (a list of objects, or {"partners": [...]}) file.

    All or nothing: when any row is wrong nothing is stored, and the error lists every faulty row as
    `details.rows = [{"row": n, "fields": {...}}]` (rows counted from 1, the CSV header not counted).
    """
    rows = _read_import(data, fmt)
    existing = {p.organ_id: p for p in db.session.scalars(
        select(ExchangePartner).where(ExchangePartner.agency_id == agency.id))}
    problems, seen, result = [], set(), ImportResult()
    for number, row in enumerate(rows, start=1):
        organ_id = str(row.get("organ_id") or "").strip()
        if organ_id and organ_id in seen:
            problems.append({"row": number, "fields": {"organ_id": _("Twice in the file.")}})
            continue
        seen.add(organ_id)
        try:
            with db.session.begin_nested():
                partner = existing.get(organ_id)
                if partner is None:
                    result.created.append(create_partner(agency, row, actor=actor))
                else:
                    result.updated.append(update_partner(partner, row, actor=actor))
        except (ValidationFailed, Conflict) as exc:
            problems.append({"row": number, "fields": exc.details.get("fields") or {"": exc.message}})
    if problems:
        raise ValidationFailed(_("The file was not imported: %(n)d rows are not valid.", n=len(problems)),
                               details={"rows": problems})
    return result


def _read_import(data: bytes, fmt: str) -> list[dict]:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(_("The file is too large."))
    try:
        text = data.decode("utf-8-sig")  # spreadsheets save UTF-8 CSV with a byte-order mark
    except UnicodeDecodeError:
        raise ValidationFailed(_("The file must be UTF-8 text.")) from None
    if fmt == "json":
        try:
            loaded = json.loads(text)
        except ValueError:
            raise ValidationFailed(_("The file is not JSON.")) from None
        rows = loaded.get("partners") if isinstance(loaded, dict) else loaded
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationFailed(_("The JSON must be a list of partners."))
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        unknown = sorted(set(reader.fieldnames or ()) - set(IMPORT_FIELDS))
        if not reader.fieldnames or "organ_id" not in reader.fieldnames or unknown:
            raise ValidationFailed(_("The header row must name the columns: %(c)s.", c=", ".join(IMPORT_FIELDS)),
                                   details={"unknown_columns": unknown})
        rows = [_csv_row(r) for r in reader]
    else:
        raise ValidationFailed(_("The format is csv or json."), details={"fields": ["format"]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(_("At most %(n)d partners per file.", n=MAX_IMPORT_ROWS))
    return rows


def _csv_row(row: dict) -> dict:
    values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
    if "active" in values:
        flag = values["active"].strip().lower()
        values["active"] = True if flag in ("1", "true", "yes", "x") else False if flag in ("0", "false", "no") \
            else values["active"]
    return values


# -- certificates -----------------------------------------------------------------------------------------------

def _certificates_in(value, errors: dict) -> list[x509.Certificate]:
    if value in (None, "", []):
        return []
    texts = value if isinstance(value, list) else [value]
    certs = []
    for text in texts:
        try:
            certs += x509.load_pem_x509_certificates(text.encode() if isinstance(text, str) else bytes(text))
        except (ValueError, TypeError):
            errors["certificates"] = _("Certificates are given in PEM.")
    return certs


def _attach(partner: ExchangePartner, certs: list[x509.Certificate]) -> list[PartnerCertificate]:
    known = {c.sha256 for c in partner.certificates}
    added = []
    for cert in certs:
        digest = envelope.fingerprint(cert)
        if digest in known:
            continue
        known.add(digest)
        row = PartnerCertificate(pem=cert.public_bytes(Encoding.PEM).decode(), sha256=digest,
                                 subject=cert.subject.rfc4514_string()[:300], not_after=cert.not_valid_after_utc)
        partner.certificates.append(row)
        added.append(row)
    return added


def partner_certificates(partner: ExchangePartner) -> list[x509.Certificate]:
    """The certificates a partner's envelopes are checked against: those kept in the directory and, for a local
    partner, the certificates of its agency's active seal key and exchange key (so a renewed key needs no
    directory change)."""
    certs = [x509.load_pem_x509_certificate(c.pem.encode()) for c in partner.certificates]
    if partner.kind == LOCAL and partner.target_agency_id:
        try:
            seal = signing.active_credential(partner.target_agency_id, None)
        except NotFound:  # no seal key: only the directory's certificates count
            seal = None
        if seal is not None and seal.certificate_pem:
            certs += x509.load_pem_x509_certificates(seal.certificate_pem.encode())
        own = exchange_certificate(partner.target_agency_id)
        if own is not None:
            certs.append(own)
    return certs


# -- the envelope signature -------------------------------------------------------------------------------------

def seal_envelope(root: etree._Element, pin: str, *, actor) -> etree._Element:
    """Sign the edXML document `root` with the actor's agency seal key, unlocked with the clerk's `pin`
    (a wrong PIN counts towards the lock-out; only the agency's clerks may use the seal: 403)."""
    credential = signing.active_credential(actor.agency_id, None)
    with signing.unlocked(credential, pin, actor=actor) as signer:
        try:
            key, chain = envelope.key_and_chain(signer)
        except envelope.EnvelopeError as exc:
            raise Conflict(_("The seal key cannot sign exchange packages."), code=exc.code) from None
        try:
            return envelope.sign_envelope(root, key, chain)
        except envelope.EnvelopeError as exc:
            raise ValidationFailed(_("The package cannot be signed: %(reason)s", reason=str(exc)),
                                   code=exc.code) from None


def verify_partner_envelope(partner: ExchangePartner, document) -> envelope.VerifiedEnvelope:
    """Verify a package received from `partner` (element tree or bytes) against the partner's certificates;
    a refusal is a 422 whose code says why (signature_invalid, untrusted_signer, signature_algorithm, …)."""
    try:
        return envelope.verify_envelope(document, partner_certificates(partner))
    except envelope.EnvelopeError as exc:
        raise ValidationFailed(_("The package signature is refused: %(reason)s", reason=str(exc)),
                               code=exc.code) from None
