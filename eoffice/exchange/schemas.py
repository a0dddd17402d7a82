"""JSON shapes of the exchange directory in the API."""

from __future__ import annotations

from eoffice.core.time import iso_local
from eoffice.exchange.models import ExchangePartner, OutboxPackage, PartnerCertificate


def certificate_json(c: PartnerCertificate) -> dict:
    return {"id": c.id, "sha256": c.sha256, "subject": c.subject,
            "not_after": iso_local(c.not_after) if c.not_after else None}


def partner_json(p: ExchangePartner) -> dict:
    return {"id": p.id, "organ_id": p.organ_id, "name": p.name, "organization_in_charge": p.organization_in_charge,
            "address": p.address, "email": p.email, "telephone": p.telephone, "fax": p.fax, "website": p.website,
            "kind": p.kind, "base_url": p.base_url, "target_agency_id": p.target_agency_id, "active": p.active,
            "certificates": [certificate_json(c) for c in p.certificates]}


def outbox_json(row: OutboxPackage) -> dict:
    return {"id": row.id, "package_id": row.package_id, "kind": row.kind, "status": row.status,
            "business_type": row.business_type, "document_id": row.document_id, "recipient_id": row.recipient_id,
            "partner_id": row.partner_id, "document_identifier": row.document_identifier,
            "status_code": row.status_code, "attempts": row.attempts, "last_error": row.last_error, "ack": row.ack,
            "next_attempt_at": iso_local(row.next_attempt_at) if row.next_attempt_at else None,
            "sent_at": iso_local(row.sent_at) if row.sent_at else None, "created_at": iso_local(row.created_at)}
