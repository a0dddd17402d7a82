"""Who may see and do what with an incoming document. Every list, page and API route reads documents through
`visible_documents` (or `get_visible`, built on it), so there is one rule to read and to test.

Visibility, inside the actor's agency only (built on `core.tenancy.scoped`):
- clerks see every document of their agency, secret ones included (they register them);
- a leader sees the documents presented to them or directed by them, and the non-secret documents waiting for
  direction that were not presented to another leader;
- a user sees the documents they are named on (an assignment to them);
- a member of a unit sees the non-secret documents assigned to that unit;
- secret documents: only clerks, the leader they were presented to or who directed them, and named assignees.

Re-assignment (no unit-head column is needed): the holder of an assignment hands it down inside the scope of
that assignment. The holder is the named user, or, for an assignment to a unit, any member of that unit (the
unit's inbox is shared, and whoever in the unit takes the document distributes it: in practice the unit head).
The scope is the assigned unit, or the named user's own unit, with all their sub-units at any depth; a child
goes to a sub-unit or a person of that scope, never back to the same holder. The leader who directed the
document may re-assign any of its assignments, inside or outside that scope.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, false, or_, select

from eoffice.accounts.models import Unit
from eoffice.core.errors import NotFound
from eoffice.core.permissions import CLERK, LEADER
from eoffice.core.tenancy import scoped
from eoffice.extensions import db
from eoffice.incoming.models import (COMPLETED, DIRECTED, DONE, RECALLED, REGISTERED, RETURNED, Assignment,
                                     IncomingDocument)


def visible_documents(actor):
    """SELECT of the incoming documents `actor` may see (the rule is in this module's docstring)."""
    query = scoped(IncomingDocument, actor.agency_id)
    if actor.has_role(CLERK):
        return query
    doc = IncomingDocument
    named = exists().where(Assignment.document_id == doc.id, Assignment.user_id == actor.id)
    via_unit = (exists().where(Assignment.document_id == doc.id, Assignment.unit_id == actor.unit_id)
                if actor.unit_id else false())
    # A recalled document stays only with the clerks, as the trail of the recall.
    query = query.where(doc.state != RECALLED)
    rules = [named, and_(doc.secrecy == 0, via_unit)]
    if actor.has_role(LEADER):
        rules += [doc.directed_by_id == actor.id, doc.presented_to_id == actor.id,
                  and_(doc.secrecy == 0, doc.state == REGISTERED, doc.presented_to_id.is_(None))]
    return query.where(or_(*rules))


def get_visible(actor, document_id) -> IncomingDocument:
    """The document if `actor` may see it; 404 otherwise (as if it did not exist)."""
    doc = db.session.scalar(visible_documents(actor).where(IncomingDocument.id == document_id))
    if doc is None:
        raise NotFound(_l("Not found."))
    return doc


def unit_subtree_ids(unit_id: int) -> set[int]:
    """`unit_id` and every unit below it, at any depth."""
    units = db.session.execute(select(Unit.id, Unit.parent_id).where(
        Unit.agency_id == db.session.get(Unit, unit_id).agency_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, parent in units:
        children.setdefault(parent, []).append(uid)
    found, stack = set(), [unit_id]
    while stack:
        uid = stack.pop()
        if uid not in found:
            found.add(uid)
            stack.extend(children.get(uid, ()))
    return found


def holds(actor, assignment: Assignment) -> bool:
    """Whether `actor` is the holder of `assignment` (the named user, or a member of the assigned unit)."""
    if assignment.user_id is not None:
        return assignment.user_id == actor.id
    return actor.unit_id is not None and assignment.unit_id == actor.unit_id


def my_assignments(actor, doc: IncomingDocument) -> list[Assignment]:
    return [a for a in doc.assignments if holds(actor, a)]


def can_register(actor, doc: IncomingDocument) -> bool:
    return actor.has_role(CLERK) and doc.state in ("received",)


def can_return(actor, doc: IncomingDocument) -> bool:
    return actor.has_role(CLERK) and doc.state in ("received", REGISTERED)


def can_direct(actor, doc: IncomingDocument) -> bool:
    return (actor.has_role(LEADER) and doc.state == REGISTERED
            and doc.presented_to_id in (None, actor.id))


def can_reassign(actor, assignment: Assignment) -> bool:
    doc = assignment.document
    if doc.state != DIRECTED or assignment.state == DONE or assignment.role == "info":
        return False
    return (actor.has_role(LEADER) and doc.directed_by_id == actor.id) or holds(actor, assignment)


def reassign_scope(assignment: Assignment) -> set[int]:
    """Unit ids a re-assignment of `assignment` may reach: its unit (or its user's unit) and everything below."""
    unit_id = assignment.unit_id or assignment.user.unit_id
    return unit_subtree_ids(unit_id) if unit_id else set()


def can_handle(actor, assignment: Assignment) -> bool:
    """Comment, add result files, ask for more time, complete: the holder, while the document is open."""
    doc = assignment.document
    # Documents delivered inside the agency reach inboxes "for information" before any direction.
    open_for_it = doc.state == DIRECTED or (assignment.role == "info" and doc.state not in (COMPLETED, RETURNED))
    return open_for_it and assignment.state != DONE and holds(actor, assignment)


def can_decide_extension(actor, doc: IncomingDocument) -> bool:
    return doc.directed_by_id == actor.id and doc.state not in (COMPLETED, RETURNED)


def get_visible_assignment(actor, assignment_id) -> Assignment:
    """An assignment of a document `actor` may see; 404 otherwise."""
    assignment = db.session.scalar(scoped(Assignment, actor.agency_id).where(Assignment.id == assignment_id))
    if assignment is None:
        raise NotFound(_l("Not found."))
    get_visible(actor, assignment.document_id)
    return assignment


def get_visible_extension(actor, request_id):
    """An extension request on a document `actor` may see; 404 otherwise."""
    from eoffice.incoming.models import ExtensionRequest

    request = db.session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound(_l("Not found."))
    get_visible_assignment(actor, request.assignment_id)
    return request


def get_visible_file(actor, document_id, file_id):
    """A file of a document `actor` may see; 404 otherwise."""
    doc = get_visible(actor, document_id)
    found = next((f for f in doc.files if f.id == file_id), None)
    if found is None:
        raise NotFound(_l("Not found."))
    return found


def recipient_choices(agency_id: int, unit_ids: set[int] | None = None) -> list[tuple[str, str]]:
    """`unit:<id>` and `user:<id>` choices of the agency's units and active users (optionally inside units)."""
    from eoffice.accounts.models import User

    units = db.session.scalars(scoped(Unit, agency_id).order_by(Unit.name)).all()
    users = db.session.scalars(scoped(User, agency_id).where(User.active.is_(True)).order_by(User.full_name)).all()
    choices = [(f"unit:{u.id}", u.name) for u in units if unit_ids is None or u.id in unit_ids]
    choices += [(f"user:{u.id}", f"{u.full_name} ({u.unit.abbreviation if u.unit else '—'})") for u in users
                if unit_ids is None or u.unit_id in unit_ids]
    return choices
