"""Who sees which outgoing document. Tenancy first (another agency's document does not exist for you), then,
inside the agency, drafts stay with the people who work on them and secret documents with fewer still."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, or_

from eoffice.core.errors import NotFound
from eoffice.core.permissions import CLERK, LEADER
from eoffice.core.tenancy import get_scoped, scoped
from eoffice.outgoing.models import DRAFT, OutgoingDocument


def can_view(actor, doc: OutgoingDocument) -> bool:
    """Drafter, signer, leaders and clerks see every document of their agency; members of the drafting unit see
    its documents once submitted; secret documents only the first group."""
    if actor.agency_id != doc.agency_id:
        return False
    if actor.id in (doc.drafter_id, doc.signer_id) or actor.has_any_role(LEADER, CLERK):
        return True
    return not doc.is_secret and doc.status != DRAFT and actor.unit_id == doc.drafting_unit_id


def visible_documents(actor) -> Select:
    """SELECT of the outgoing documents `actor` may see (the SQL form of `can_view`)."""
    query = scoped(OutgoingDocument, actor.agency_id)
    if actor.has_any_role(LEADER, CLERK):
        return query
    return query.where(or_(
        OutgoingDocument.drafter_id == actor.id, OutgoingDocument.signer_id == actor.id,
        (OutgoingDocument.secrecy == "") & (OutgoingDocument.status != DRAFT)
        & (OutgoingDocument.drafting_unit_id == actor.unit_id),
    ))


def get_document(actor, doc_id: int) -> OutgoingDocument:
    """The document if `actor` may see it; 404 otherwise (its existence is not confirmed either)."""
    doc = get_scoped(OutgoingDocument, doc_id, actor.agency_id)
    if not can_view(actor, doc):
        raise NotFound(_("Not found."))
    return doc
