"""Drafting: the document's data, its recipients and its file versions. Services flush; the edge commits."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from eoffice.accounts.models import Agency, Unit, User
from eoffice.core import signals
from eoffice.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from eoffice.core.files import store_file
from eoffice.core.permissions import LEADER
from eoffice.core.tenancy import ensure_same_agency
from eoffice.exchange.models import ExchangePartner
from eoffice.extensions import db
from eoffice.outgoing.models import (
    AGENCY_RECIPIENT, APPENDIX, APPROVED, DRAFT, ELECTRONIC, IN_REVIEW, MAIN, MODES, PAPER, PARTNER_RECIPIENT, PLACE_RECIPIENT,
    PRIORITIES, RECIPIENT_KINDS, SECRECY_LEVELS, UNIT_RECIPIENT, OutgoingDocument, OutgoingEvent,
    OutgoingFile, OutgoingRecipient,
)
from eoffice.registry.models import DocumentType

#: States in which the drafter may still change the draft; after the leader's signature nothing changes.
EDITABLE = (DRAFT, IN_REVIEW, APPROVED)
TEXT_LIMITS = {"subject": 500, "signer_position": 100, "signer_name": 50, "language": 30, "description": 500,
               "places": 1000}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def record_event(doc: OutgoingDocument, action: str, actor, *, comment: str = "", step=None) -> OutgoingEvent:
    event = OutgoingEvent(document=doc, action=action, actor_id=getattr(actor, "id", None), comment=comment or "",
                          revision=doc.revision, step=step)
    db.session.add(event)
    return event


def _clean_fields(doc: OutgoingDocument, fields: dict) -> None:
    """Validate and apply the data fields present in `fields` (API and form use the same rules)."""
    errors = {}
    for key, limit in TEXT_LIMITS.items():
        if key in fields:
            value = str(fields[key] or "").strip()
            if len(value) > limit:
                errors[key] = _("At most %(n)d characters.", n=limit)
            setattr(doc, key, value)
    if "subject" in fields and not doc.subject:
        errors["subject"] = _("Required.")
    if "document_type_id" in fields:
        if db.session.get(DocumentType, _as_int(fields["document_type_id"], "document_type_id")) is None:
            errors["document_type_id"] = _("Unknown document type.")
        doc.document_type_id = _as_int(fields["document_type_id"], "document_type_id")
    if "signer_id" in fields:
        signer = db.session.get(User, _as_int(fields["signer_id"], "signer_id"))
        ensure_same_agency(signer, doc.agency_id)
        if not signer.active or not signer.has_role(LEADER):
            errors["signer_id"] = _("The signer must be an active leader of the agency.")
        doc.signer_id = signer.id
        # The signature block prints the signer as given; the user's own data fill what the drafter left empty.
        if not str(fields.get("signer_position") or "").strip():
            doc.signer_position = signer.position[:100]
        if not str(fields.get("signer_name") or "").strip():
            doc.signer_name = signer.full_name[:50]
    if "drafting_unit_id" in fields:
        unit = db.session.get(Unit, _as_int(fields["drafting_unit_id"], "drafting_unit_id"))
        ensure_same_agency(unit, doc.agency_id)
        doc.drafting_unit_id = unit.id
    if "priority" in fields:
        doc.priority = _as_int(fields["priority"] or 0, "priority")
        if doc.priority not in PRIORITIES:
            errors["priority"] = _("Unknown priority.")
    if "secrecy" in fields:
        doc.secrecy = str(fields["secrecy"] or "")
        if doc.secrecy not in SECRECY_LEVELS:
            errors["secrecy"] = _("Unknown secrecy level.")
    for key in ("page_amount", "issued_amount"):
        if key in fields:
            value = None if fields[key] in (None, "") else _as_int(fields[key], key)
            if value is not None and not 0 < value < 1000:
                errors[key] = _("A number from 1 to 999.")
            setattr(doc, key, value if value is not None or key == "page_amount" else 1)
    if "due_date" in fields:
        doc.due_date = _as_date(fields["due_date"], "due_date")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})


def _as_int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": {name: _("Not a number.")}}) from None


def _as_date(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(_("Some fields are not valid."),
                               details={"fields": {name: _("A date as YYYY-MM-DD.")}}) from None


def create_draft(actor, *, recipients: list[dict] | None = None, **fields) -> OutgoingDocument:
    """A new draft by `actor` (the drafter); the drafting unit defaults to the actor's unit."""
    missing = [name for name in ("document_type_id", "subject", "signer_id") if not fields.get(name)]
    fields.setdefault("drafting_unit_id", actor.unit_id)
    if not fields.get("drafting_unit_id"):
        missing.append("drafting_unit_id")
    if missing:
        raise ValidationFailed(_("Required fields are missing."), details={"fields": missing})
    doc = OutgoingDocument(agency_id=actor.agency_id, drafter_id=actor.id, status=DRAFT, revision=1)
    _clean_fields(doc, fields)
    db.session.add(doc)
    db.session.flush()
    if recipients is not None:
        set_recipients(doc, recipients)
    record_event(doc, "create", actor)
    db.session.flush()
    signals.outgoing_changed.send(doc, actor=actor, action="create", details={"subject": doc.subject})
    return doc


def ensure_drafter(doc: OutgoingDocument, actor) -> None:
    if doc.drafter_id != actor.id:
        raise Forbidden(_("Only the drafter can change the draft."))
    if doc.status not in EDITABLE:
        raise Conflict(_("The document is signed and can no longer change."), code="not_editable")


def update_draft(doc: OutgoingDocument, actor, *, recipients: list[dict] | None = None,
                 **fields) -> OutgoingDocument:
    """Change the draft's data and/or recipients. A change after approval sends the draft back to the signer."""
    ensure_drafter(doc, actor)
    before = {key: getattr(doc, key) for key in fields if hasattr(doc, key)}
    _clean_fields(doc, fields)
    if recipients is not None:
        set_recipients(doc, recipients)
    else:
        check_secret_delivery(doc)
    changes = {key: [str(old), str(getattr(doc, key))] for key, old in before.items() if old != getattr(doc, key)}
    if changes or recipients is not None:
        restart = _("The approval chain restarted: the signer was changed after an approval.") \
            if "signer_id" in changes else None
        _content_changed(doc, actor, "change", details={"changes": changes}, restart=restart)
    db.session.flush()
    return doc


def _content_changed(doc: OutgoingDocument, actor, action: str, details: dict, restart: str | None = None) -> None:
    """A new revision. A change of what the signer signs (`restart` says why: the main file, the signer) restarts
    the whole approval chain, so no approval given to other content counts; any other change after approval
    sends the document back to the signer only."""
    from eoffice.outgoing.services.workflow import reopen_for_signer, restart_approvals

    doc.revision += 1
    record_event(doc, action, actor)
    if restart and restart_approvals(doc, actor, restart):
        details = {**details, "approvals_restarted": True}
    elif doc.status == APPROVED or doc.status == IN_REVIEW:
        reopen_for_signer(doc, actor)
    db.session.flush()
    signals.outgoing_changed.send(doc, actor=actor, action=action, details=details)


# -- recipients -------------------------------------------------------------------------------------------------

def set_recipients(doc: OutgoingDocument, specs: list[dict]) -> list[OutgoingRecipient]:
    """Replace the recipients with `specs`: each {kind, mode, and unit_id | agency_id | partner_id | name}."""
    if not isinstance(specs, list):
        raise ValidationFailed(_("recipients must be a list."))
    rows, seen = [], set()
    for spec in specs:
        row = _recipient(doc, spec if isinstance(spec, dict) else {})
        key = (row.kind, row.unit_id, row.target_agency_id, row.partner_id, row.name if row.kind == PLACE_RECIPIENT else "")
        if key in seen:
            continue  # the same recipient twice is one recipient (edXML: no duplicate To)
        seen.add(key)
        rows.append(row)
    doc.recipients = rows
    check_secret_delivery(doc)
    db.session.flush()
    return rows


def _recipient(doc: OutgoingDocument, spec: dict) -> OutgoingRecipient:
    kind = spec.get("kind")
    mode = spec.get("mode") or (PAPER if kind == PLACE_RECIPIENT else ELECTRONIC)
    if kind not in RECIPIENT_KINDS or mode not in MODES:
        raise ValidationFailed(_("Unknown recipient kind or transmission mode."), details={"recipient": spec})
    row = OutgoingRecipient(kind=kind, mode=mode)
    if kind == UNIT_RECIPIENT:
        unit = db.session.get(Unit, _as_int(spec.get("unit_id"), "unit_id"))
        ensure_same_agency(unit, doc.agency_id)
        row.unit_id, row.name = unit.id, unit.name
    elif kind == AGENCY_RECIPIENT:
        agency = db.session.get(Agency, _as_int(spec.get("agency_id"), "agency_id"))
        if agency is None or agency.id == doc.agency_id:
            raise NotFound(_("Not found."))
        row.target_agency_id, row.name, row.organ_id = agency.id, agency.name, agency.code
    elif kind == PARTNER_RECIPIENT:
        partner = db.session.get(ExchangePartner, _as_int(spec.get("partner_id"), "partner_id"))
        ensure_same_agency(partner, doc.agency_id)
        row.partner_id, row.name, row.organ_id = partner.id, partner.name, partner.organ_id
    else:
        row.name = str(spec.get("name") or "").strip()[:200]
        row.mode = PAPER  # a free-text place has no address in the exchange
        if not row.name:
            raise ValidationFailed(_("A place needs a name."), details={"recipient": spec})
    return row


def check_secret_delivery(doc: OutgoingDocument) -> None:
    """Secret documents (Mật, Tối mật, Tuyệt mật) never travel electronically: 409 if a recipient would."""
    if doc.is_secret and any(r.electronic for r in doc.recipients):
        raise Conflict(_("A secret document cannot be sent electronically; choose paper delivery."),
                       code="secret_electronic")


# -- files ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedUpload:
    """An upload made ready for storing: the PDF, its name, and the DOCX it was converted from (if any)."""

    pdf: bytes
    filename: str
    docx: bytes | None = None
    docx_name: str | None = None


def prepare_upload(agency_id: int, data: bytes, filename: str) -> PreparedUpload:
    """Convert a DOCX to PDF and have the PDF judged by the verifier's pool, before the request's transaction
    writes anything (call it first: it closes that transaction). Conversion takes seconds and an uploaded PDF is
    untrusted: neither happens in the web process's transaction, and a PDF that cannot be read is refused with
    422 now rather than when the leader signs it. The verification is kept for the file's pages."""
    from eoffice.signing.services import refuse_unverifiable, verify_data

    docx = docx_name = None
    if data[:4] == b"PK\x03\x04" and filename.lower().endswith(".docx"):
        docx, docx_name = data, filename
        data, filename = convert_docx(data), Path(filename).with_suffix(".pdf").name
    elif not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ValidationFailed(_("%(name)s is not a PDF or DOCX file.", name=filename), code="not_pdf")
    refuse_unverifiable(verify_data(data, agency_id, keep=True), filename)
    return PreparedUpload(data, filename, docx, docx_name)


def add_file(doc: OutgoingDocument, actor, upload: PreparedUpload, *, role: str = MAIN,
             position: int | None = None) -> OutgoingFile:
    """Store a prepared upload (`prepare_upload`) as the next version of the main file or of an appendix (a new
    appendix when `position` is None); a DOCX is kept beside the PDF made from it."""
    ensure_drafter(doc, actor)
    if role not in (MAIN, APPENDIX):
        raise ValidationFailed(_("A file is the main document or an appendix."))
    source = store_file(doc.agency_id, upload.docx, upload.docx_name, content_type=DOCX, created_by=actor) \
        if upload.docx is not None else None
    data, filename = upload.pdf, upload.filename
    if role == MAIN:
        position = 0
    elif position is None:
        position = max(doc.appendix_positions(), default=0) + 1
    last = db.session.scalar(select(func.max(OutgoingFile.version)).where(
        OutgoingFile.document_id == doc.id, OutgoingFile.role == role, OutgoingFile.position == position)) or 0
    stored = store_file(doc.agency_id, data, filename, created_by=actor)
    row = OutgoingFile(document=doc, role=role, position=position, version=last + 1, stored_file=stored,
                       source_file=source, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    _content_changed(doc, actor, "upload", details={"role": role, "position": position, "version": row.version,
                                                    "sha256": stored.sha256},
                     restart=_("The approval chain restarted: the main file was replaced after an approval.")
                     if role == MAIN and row.version > 1 else None)
    return row


def convert_docx(data: bytes) -> bytes:
    """PDF bytes of a DOCX, by LibreOffice (`soffice`) in a scratch directory; a clear refusal without it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ValidationFailed(_("DOCX files can be converted only when LibreOffice is installed on the server. "
                                 "Upload a PDF instead."), code="conversion_unavailable")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "draft.docx"
        source.write_bytes(data)
        # A private profile directory: a second conversion running at the same time would otherwise fail on
        # the profile lock of the first.
        profile = Path(work, "profile").as_uri()
        result = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                                 "--outdir", work, str(source)], capture_output=True, timeout=120)
        target = Path(work) / "draft.pdf"
        if result.returncode != 0 or not target.is_file():
            raise ValidationFailed(_("The DOCX file could not be converted to PDF."), code="conversion_failed")
        return target.read_bytes()
