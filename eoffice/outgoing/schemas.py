"""JSON shapes of outgoing documents in the API."""

from __future__ import annotations

from eoffice.core.time import iso_local
from eoffice.exchange import transmissions
from eoffice.exchange.models import ExchangePartner
from eoffice.outgoing.models import (
    ApprovalStepDefinition, OutgoingDocument, OutgoingEvent, OutgoingFile, OutgoingRecipient,
    OutgoingStep,
)

#: Fields a client may send when drafting or changing a document.
INPUT_FIELDS = ("document_type_id", "subject", "signer_id", "signer_position", "signer_name", "drafting_unit_id",
                "places", "due_date", "priority", "secrecy", "page_amount", "issued_amount", "language",
                "description")


def _when(value):
    return iso_local(value) if value is not None else None


def file_json(f: OutgoingFile) -> dict:
    return {"id": f.id, "role": f.role, "position": f.position, "version": f.version, "name": f.stored_file.name,
            "sha256": f.stored_file.sha256, "size": f.stored_file.size, "created_at": _when(f.created_at),
            "converted_from": f.source_file.name if f.source_file else None}


def recipient_json(r: OutgoingRecipient, outcome: str | None = None) -> dict:
    """One recipient; `outcome` (from `exchange.transmissions`) says what became of its copy, with a label."""
    data = {"id": r.id, "kind": r.kind, "name": r.name, "organ_id": r.organ_id, "unit_id": r.unit_id,
            "agency_id": r.target_agency_id, "partner_id": r.partner_id, "mode": r.mode, "status": r.status,
            "exchange_status": r.exchange_status, "status_at": _when(r.status_at), "note": r.note}
    if outcome is not None:
        data.update(outcome=outcome, outcome_label=transmissions.outcome_label(outcome))
    return data


def step_json(s: OutgoingStep) -> dict:
    return {"id": s.id, "position": s.position, "kind": s.kind, "name": s.name,
            "required_approvals": s.required_approvals, "completed_at": _when(s.completed_at)}


def event_json(e: OutgoingEvent) -> dict:
    return {"id": e.id, "action": e.action, "actor": e.actor.username if e.actor else None, "comment": e.comment,
            "revision": e.revision, "valid": e.valid, "step": e.step.kind if e.step else None,
            "created_at": _when(e.created_at)}


def document_json(doc: OutgoingDocument, *, full: bool = True) -> dict:
    data = {
        "id": doc.id, "status": doc.status, "subject": doc.subject, "document_type_id": doc.document_type_id,
        "type_name": doc.document_type.name if doc.document_type else None,
        "signer_id": doc.signer_id, "signer_position": doc.signer_position, "signer_name": doc.signer_name,
        "drafting_unit_id": doc.drafting_unit_id, "drafter_id": doc.drafter_id, "priority": doc.priority,
        "secrecy": doc.secrecy, "symbol": doc.symbol, "number": doc.number, "year": doc.year,
        "issued_date": doc.issued_date.isoformat() if doc.issued_date else None,
        "revision": doc.revision, "current_position": doc.current_position,
    }
    if full:
        outcomes = transmissions.recipient_outcomes(doc.recipients)
        data.update({
            "places": doc.places, "due_date": doc.due_date.isoformat() if doc.due_date else None,
            "page_amount": doc.page_amount, "issued_amount": doc.issued_amount, "language": doc.language,
            "description": doc.description, "book_id": doc.book_id, "status_reason": doc.status_reason,
            "replaced_by_id": doc.replaced_by_id, "signed_at": _when(doc.signed_at), "issued_at": _when(doc.issued_at),
            "files": [file_json(f) for f in doc.files],
            "recipients": [recipient_json(r, outcomes.get(r.id)) for r in doc.recipients],
            "steps": [step_json(s) for s in doc.steps], "history": [event_json(e) for e in doc.events],
        })
    return data


def partner_json(p: ExchangePartner) -> dict:
    return {"id": p.id, "name": p.name, "organ_id": p.organ_id, "email": p.email, "active": p.active}


def step_definition_json(s: ApprovalStepDefinition) -> dict:
    return {"id": s.id, "document_type_id": s.document_type_id, "position": s.position, "kind": s.kind,
            "name": s.name, "required_approvals": s.required_approvals}
