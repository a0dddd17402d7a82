"""Transmission tracking through the API: the figures of the admin page as JSON (admins of the agency only)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from eoffice.accounts.models import Unit
from eoffice.api import bp
from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped
from eoffice.core.time import iso_local
from eoffice.exchange.transmissions import Delivery, Figures, compute_figures, parse_period


def delivery_json(d: Delivery) -> dict:
    return {"document_id": d.document_id, "symbol": d.symbol, "subject": d.subject,
            "issued_date": d.issued_date.isoformat(), "unit_id": d.unit_id, "recipient_id": d.recipient_id,
            "kind": d.kind, "name": d.name, "organ_id": d.organ_id, "mode": d.mode, "outcome": d.outcome,
            "outcome_label": d.label, "status_at": iso_local(d.status_at) if d.status_at else None,
            "attempts": d.attempts, "note": d.note}


def figures_json(f: Figures, *, deliveries: bool = False) -> dict:
    data = {
        "from": f.start.isoformat(), "to": f.end.isoformat(), "unit": f.unit_id,
        "outgoing": {"issued": f.issued, "secret_excluded": f.secret_excluded,
                     "fully_electronic": f.fully_electronic, "electronic_and_paper": f.electronic_and_paper,
                     "paper_only": f.paper_only, "fully_electronic_ratio": f.fully_electronic_ratio},
        "deliveries": {"total": len(f.deliveries), "by_mode": f.by_mode, "by_outcome": f.by_outcome},
        "failures": [delivery_json(d) for d in f.failures],
    }
    if deliveries:
        data["items"] = [delivery_json(d) for d in f.deliveries]
    return data


@bp.get("/exchange/transmissions")
@require_roles(ADMIN)
def exchange_transmissions():
    start, end = parse_period(request.args.get("from"), request.args.get("to"), day_first=False)
    unit_id = None
    if request.args.get("unit"):
        try:
            unit_id = int(request.args["unit"])
        except ValueError:
            raise ValidationFailed(_("Choose a unit."), code="invalid_unit", details={"fields": ["unit"]}) from None
        get_scoped(Unit, unit_id)  # another agency's unit is missing, as everywhere
    figures = compute_figures(current_actor().agency_id, start, end, unit_id)
    return jsonify(figures_json(figures, deliveries=request.args.get("deliveries") in ("1", "true")))
