"""Reactions of the exchange to other modules' signals: a package written to the outbox is queued for delivery;
what the recipient agency does with a document that came through the exchange goes back as a status package."""

from __future__ import annotations

from sqlalchemy import select

from eoffice.core import signals
from eoffice.exchange.keys import exchange_key
from eoffice.exchange.models import DOCUMENT_PACKAGE, NEW, ExchangePartner, InboxPackage
from eoffice.exchange.outbox import queue_status, schedule
from eoffice.extensions import db

#: incoming_changed actions and the status code each sends: 03 registered, 02 returned, 04 directed,
#: 05 in progress (work on it), 06 completed (the document's lead work done).
ACTION_CODES = {"register": "03", "return": "02", "direct": "04", "reassign": "05", "forward": "05",
                "comment": "05", "extension_request": "05"}


@signals.outgoing_dispatched.connect
def _dispatched(package, **_kwargs) -> None:
    from eoffice.accounts.models import Agency

    # The key is made in the issuing transaction: the delivery job then only reads (see outbox).
    exchange_key(db.session.get(Agency, package.agency_id))
    schedule(package)


@signals.incoming_changed.connect
def _incoming_changed(doc, *, action: str, data: dict | None = None, **_kwargs) -> None:
    if getattr(doc, "source", None) != "exchange":
        return
    code = ACTION_CODES.get(action)
    if action == "complete":
        code = "06" if (data or {}).get("document_completed") else "05"
    if code is None:
        return
    inbox = db.session.scalar(select(InboxPackage).where(
        InboxPackage.incoming_document_id == doc.id, InboxPackage.kind == DOCUMENT_PACKAGE,
        InboxPackage.business_type == NEW))
    if inbox is None:
        return
    from eoffice.accounts.models import Agency

    partner = db.session.get(ExchangePartner, inbox.partner_id)
    description = doc.return_reason if code == "02" else ""
    queue_status(db.session.get(Agency, doc.agency_id), partner, doc.document_identifier, code, description=description,
                 incoming_document_id=doc.id)
