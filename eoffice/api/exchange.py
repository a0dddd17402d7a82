"""The exchange partner directory and the outbox (dead letters, retry) through the API (admins of the agency
only)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from eoffice.api import bp, json_body
from eoffice.core.errors import BadRequest
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.exchange import services
from eoffice.exchange.models import OUTBOX_STATES, ExchangePartner, OutboxPackage
from eoffice.exchange.outbox import retry_outbox
from eoffice.exchange.schemas import outbox_json, partner_json
from eoffice.extensions import db


@bp.get("/exchange/partners")
@require_roles(ADMIN)
def exchange_partners():
    rows = db.session.scalars(scoped(ExchangePartner).order_by(ExchangePartner.name)).all()
    return jsonify({"items": [partner_json(p) for p in rows]})


@bp.post("/exchange/partners")
@require_roles(ADMIN)
def exchange_partner_create():
    partner = services.create_partner(current_actor().agency, json_body(), actor=current_actor())
    return jsonify(partner_json(partner)), 201


@bp.get("/exchange/partners/<int:partner_id>")
@require_roles(ADMIN)
def exchange_partner_show(partner_id: int):
    return jsonify(partner_json(get_scoped(ExchangePartner, partner_id)))


@bp.patch("/exchange/partners/<int:partner_id>")
@require_roles(ADMIN)
def exchange_partner_update(partner_id: int):
    partner = get_scoped(ExchangePartner, partner_id)
    data = json_body()
    # Deactivating is its own service (and audit action); reactivating is an ordinary change.
    deactivate = data.get("active") is False
    if deactivate:
        data = {k: v for k, v in data.items() if k != "active"}
    services.update_partner(partner, data, actor=current_actor())
    if deactivate:
        services.deactivate_partner(partner, actor=current_actor())
    return jsonify(partner_json(partner))


@bp.post("/exchange/partners/import")
@require_roles(ADMIN)
def exchange_partners_import():
    if request.is_json:
        data, fmt = request.get_data(), "json"
    else:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest(_("Send the file as multipart field `file`, or a JSON body."), code="file_required")
        name = (upload.filename or "").lower()
        fmt = request.form.get("format") or ("json" if name.endswith(".json") else "csv")
        data = upload.read(services.MAX_IMPORT_BYTES + 1)
    result = services.import_partners(current_actor().agency, data, fmt=fmt, actor=current_actor())
    return jsonify({"created": [partner_json(p) for p in result.created],
                    "updated": [partner_json(p) for p in result.updated]})


@bp.get("/exchange/outbox")
@require_roles(ADMIN)
def exchange_outbox():
    """The agency's outbox, newest first; `status` filters (dead for the dead letters)."""
    query = scoped(OutboxPackage).order_by(OutboxPackage.id.desc())
    status = request.args.get("status")
    if status:
        if status not in OUTBOX_STATES:
            raise BadRequest(_("Unknown status."), code="invalid_status", details={"allowed": list(OUTBOX_STATES)})
        query = query.where(OutboxPackage.status == status)
    rows = db.session.scalars(query.limit(500)).all()
    return jsonify({"items": [outbox_json(row) for row in rows]})


@bp.post("/exchange/outbox/<int:outbox_id>/retry")
@require_roles(ADMIN)
def exchange_outbox_retry(outbox_id: int):
    row = retry_outbox(get_scoped(OutboxPackage, outbox_id), actor=current_actor())
    return jsonify(outbox_json(row))
