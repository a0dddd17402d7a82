"""Side effects that must wait for the commit (queueing a job, deleting a file, re-indexing).

`after_commit(fn)` remembers `fn` on the current session; it runs once the session commits and is forgotten
if it rolls back, so a failed request never leaves a job behind for rows that do not exist.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "eoffice.after_commit"


def after_commit(fn: Callable[[], None]) -> None:
    from eoffice.extensions import db

    db.session().info.setdefault(_KEY, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    # Only the outermost commit releases side effects: a savepoint commit is not durable yet.
    if session.in_nested_transaction():
        return
    callbacks = session.info.pop(_KEY, [])
    for fn in callbacks:
        try:
            fn()
        except Exception:
            # The change is committed; a failed hand-off is picked up by the sweeper, not reported as a failure
            # of the request that already succeeded.
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
