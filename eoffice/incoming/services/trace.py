"""The handling history (TraceHeaderList): every action on a document is one row, written with the change."""

from __future__ import annotations

import json

from eoffice.core import signals
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument, TraceEntry


def record_action(doc: IncomingDocument, action: str, *, actor, comment: str = "",
                  data: dict | None = None) -> TraceEntry:
    """Append a history row for `doc` and send `incoming_changed` (the audit entry joins this transaction)."""
    entry = TraceEntry(document_id=doc.id, actor_id=getattr(actor, "id", None), action=action,
                       comment=comment or "", data=json.dumps(data or {}, ensure_ascii=False, default=str))
    db.session.add(entry)
    db.session.flush()
    signals.incoming_changed.send(doc, actor=actor, action=action, data=data or {})
    return entry


def record_access(doc: IncomingDocument, action: str, *, actor, data: dict | None = None) -> None:
    """Log a view of `doc` or a download of one of its files (`view`, `download`) in the audit chain only: the
    handling history keeps the work done, the audit log keeps who looked at what and when."""
    signals.incoming_changed.send(doc, actor=actor, action=action, data=data or {})
