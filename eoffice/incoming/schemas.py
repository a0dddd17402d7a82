"""JSON shapes of incoming documents in the API, the "ĐẾN" stamp data, and the parsing of API input."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from eoffice.core.errors import ValidationFailed
from eoffice.core.time import format_date, local_today
from eoffice.incoming.models import Assignment, ExtensionRequest, IncomingDocument, Notification, TraceEntry
from eoffice.incoming.services.intake import TEXT_FIELDS

INT_FIELDS = ("urgency", "secrecy", "page_amount", "document_type_id")
DATE_FIELDS = ("issued_date", "due_date", "arrival_date")


def parse_date(value, field: str) -> date | None:
    """An ISO date (yyyy-mm-dd) or dd/mm/yyyy, or None for an empty value; 422 naming `field` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("A deadline is a date."), details={"fields": [field]}) from None


def parse_int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Some fields are missing or too long."), details={"fields": [field]}) from None


def document_fields(data) -> dict:
    """The intake fields of a form or JSON mapping, typed for `create_incoming`."""
    fields = {key: data.get(key) for key in TEXT_FIELDS if data.get(key) is not None}
    for key in INT_FIELDS:
        fields[key] = parse_int(data.get(key), key)
    fields["urgency"] = fields["urgency"] or 0
    fields["secrecy"] = fields["secrecy"] or 0
    for key in DATE_FIELDS:
        fields[key] = parse_date(data.get(key), key)
    return fields


def recipients(items, field: str) -> list[dict]:
    """[{"unit_id"|"user_id", "deadline", "note"}] from JSON, with the deadlines parsed."""
    if items is None:
        return []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed(_("Each recipient is one unit or one person."), details={"fields": [field]})
    out = []
    for item in items:
        spec = {k: item[k] for k in ("unit_id", "user_id", "note") if item.get(k) is not None}
        if "deadline" in item:
            spec["deadline"] = parse_date(item["deadline"], field)
        out.append(spec)
    return out


def _d(value) -> str | None:
    return value.isoformat() if value is not None else None


def stamp_data(doc: IncomingDocument) -> dict:
    """The fields of the "ĐẾN" stamp: agency, số đến, ngày, chuyển (to whom and when), số và ký hiệu hồ sơ."""
    transferred = ", ".join(a.target_name for a in doc.assignments if a.parent_id is None)
    return {"agency": doc.agency.name if doc.agency_id else "", "arrival_number": doc.arrival_number_text,
            "arrival_date": format_date(doc.arrival_date), "transferred_to": transferred,
            "transferred_at": format_date(doc.directed_at), "file_code": doc.file_code}


def assignment_json(a: Assignment, today: date) -> dict:
    return {"id": a.id, "parent_id": a.parent_id, "role": a.role, "unit_id": a.unit_id, "user_id": a.user_id,
            "name": a.target_name, "deadline": _d(a.deadline), "state": a.display_state(today),
            "note": a.note, "read_at": _d(a.read_at), "done_at": _d(a.done_at)}


def trace_json(t: TraceEntry) -> dict:
    return {"id": t.id, "action": t.action, "actor": t.actor.full_name if t.actor else None,
            "actor_id": t.actor_id, "comment": t.comment, "data": t.details, "at": t.created_at.isoformat()}


def extension_json(r: ExtensionRequest) -> dict:
    return {"id": r.id, "assignment_id": r.assignment_id, "requested_deadline": _d(r.requested_deadline),
            "reason": r.reason, "state": r.state, "requested_by_id": r.requested_by_id,
            "decided_by_id": r.decided_by_id, "decided_at": _d(r.decided_at)}


def summary_json(doc: IncomingDocument, today: date | None = None) -> dict:
    return {"id": doc.id, "state": doc.state, "subject": doc.subject, "issuer_name": doc.issuer_name,
            "number_symbol": doc.number_symbol, "urgency": doc.urgency, "secrecy": doc.secrecy,
            "arrival_number": doc.arrival_number, "arrival_date": _d(doc.arrival_date),
            "due_date": _d(doc.due_date), "signature_valid": doc.signature_valid}


def document_json(doc: IncomingDocument, extensions=()) -> dict:
    """Every field of the document, its verification report, stamp, files, assignments and history."""
    today = local_today()
    data = summary_json(doc, today)
    data.update({key: getattr(doc, key) for key in TEXT_FIELDS})
    data.update({
        "document_type_id": doc.document_type_id, "page_amount": doc.page_amount, "issued_date": _d(doc.issued_date),
        "source": doc.source, "electronic": doc.electronic, "book_id": doc.book_id, "arrival_year": doc.arrival_year,
        "registered_at": _d(doc.registered_at), "presented_to_id": doc.presented_to_id,
        "directed_by_id": doc.directed_by_id, "direction_opinion": doc.direction_opinion,
        "directed_at": _d(doc.directed_at), "return_reason": doc.return_reason,
        "duplicate_reason": doc.duplicate_reason, "completed_at": _d(doc.completed_at),
        "verification": doc.verification_data, "stamp": stamp_data(doc),
        "files": [{"id": f.id, "kind": f.kind, "name": f.stored.name, "size": f.stored.size,
                   "sha256": f.stored.sha256, "assignment_id": f.assignment_id} for f in doc.files],
        "assignments": [assignment_json(a, today) for a in doc.assignments],
        "trace": [trace_json(t) for t in doc.trace],
        "extensions": [extension_json(r) for r in extensions],
    })
    return data


def notification_json(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "document_id": n.document_id, "assignment_id": n.assignment_id,
            "deadline": _d(n.deadline), "subject": n.document.subject, "created_at": n.created_at.isoformat(),
            "read_at": _d(n.read_at)}
