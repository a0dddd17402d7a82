"""Direction by a leader and the handling that follows: re-assignment inside units, forwarding for information,
comments and result files, deadline extensions and completion."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.accounts.models import Unit, User
from eoffice.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from eoffice.core.files import store_file
from eoffice.core.time import utcnow
from eoffice.extensions import db
from eoffice.incoming import access
from eoffice.incoming.models import (
    APPROVED, CO, COMPLETED, DIRECTED, DONE, IN_PROGRESS, INFO, LEAD, NEW, PENDING, READ, REFUSED, RESULT,
    Assignment, ExtensionRequest, IncomingDocument, IncomingFile,
)
from eoffice.incoming.services.intake import check_upload
from eoffice.incoming.services.trace import record_action


def _target(doc: IncomingDocument, spec: dict) -> tuple[Unit | None, User | None]:
    """A {"unit_id"} or {"user_id"} of the document's agency; secret documents go to named people only."""
    unit_id, user_id = spec.get("unit_id"), spec.get("user_id")
    if bool(unit_id) == bool(user_id):
        raise ValidationFailed(_("Each recipient is one unit or one person."), details={"recipient": spec})
    model, ident = (Unit, unit_id) if unit_id else (User, user_id)
    row = db.session.get(model, int(ident))
    if row is None or row.agency_id != doc.agency_id or (model is User and not row.active):
        raise NotFound(_("Not found."), details={"recipient": spec})
    if doc.secret and model is Unit:
        raise ValidationFailed(_("A secret document is assigned to named people only, not to units."),
                               code="secret_needs_people", details={"recipient": spec})
    return (row, None) if model is Unit else (None, row)


def _deadline(spec: dict, default: date | None) -> date | None:
    value = spec.get("deadline", default)
    if value is not None and not isinstance(value, date):
        raise ValidationFailed(_("A deadline is a date."), details={"recipient": {k: str(v) for k, v in spec.items()}})
    return value


def _add_assignment(doc, role, spec, *, actor, parent=None, default_deadline=None) -> Assignment:
    unit, user = _target(doc, spec)
    assignment = Assignment(agency_id=doc.agency_id, document_id=doc.id, parent_id=getattr(parent, "id", None),
                            role=role, unit_id=getattr(unit, "id", None), user_id=getattr(user, "id", None),
                            deadline=None if role == INFO else _deadline(spec, default_deadline),
                            note=str(spec.get("note") or "")[:2000], assigned_by_id=actor.id, state=NEW)
    db.session.add(assignment)
    return assignment


def _describe(assignments) -> list[dict]:
    return [{"id": a.id, "role": a.role, "unit_id": a.unit_id, "user_id": a.user_id,
             "name": a.target_name, "deadline": a.deadline.isoformat() if a.deadline else None} for a in assignments]


def _check_unique(specs) -> None:
    keys = [("unit", s.get("unit_id")) if s.get("unit_id") else ("user", s.get("user_id")) for s in specs]
    if len(set(keys)) != len(keys):
        raise ValidationFailed(_("A recipient is named twice."), code="duplicate_recipient")


def direct_incoming(doc: IncomingDocument, *, actor, opinion: str, lead: dict, co=(), info=()) -> IncomingDocument:
    """The leader's direction: one lead (chủ trì, a unit or a person), co-handling units or people (phối hợp) and
    recipients for information (để biết), each {"unit_id" or "user_id", optional "deadline", "note"}; a missing
    deadline takes the document's due date. The document moves to `directed`."""
    if not access.can_direct(actor, doc):
        raise Forbidden(_("You cannot direct this document."))
    if not lead:
        raise ValidationFailed(_("Choose the lead unit or person."), details={"fields": ["lead"]})
    _check_unique([lead, *co, *info])
    made = [_add_assignment(doc, LEAD, lead, actor=actor, default_deadline=doc.due_date)]
    made += [_add_assignment(doc, CO, spec, actor=actor, default_deadline=doc.due_date) for spec in co]
    made += [_add_assignment(doc, INFO, spec, actor=actor) for spec in info]
    doc.state, doc.directed_by_id, doc.directed_at = DIRECTED, actor.id, utcnow()
    doc.direction_opinion = (opinion or "").strip()
    db.session.flush()
    record_action(doc, "direct", actor=actor, comment=doc.direction_opinion, data={"assignments": _describe(made)})
    return doc


def _start(actor, doc) -> None:
    """The actor's open assignments on `doc` are being worked on."""
    for assignment in access.my_assignments(actor, doc):
        if assignment.state in (NEW, READ):
            assignment.state = IN_PROGRESS
            assignment.read_at = assignment.read_at or utcnow()


def reassign_assignment(parent: Assignment, *, actor, targets: list[dict], note: str = "") -> list[Assignment]:
    """Hand `parent` down to units or people inside its scope (see `access`): each child keeps the parent's role,
    and its deadline defaults to, and may not pass, the parent's."""
    if not access.can_reassign(actor, parent):
        raise Forbidden(_("You cannot re-assign this work."))
    if not targets:
        raise ValidationFailed(_("Choose at least one recipient."), details={"fields": ["targets"]})
    _check_unique(targets)
    doc, scope = parent.document, access.reassign_scope(parent)
    made = []
    for spec in targets:
        child = _add_assignment(doc, parent.role, {"note": note, **spec}, actor=actor, parent=parent,
                                default_deadline=parent.deadline)
        target_unit = child.unit_id or db.session.get(User, child.user_id).unit_id
        inside = target_unit in scope and not (child.user_id and child.user_id == parent.user_id) \
            and child.unit_id != parent.unit_id
        if not inside and not actor.has_role("leader"):
            raise Forbidden(_("You can only re-assign inside your unit."), code="outside_unit",
                            details={"recipient": spec})
        if parent.deadline and child.deadline and child.deadline > parent.deadline:
            raise ValidationFailed(_("A re-assigned deadline cannot be later than your own."),
                                   details={"recipient": {k: str(v) for k, v in spec.items()}})
        made.append(child)
    if parent.state in (NEW, READ):
        parent.state = IN_PROGRESS
    db.session.flush()
    record_action(doc, "reassign", actor=actor, comment=note, data={"from": parent.id, "assignments": _describe(made)})
    return made


def forward_incoming(doc: IncomingDocument, *, actor, targets: list[dict], note: str = "") -> list[Assignment]:
    """Send `doc` for information to other units or people of the agency (holders and the directing leader)."""
    mine = [a for a in access.my_assignments(actor, doc) if a.state != DONE]
    if doc.state != DIRECTED or not (mine or doc.directed_by_id == actor.id):
        raise Forbidden(_("You cannot forward this document."))
    if not targets:
        raise ValidationFailed(_("Choose at least one recipient."), details={"fields": ["targets"]})
    _check_unique(targets)
    parent = mine[0] if mine else None
    made = [_add_assignment(doc, INFO, {"note": note, **spec}, actor=actor, parent=parent) for spec in targets]
    db.session.flush()
    record_action(doc, "forward", actor=actor, comment=note, data={"assignments": _describe(made)})
    return made


def _store_results(doc, assignment, files, actor) -> list[str]:
    for name, data in files:
        check_upload(name, data)
    for name, data in files:
        stored = store_file(doc.agency_id, data, name, created_by=actor)
        db.session.add(IncomingFile(document_id=doc.id, stored_file_id=stored.id, kind=RESULT,
                                    assignment_id=getattr(assignment, "id", None), added_by_id=actor.id))
    return [name for name, _data in files]


def comment_incoming(doc: IncomingDocument, *, actor, text: str, files=()) -> None:
    """An opinion or comment on `doc`, optionally with result files (PDF); the actor's open assignments move to
    `in_progress`. Anyone who sees the document may comment while it is open."""
    text = (text or "").strip()
    if not text and not files:
        raise ValidationFailed(_("Write a comment or add a file."), details={"fields": ["text"]})
    if doc.state not in (DIRECTED, "registered", "received"):
        raise Conflict(_("This document is closed."), code="wrong_state")
    open_mine = [a for a in access.my_assignments(actor, doc) if a.state != DONE]
    names = _store_results(doc, open_mine[0] if open_mine else None, files, actor)
    _start(actor, doc)
    db.session.flush()
    record_action(doc, "comment", actor=actor, comment=text, data={"files": names})


def mark_read(doc: IncomingDocument, *, actor) -> bool:
    """Record that `actor` opened `doc`: their new assignments become `read` (once). Returns whether any did."""
    fresh = [a for a in access.my_assignments(actor, doc) if a.state == NEW]
    for assignment in fresh:
        assignment.state, assignment.read_at = READ, utcnow()
    if fresh:
        db.session.flush()
        record_action(doc, "read", actor=actor, data={"assignments": [a.id for a in fresh]})
    return bool(fresh)


def request_extension(assignment: Assignment, *, actor, deadline: date, reason: str) -> ExtensionRequest:
    """Ask the directing leader for a later deadline on `assignment` (one pending request at a time)."""
    if not access.can_handle(actor, assignment) or assignment.deadline is None:
        raise Forbidden(_("You cannot ask for more time on this work."))
    if not isinstance(deadline, date) or deadline <= assignment.deadline:
        raise ValidationFailed(_("The new deadline must be later than the current one."),
                               details={"fields": ["deadline"]})
    pending = db.session.scalar(db.select(ExtensionRequest.id).where(
        ExtensionRequest.assignment_id == assignment.id, ExtensionRequest.state == PENDING))
    if pending:
        raise Conflict(_("A request for more time is already waiting."), code="extension_pending")
    request = ExtensionRequest(assignment_id=assignment.id, requested_by_id=actor.id, requested_deadline=deadline,
                               reason=(reason or "").strip()[:2000])
    db.session.add(request)
    db.session.flush()
    record_action(assignment.document, "extension_request", actor=actor, comment=request.reason, data={
        "request_id": request.id, "assignment_id": assignment.id, "from": assignment.deadline.isoformat(),
        "to": deadline.isoformat()})
    return request


def decide_extension(request: ExtensionRequest, *, actor, approve: bool, comment: str = "") -> ExtensionRequest:
    """The directing leader approves (the assignment takes the new deadline) or refuses a pending request."""
    assignment = request.assignment
    doc = assignment.document
    if not access.can_decide_extension(actor, doc):
        raise Forbidden(_("Only the leader who directed the document decides on more time."))
    if request.state != PENDING:
        raise Conflict(_("This request has already been decided."), code="wrong_state")
    old = assignment.deadline
    request.state, request.decided_by_id, request.decided_at = (APPROVED if approve else REFUSED), actor.id, utcnow()
    if approve:
        assignment.deadline = request.requested_deadline
    db.session.flush()
    record_action(doc, "extension_approve" if approve else "extension_refuse", actor=actor, comment=comment, data={
        "request_id": request.id, "assignment_id": assignment.id, "from": old.isoformat() if old else None,
        "to": request.requested_deadline.isoformat()})
    return request


def complete_assignment(assignment: Assignment, *, actor, comment: str = "", files=()) -> Assignment:
    """Finish `assignment` (with an optional closing opinion and result files). When it is the leader's lead
    assignment, the document is completed."""
    doc = assignment.document
    if not access.can_handle(actor, assignment):
        raise Forbidden(_("You cannot complete this work."))
    names = _store_results(doc, assignment, files, actor)
    now = utcnow()
    assignment.state, assignment.done_at = DONE, now
    assignment.read_at = assignment.read_at or now
    # A handed-down piece of work finishes its parent once every child of the parent with the same role is
    # done, up the chain: the specialist a unit head gave the lead to completes the unit's lead, and so the
    # document.
    finished, current = [], assignment
    while current.parent_id is not None:
        parent = current.parent
        siblings = db.session.scalars(select(Assignment).where(Assignment.parent_id == parent.id,
                                                               Assignment.role == parent.role)).all()
        if parent.state == DONE or any(a.state != DONE for a in siblings):
            break
        parent.state, parent.done_at = DONE, now
        parent.read_at = parent.read_at or now
        finished.append(parent.id)
        current = parent
    completes = current.role == LEAD and current.parent_id is None and current.state == DONE
    if completes:
        doc.state, doc.completed_at = COMPLETED, now
    db.session.flush()
    record_action(doc, "complete", actor=actor, comment=(comment or "").strip(), data={
        "assignment_id": assignment.id, "role": assignment.role, "files": names, "document_completed": completes,
        "parents_completed": finished})
    return assignment
