"""Incoming documents through the API: the same services and the same visibility rule as the web pages."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.accounts.models import User
from eoffice.api import bp, json_body
from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import CLERK, LEADER, require_roles
from eoffice.core.tenancy import current_actor, get_scoped
from eoffice.core.time import local_today
from eoffice.extensions import db
from eoffice.incoming import access, lists, services
from eoffice.incoming.models import ExtensionRequest
from eoffice.incoming.register_pdf import render_register_pdf
from eoffice.incoming.registers import ARRIVALS, TRACKING, build_register, cell_text, render_register_xlsx
from eoffice.incoming.schemas import (
    assignment_json, document_fields, document_json, extension_json, notification_json, parse_date, parse_int,
    recipients, summary_json,
)
from eoffice.registry.models import IN, RegistryBook
from eoffice.web.transaction import reads_before_writing, writes_on_get


def _show(doc, status: int = 200):
    extensions = db.session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.assignment_id.in_([a.id for a in doc.assignments])).order_by(ExtensionRequest.id)).all()
    return jsonify(document_json(doc, extensions)), status


def _body() -> dict:
    """JSON object, or the form fields of a multipart request (comments and completion may carry files)."""
    return json_body() if request.is_json else request.form.to_dict()


def _uploads(name: str) -> list[tuple[str, bytes]]:
    return [(u.filename, u.read()) for u in request.files.getlist(name) if u and u.filename]


@bp.get("/incoming")
def incoming_list():
    """Documents the caller sees; `view` = all (default), inbox, to_direct, overdue or near_due."""
    actor, args, today = current_actor(), request.args, local_today()
    view = args.get("view", "all")
    if view == "inbox":
        rows = lists.inbox(actor, state=args.get("state") or None, today=today)
        return jsonify({"items": [{**summary_json(d), "assignment": assignment_json(a, today)} for a, d in rows]})
    if view in ("overdue", "near_due"):
        rows = lists.deadline_work(actor, today=today, overdue=view == "overdue")
        return jsonify({"items": [{**summary_json(d), "assignment": assignment_json(a, today)} for a, d in rows]})
    if view == "to_direct":
        return jsonify({"items": [summary_json(d) for d in lists.to_direct(actor)]})
    docs = lists.list_documents(
        actor, state=args.get("state") or None, q=args.get("q") or None,
        urgency=parse_int(args.get("urgency"), "urgency"),
        secrecy=parse_int(args.get("secrecy"), "secrecy"), date_from=parse_date(args.get("from"), "from"),
        date_to=parse_date(args.get("to"), "to"), book_id=parse_int(args.get("book_id"), "book_id"))
    return jsonify({"items": [summary_json(d) for d in docs]})


@bp.post("/incoming")
@require_roles(CLERK)
@reads_before_writing
def incoming_create():
    """Multipart: `file` (the PDF), optional `attachments`, and the intake fields."""
    actor = current_actor()
    fields = document_fields(request.form)
    files = _uploads("file")[:1] + _uploads("attachments")
    report = services.verify_uploads(actor.agency, files)
    doc = services.create_incoming(actor.agency, actor=actor, files=files, report=report,
                                   electronic=request.form.get("electronic") in ("1", "true"), **fields)
    return _show(doc, 201)


@bp.get("/incoming/<int:doc_id>")
@writes_on_get
def incoming_show(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    services.record_access(doc, "view", actor=current_actor(), data={"via": "api"})
    return _show(doc)


@bp.post("/incoming/<int:doc_id>/register")
@require_roles(CLERK)
def incoming_register(doc_id: int):
    actor, data = current_actor(), json_body()
    doc = access.get_visible(actor, doc_id)
    book_id = parse_int(data.get("book_id"), "book_id")
    if not book_id:
        raise ValidationFailed(_("Choose an open book of incoming documents."), details={"fields": ["book_id"]})
    presented = parse_int(data.get("presented_to_id"), "presented_to_id")
    services.register_incoming(
        doc, book=get_scoped(RegistryBook, book_id), actor=actor,
        arrival_date=parse_date(data.get("arrival_date"), "arrival_date"),
        presented_to=get_scoped(User, presented) if presented else None, file_code=data.get("file_code"),
        duplicate_reason=str(data.get("duplicate_reason") or ""))
    return _show(doc)


@bp.post("/incoming/<int:doc_id>/return")
@require_roles(CLERK)
def incoming_return(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    services.return_incoming(doc, reason=str(json_body().get("reason") or ""), actor=current_actor())
    return _show(doc)


@bp.post("/incoming/<int:doc_id>/recall")
@require_roles(CLERK)
def incoming_recall(doc_id: int):
    """Carry out the issuer's recall order (`reason`): files removed, history kept, out of every list."""
    doc = access.get_visible(current_actor(), doc_id)
    services.recall_incoming(doc, reason=str(json_body().get("reason") or ""), actor=current_actor())
    return _show(doc)


@bp.post("/incoming/<int:doc_id>/direct")
@require_roles(LEADER)
def incoming_direct(doc_id: int):
    data = json_body()
    doc = access.get_visible(current_actor(), doc_id)
    lead = recipients(data.get("lead"), "lead")
    services.direct_incoming(doc, actor=current_actor(), opinion=str(data.get("opinion") or ""),
                             lead=lead[0] if lead else {}, co=recipients(data.get("co"), "co"),
                             info=recipients(data.get("info"), "info"))
    return _show(doc)


@bp.post("/incoming/assignments/<int:assignment_id>/reassign")
def incoming_reassign(assignment_id: int):
    data = json_body()
    assignment = access.get_visible_assignment(current_actor(), assignment_id)
    services.reassign_assignment(assignment, actor=current_actor(), targets=recipients(data.get("targets"), "targets"),
                                 note=str(data.get("note") or ""))
    return _show(assignment.document)


@bp.post("/incoming/<int:doc_id>/forward")
def incoming_forward(doc_id: int):
    data = json_body()
    doc = access.get_visible(current_actor(), doc_id)
    services.forward_incoming(doc, actor=current_actor(), targets=recipients(data.get("targets"), "targets"),
                              note=str(data.get("note") or ""))
    return _show(doc)


@bp.post("/incoming/<int:doc_id>/comments")
def incoming_comment(doc_id: int):
    """JSON {"text"} or multipart `text` with result `files`."""
    doc = access.get_visible(current_actor(), doc_id)
    services.comment_incoming(doc, actor=current_actor(), text=str(_body().get("text") or ""),
                              files=_uploads("files"))
    return _show(doc, 201)


@bp.post("/incoming/assignments/<int:assignment_id>/extensions")
def incoming_extension_request(assignment_id: int):
    data = json_body()
    assignment = access.get_visible_assignment(current_actor(), assignment_id)
    deadline = parse_date(data.get("deadline"), "deadline")
    if deadline is None:
        raise ValidationFailed(_("The new deadline must be later than the current one."),
                               details={"fields": ["deadline"]})
    ext = services.request_extension(assignment, actor=current_actor(), deadline=deadline,
                                     reason=str(data.get("reason") or ""))
    return jsonify(extension_json(ext)), 201


@bp.post("/incoming/extensions/<int:request_id>/approve", defaults={"decision": "approve"})
@bp.post("/incoming/extensions/<int:request_id>/refuse", defaults={"decision": "refuse"})
def incoming_extension_decide(request_id: int, decision: str):
    data = request.get_json(silent=True) or {}
    ext = access.get_visible_extension(current_actor(), request_id)
    services.decide_extension(ext, actor=current_actor(), approve=decision == "approve",
                              comment=str(data.get("comment") or "") if isinstance(data, dict) else "")
    return jsonify(extension_json(ext))


@bp.post("/incoming/assignments/<int:assignment_id>/complete")
def incoming_complete(assignment_id: int):
    """JSON {"comment"} or multipart `comment` with result `files`."""
    assignment = access.get_visible_assignment(current_actor(), assignment_id)
    services.complete_assignment(assignment, actor=current_actor(), comment=str(_body().get("comment") or ""),
                                 files=_uploads("files"))
    return _show(assignment.document)


@bp.get("/incoming/<int:doc_id>/files/<int:file_id>")
@writes_on_get
def incoming_file(doc_id: int, file_id: int):
    found = access.get_visible_file(current_actor(), doc_id, file_id)
    services.record_access(found.document, "download", actor=current_actor(),
                           data={"via": "api", "file_id": found.id, "sha256": found.stored.sha256})
    return Response(found.stored.read(), mimetype=found.stored.content_type,
                    headers={"Content-Disposition": f'attachment; filename="incoming-{doc_id}-{found.id}.pdf"'})


@bp.get("/incoming/notifications")
def incoming_notifications():
    return jsonify({"items": [notification_json(n) for n in lists.notifications(current_actor())],
                    "unread": lists.unread_count(current_actor())})


@bp.get("/incoming/register")
@require_roles(CLERK)
def incoming_register_export():
    """The incoming register of `book_id` for `from`–`to` (ISO dates), or with `kind=tracking` the
    resolution-tracking register: JSON rows, or `format=pdf|xlsx`."""
    args = request.args
    book = get_scoped(RegistryBook, parse_int(args.get("book_id"), "book_id") or 0)
    date_from, date_to = parse_date(args.get("from"), "from"), parse_date(args.get("to"), "to")
    if book.direction != IN or not date_from or not date_to or date_from > date_to:
        raise ValidationFailed(_("Choose an incoming book and a period."),
                               details={"fields": ["book_id", "from", "to"]})
    kind = TRACKING if args.get("kind") == TRACKING else ARRIVALS
    register = build_register(current_actor().agency, book, date_from, date_to, kind=kind)
    fmt = args.get("format", "json")
    if fmt == "pdf":
        return Response(render_register_pdf(register), mimetype="application/pdf")
    if fmt == "xlsx":
        return Response(render_register_xlsx(register),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return jsonify({"book": book.name, "from": date_from.isoformat(), "to": date_to.isoformat(), "kind": kind,
                    "columns": register.columns,
                    "rows": [[cell_text(v) for v in row] for row in register.rows]})
