"""What the pages and the API share: the work lists (boxes) and file downloads."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from eoffice.core.errors import NotFound
from eoffice.core.permissions import CLERK
from eoffice.extensions import db
from eoffice.outgoing.models import (
    APPROVED, DRAFT, IN_REVIEW, ISSUED, ISSUED_FILE, LEADER_SIGNED, RECALLED, REPLACED, SIGNED, OutgoingDocument,
    OutgoingFile,
)
from eoffice.outgoing.services import access, workflow

#: The work lists: everything visible, my drafts, waiting for my review, for my signature, for issuing, issued.
BOXES = ("all", "drafts", "to_review", "to_sign", "to_issue", "issued")


def box_documents(actor, box: str, limit: int = 500) -> list[OutgoingDocument]:
    """The documents of one work list, newest first."""
    query = access.visible_documents(actor).order_by(OutgoingDocument.updated_at.desc(), OutgoingDocument.id.desc())
    if box == "drafts":
        query = query.where(OutgoingDocument.drafter_id == actor.id,
                            OutgoingDocument.status.in_((DRAFT, IN_REVIEW, APPROVED)))
    elif box in ("to_review", "to_sign"):
        query = query.where(OutgoingDocument.status.in_((IN_REVIEW, APPROVED)))
    elif box == "to_issue":
        if not actor.has_role(CLERK):
            return []
        query = query.where(OutgoingDocument.status == SIGNED)
    elif box == "issued":
        query = query.where(OutgoingDocument.status.in_((ISSUED, RECALLED, REPLACED)))
    docs = db.session.scalars(query.limit(limit)).all()
    if box == "to_review":
        docs = [d for d in docs if (step := workflow.actionable_step(actor, d)) is not None and step.kind != "signer"]
    elif box == "to_sign":
        docs = [d for d in docs if d.signer_id == actor.id and (
            d.status == APPROVED or any(s.kind == "signer" for s in workflow.waiting_steps(d)))]
    return docs


def signed_file(doc: OutgoingDocument) -> OutgoingFile:
    """The issued PDF, or the leader-signed one before issuing; 404 before any signature."""
    found = doc.current_file(ISSUED_FILE) or doc.current_file(LEADER_SIGNED)
    if found is None:
        raise NotFound(_("The document has no signed file yet."), code="not_signed")
    return found


def download(row: OutgoingFile | None) -> Response:
    if row is None:
        raise NotFound(_("Not found."))
    stored = row.stored_file
    safe = stored.name.encode("ascii", "replace").decode().replace('"', "")
    return Response(stored.read(), mimetype=stored.content_type,
                    headers={"Content-Disposition": f'inline; filename="{safe}"'})
