"""Deadline reminders: in-app notifications for assignments due within two working days and for overdue ones."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from eoffice.accounts.models import User
from eoffice.extensions import db
from eoffice.incoming.models import DIRECTED, DONE, INFO, NEAR_DUE, OVERDUE, Assignment, IncomingDocument, Notification

#: How many working days ahead a deadline counts as near.
NEAR_DAYS = 2


def working_days_between(start: date, end: date) -> int:
    """Working days (Monday to Friday) after `start` up to and including `end`; 0 when `end` is not later."""
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def _recipients(assignment: Assignment) -> list[int]:
    if assignment.user_id:
        return [assignment.user_id]
    return list(db.session.scalars(select(User.id).where(User.unit_id == assignment.unit_id, User.active.is_(True))))


def remind_deadlines(today: date) -> dict:
    """Notify the holders of open assignments (of documents still being handled) whose deadline is within
    NEAR_DAYS working days of `today` (near_due) or already passed (overdue). Each user gets each kind once per
    assignment, however often this runs. Returns the counts of notifications created."""
    rows = db.session.scalars(
        select(Assignment).join(IncomingDocument, IncomingDocument.id == Assignment.document_id)
        .where(IncomingDocument.state == DIRECTED, Assignment.state != DONE, Assignment.role != INFO,
               Assignment.deadline.is_not(None))
    ).all()
    existing = set()
    if rows:
        existing = set(db.session.execute(select(Notification.assignment_id, Notification.user_id, Notification.kind)
                                          .where(Notification.assignment_id.in_([a.id for a in rows]))).all())
    created = {NEAR_DUE: 0, OVERDUE: 0}
    for assignment in rows:
        if assignment.deadline < today:
            kind = OVERDUE
        elif working_days_between(today, assignment.deadline) <= NEAR_DAYS:
            kind = NEAR_DUE
        else:
            continue
        for user_id in _recipients(assignment):
            if (assignment.id, user_id, kind) in existing:
                continue
            db.session.add(Notification(agency_id=assignment.agency_id, user_id=user_id, kind=kind,
                                        document_id=assignment.document_id, assignment_id=assignment.id,
                                        deadline=assignment.deadline))
            existing.add((assignment.id, user_id, kind))
            created[kind] += 1
    db.session.flush()
    return created


def mark_notifications_read(actor) -> int:
    """Mark every unread notification of `actor` as read; returns how many."""
    from eoffice.core.time import utcnow

    rows = db.session.scalars(select(Notification).where(Notification.user_id == actor.id,
                                                         Notification.read_at.is_(None))).all()
    for row in rows:
        row.read_at = utcnow()
    db.session.flush()
    return len(rows)
