"""The lists of incoming documents: all (with filters), the inbox, the leader's "to direct" list, near-due and
overdue work. Every one starts from `access.visible_documents`, so none can show more than the actor may see."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select

from eoffice.core.permissions import LEADER
from eoffice.extensions import db
from eoffice.incoming.access import visible_documents
from eoffice.incoming.models import (
    DIRECTED, DONE, INFO, OVERDUE, REGISTERED, Assignment, IncomingDocument, Notification,
)
from eoffice.incoming.services.reminders import NEAR_DAYS

#: Most urgent first, then the nearest due date, then the newest.
URGENCY_ORDER = (IncomingDocument.urgency.desc(), IncomingDocument.due_date.is_(None),
                 IncomingDocument.due_date, IncomingDocument.id.desc())


def list_documents(actor, *, state=None, q=None, urgency=None, secrecy=None, date_from=None, date_to=None,
                   book_id=None, limit: int = 200) -> list[IncomingDocument]:
    """Documents `actor` may see, filtered, most urgent first."""
    d = IncomingDocument
    query = visible_documents(actor)
    if state:
        query = query.where(d.state == state)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(d.subject).like(like), func.lower(d.code_notation).like(like),
                                func.lower(d.issuer_name).like(like), d.code_number == q.strip()))
    if urgency is not None:
        query = query.where(d.urgency == urgency)
    if secrecy is not None:
        query = query.where(d.secrecy == secrecy)
    if date_from:
        query = query.where(d.arrival_date >= date_from)
    if date_to:
        query = query.where(d.arrival_date <= date_to)
    if book_id:
        query = query.where(d.book_id == book_id)
    return list(db.session.scalars(query.order_by(*URGENCY_ORDER).limit(limit)))


def _held(actor):
    held = Assignment.user_id == actor.id
    if actor.unit_id:
        held = or_(held, Assignment.unit_id == actor.unit_id)
    return held


def inbox(actor, *, state: str | None = None, today: date) -> list[tuple[Assignment, IncomingDocument]]:
    """The actor's assignments (to them, or to their unit) on documents they see; `state` is new, read,
    in_progress, done or overdue. Most urgent first, then by deadline."""
    visible = visible_documents(actor).subquery()
    query = (select(Assignment, IncomingDocument).join(visible, visible.c.id == Assignment.document_id)
             .join(IncomingDocument, IncomingDocument.id == Assignment.document_id).where(_held(actor)))
    if state == OVERDUE:
        query = query.where(Assignment.state != DONE, Assignment.deadline < today, IncomingDocument.state == DIRECTED)
    elif state:
        query = query.where(Assignment.state == state)
    query = query.order_by(IncomingDocument.urgency.desc(), Assignment.state == DONE, Assignment.deadline.is_(None),
                           Assignment.deadline, Assignment.id.desc())
    return [tuple(row) for row in db.session.execute(query.limit(500)).all()]


def to_direct(actor) -> list[IncomingDocument]:
    """Registered documents waiting for this leader's direction."""
    if not actor.has_role(LEADER):
        return []
    d = IncomingDocument
    query = visible_documents(actor).where(
        d.state == REGISTERED, or_(d.presented_to_id.is_(None), d.presented_to_id == actor.id))
    return list(db.session.scalars(query.order_by(*URGENCY_ORDER)))


def deadline_work(actor, *, today: date, overdue: bool) -> list[tuple[Assignment, IncomingDocument]]:
    """Open work on documents the actor sees: past its deadline (`overdue`) or due within NEAR_DAYS working days."""
    visible = visible_documents(actor).subquery()
    query = (select(Assignment, IncomingDocument).join(visible, visible.c.id == Assignment.document_id)
             .join(IncomingDocument, IncomingDocument.id == Assignment.document_id)
             .where(IncomingDocument.state == DIRECTED, Assignment.state != DONE, Assignment.role != INFO))
    if overdue:
        query = query.where(Assignment.deadline < today)
    else:
        # NEAR_DAYS working days ahead is at most NEAR_DAYS + 2 calendar days (a weekend in between).
        horizon = today
        for _ in range(NEAR_DAYS):
            horizon += timedelta(days=1)
            while horizon.weekday() >= 5:
                horizon += timedelta(days=1)
        query = query.where(Assignment.deadline >= today, Assignment.deadline <= horizon)
    query = query.order_by(Assignment.deadline, IncomingDocument.urgency.desc())
    return [tuple(row) for row in db.session.execute(query.limit(500)).all()]


def notifications(actor, *, unread_only: bool = False) -> list[Notification]:
    """The actor's notifications about documents they still see, newest first."""
    visible = visible_documents(actor).subquery()
    query = (select(Notification).join(visible, visible.c.id == Notification.document_id)
             .where(Notification.user_id == actor.id))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(200)))


def unread_count(actor) -> int:
    return db.session.scalar(select(func.count()).select_from(
        select(Notification.id).where(Notification.user_id == actor.id, Notification.read_at.is_(None)).subquery()))
