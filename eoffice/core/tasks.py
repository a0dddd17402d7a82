"""The sweeper: a job whose hand-off to the queue was lost (a crash between commit and enqueue, a queue wiped)
is queued again, and a run whose worker died is marked failed, so nothing waits forever unseen."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from eoffice.core.jobs import FAILED, QUEUED, RUNNING, JobRun
from eoffice.core.transaction import after_commit
from eoffice.core.time import utcnow
from eoffice.extensions import db, jobs

#: A queued run older than this was lost on its way to the queue.
LOST_AFTER = timedelta(minutes=10)
#: A run still "running" after this lost its worker.
DEAD_AFTER = timedelta(hours=2)


@jobs.periodic("jobs.sweep", minutes_setting="JOBS_SWEEP_MINUTES")
def sweep_jobs():
    now = utcnow()
    queue = current_app.extensions["eoffice.jobs"]
    requeued = []
    for run in db.session.scalars(select(JobRun).where(
            JobRun.status == QUEUED, JobRun.periodic.is_(False), JobRun.created_at < now - LOST_AFTER)):
        if run.name in queue.tasks:
            args, run_id, name = json.loads(run.args), run.id, run.name
            run.created_at = now  # a fresh grace period before the next sweep looks at it again
            after_commit(lambda name=name, args=args, run_id=run_id: queue.tasks[name](*args, job_run_id=run_id))
            requeued.append(run_id)
    dead = []
    for run in db.session.scalars(select(JobRun).where(JobRun.status == RUNNING, JobRun.started_at < now - DEAD_AFTER)):
        run.status, run.error, run.finished_at = FAILED, "the worker stopped while running this job", now
        dead.append(run.id)
    return {"requeued": requeued, "dead": dead}


@jobs.task("files.delete_unreferenced")
def delete_unreferenced_files(digests: list[str]) -> dict:
    """Remove from the store the files no StoredFile row names any more (content-addressed: bytes are shared)."""
    from eoffice.core.files import StoredFile
    from eoffice.core.storage import get_store

    still = set(db.session.scalars(select(StoredFile.sha256).where(StoredFile.sha256.in_(digests))))
    gone = [digest for digest in digests if digest not in still]
    for digest in gone:
        get_store().delete(digest)
    return {"deleted": gone, "kept": sorted(still)}
