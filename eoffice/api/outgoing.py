"""Outgoing documents through the API: drafting, review, signing, issuing, delivery, recall, the register."""

from __future__ import annotations

from datetime import date

from flask import Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.api import bp, json_body
from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import ADMIN, CLERK, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.exchange.models import ExchangePartner
from eoffice.exchange.transmissions import recipient_outcomes
from eoffice.extensions import db
from eoffice.outgoing import services
from eoffice.outgoing.models import (
    APPENDIX, MAIN, ApprovalStepDefinition, OutgoingDocument, OutgoingFile, OutgoingRecipient,
)
from eoffice.outgoing.register import register_pdf, register_rows, register_xlsx
from eoffice.outgoing.schemas import (
    INPUT_FIELDS, document_json, partner_json, recipient_json, step_definition_json,
)
from eoffice.outgoing.services.access import get_document
from eoffice.outgoing.views_common import BOXES, box_documents, download, signed_file
from eoffice.registry.models import RegistryBook
from eoffice.web.transaction import reads_before_writing


def _doc(doc_id: int) -> OutgoingDocument:
    return get_document(current_actor(), doc_id)


def _fields(data: dict) -> dict:
    return {k: data[k] for k in INPUT_FIELDS if k in data}


@bp.get("/outgoing")
def outgoing_list():
    box = request.args.get("box", "all")
    if box not in BOXES:
        raise ValidationFailed(_("Unknown list."), details={"box": sorted(BOXES)})
    docs = box_documents(current_actor(), box)
    return jsonify({"items": [document_json(d, full=False) for d in docs]})


@bp.post("/outgoing")
def outgoing_create():
    data = json_body()
    doc = services.create_draft(current_actor(), recipients=data.get("recipients"), **_fields(data))
    return jsonify(document_json(doc)), 201


@bp.get("/outgoing/<int:doc_id>")
def outgoing_show(doc_id: int):
    return jsonify(document_json(_doc(doc_id)))


@bp.patch("/outgoing/<int:doc_id>")
def outgoing_update(doc_id: int):
    data = json_body()
    doc = services.update_draft(_doc(doc_id), current_actor(), recipients=data.get("recipients"), **_fields(data))
    return jsonify(document_json(doc))


@bp.post("/outgoing/<int:doc_id>/files")
@reads_before_writing
def outgoing_upload(doc_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Choose a PDF file."), code="file_required")
    role = request.form.get("role", MAIN)
    position = request.form.get("position", type=int)
    doc = _doc(doc_id)
    prepared = services.prepare_upload(doc.agency_id, upload.read(), upload.filename)
    row = services.add_file(doc, current_actor(), prepared, role=role,
                            position=position if role == APPENDIX else None)
    return jsonify({"id": row.id, "role": row.role, "position": row.position, "version": row.version}), 201


@bp.get("/outgoing/<int:doc_id>/files/<int:file_id>")
def outgoing_file_version(doc_id: int, file_id: int):
    doc = _doc(doc_id)
    row = db.session.scalar(select(OutgoingFile).where(OutgoingFile.id == file_id,
                                                       OutgoingFile.document_id == doc.id))
    return download(row)


@bp.get("/outgoing/<int:doc_id>/file")
def outgoing_signed_file(doc_id: int):
    return download(signed_file(_doc(doc_id)))


@bp.post("/outgoing/<int:doc_id>/submit")
def outgoing_submit(doc_id: int):
    return jsonify(document_json(services.submit_document(_doc(doc_id), current_actor())))


@bp.post("/outgoing/<int:doc_id>/approve")
def outgoing_approve(doc_id: int):
    comment = str(json_body().get("comment") or "") if request.data else ""
    return jsonify(document_json(services.approve_document(_doc(doc_id), current_actor(), comment)))


@bp.post("/outgoing/<int:doc_id>/return")
def outgoing_return(doc_id: int):
    comment = str(json_body().get("comment") or "")
    return jsonify(document_json(services.return_document(_doc(doc_id), current_actor(), comment)))


@bp.post("/outgoing/<int:doc_id>/sign")
@reads_before_writing
def outgoing_sign(doc_id: int):
    pin = str(json_body().get("pin") or "")
    return jsonify(document_json(services.sign_document(_doc(doc_id), current_actor(), pin)))


@bp.post("/outgoing/<int:doc_id>/issue")
@require_roles(CLERK)
def outgoing_issue(doc_id: int):
    data = json_body()
    try:
        book = get_scoped(RegistryBook, int(data.get("book_id")))
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose the outgoing book."), details={"fields": ["book_id"]}) from None
    doc = services.issue_document(_doc(doc_id), current_actor(), book=book, pin=str(data.get("pin") or ""))
    return jsonify(document_json(doc))


@bp.get("/outgoing/<int:doc_id>/books")
@require_roles(CLERK)
def outgoing_books(doc_id: int):
    return jsonify({"items": [{"id": b.id, "name": b.name} for b in services.issuable_books(_doc(doc_id))]})


@bp.post("/outgoing/<int:doc_id>/recall")
def outgoing_recall(doc_id: int):
    reason = str(json_body().get("reason") or "")
    return jsonify(document_json(services.recall_document(_doc(doc_id), current_actor(), reason)))


@bp.post("/outgoing/<int:doc_id>/update")
def outgoing_update_notice(doc_id: int):
    reason = str(json_body().get("reason") or "")
    return jsonify(document_json(services.notify_update(_doc(doc_id), current_actor(), reason)))


@bp.post("/outgoing/<int:doc_id>/replace")
def outgoing_replace(doc_id: int):
    data = json_body()
    replacement = _doc(int(data["replacement_id"])) if data.get("replacement_id") else None
    doc = services.replace_document(_doc(doc_id), current_actor(), str(data.get("reason") or ""), replacement)
    return jsonify(document_json(doc))


@bp.post("/outgoing/<int:doc_id>/recipients/<int:recipient_id>/status")
def outgoing_recipient_status(doc_id: int, recipient_id: int):
    doc = _doc(doc_id)
    recipient = db.session.scalar(select(OutgoingRecipient).where(OutgoingRecipient.id == recipient_id,
                                                                  OutgoingRecipient.document_id == doc.id))
    if recipient is None:
        raise ValidationFailed(_("Unknown recipient or status."))
    data = json_body()
    row = services.set_recipient_status(doc, recipient, current_actor(), str(data.get("status") or ""),
                                        str(data.get("note") or ""))
    return jsonify(recipient_json(row, recipient_outcomes([row])[row.id]))


@bp.get("/outgoing/<int:doc_id>/verification")
def outgoing_verification(doc_id: int):
    from eoffice.signing.services import verify_stored

    doc = _doc(doc_id)
    return jsonify(verify_stored(signed_file(doc).stored_file.sha256, doc.agency_id).to_dict())


# -- register and configuration ---------------------------------------------------------------------------------

def _period() -> tuple[date, date]:
    try:
        start = date.fromisoformat(request.args.get("from") or local_today().replace(month=1, day=1).isoformat())
        end = date.fromisoformat(request.args.get("to") or local_today().isoformat())
    except ValueError:
        raise ValidationFailed(_("A date as YYYY-MM-DD."), details={"fields": ["from", "to"]}) from None
    return start, end


@bp.get("/outgoing/register")
@require_roles(CLERK, ADMIN)
def outgoing_register():
    start, end = _period()
    rows = register_rows(current_actor().agency_id, start, end)
    fmt = request.args.get("format", "json")
    title = f"SỔ ĐĂNG KÝ VĂN BẢN ĐI từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"
    if fmt == "pdf":
        return Response(register_pdf(rows, title), mimetype="application/pdf")
    if fmt == "xlsx":
        return Response(register_xlsx(rows, title),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from eoffice.outgoing.register import COLUMNS

    return jsonify({"columns": list(COLUMNS), "rows": [{"id": r.document_id, "cells": list(r.cells)} for r in rows]})


@bp.get("/outgoing/partners")
def outgoing_partners():
    rows = db.session.scalars(scoped(ExchangePartner).order_by(ExchangePartner.name)).all()
    return jsonify({"items": [partner_json(p) for p in rows]})


@bp.post("/outgoing/partners")
@require_roles(ADMIN, CLERK)
def outgoing_partner_create():
    data = json_body()
    partner = services.add_partner(current_actor().agency, name=str(data.get("name") or ""),
                                   organ_id=str(data.get("organ_id") or ""), email=str(data.get("email") or ""),
                                   actor=current_actor())
    return jsonify(partner_json(partner)), 201


@bp.get("/outgoing/steps")
def outgoing_steps():
    rows = db.session.scalars(scoped(ApprovalStepDefinition).order_by(
        ApprovalStepDefinition.document_type_id, ApprovalStepDefinition.position)).all()
    return jsonify({"items": [step_definition_json(s) for s in rows]})


@bp.post("/outgoing/steps")
@require_roles(ADMIN)
def outgoing_step_create():
    data = json_body()
    try:
        step = services.define_step(current_actor().agency, kind=str(data.get("kind") or ""),
                                    position=int(data.get("position") or 0),
                                    document_type_id=int(data["document_type_id"]) if data.get("document_type_id")
                                    else None, name=str(data.get("name") or ""),
                                    required_approvals=int(data.get("required_approvals") or 1), actor=current_actor())
    except (TypeError, ValueError):
        raise ValidationFailed(_("Some fields are not valid.")) from None
    return jsonify(step_definition_json(step)), 201


@bp.delete("/outgoing/steps/<int:step_id>")
@require_roles(ADMIN)
def outgoing_step_delete(step_id: int):
    db.session.delete(get_scoped(ApprovalStepDefinition, step_id))
    db.session.flush()
    return "", 204
