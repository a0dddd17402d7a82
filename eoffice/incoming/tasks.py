"""Background jobs of incoming documents."""

from __future__ import annotations

from datetime import date

from eoffice.core.time import local_today
from eoffice.extensions import jobs
from eoffice.incoming.services import remind_deadlines


@jobs.periodic("incoming.deadline_reminders", minutes_setting="INCOMING_REMINDER_MINUTES")
def deadline_reminders(today: str | None = None) -> dict:
    """Notify holders of near-due and overdue assignments; `today` (ISO date) replaces the date in Vietnam, for
    a catch-up run or a test."""
    return remind_deadlines(date.fromisoformat(today) if today else local_today())
