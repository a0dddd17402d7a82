"""Durable background jobs on Huey, with every run recorded in the `job_run` table.

Embedded default: Huey's SQLite storage in the instance directory, run by `flask --app wsgi jobs worker`, so no
server is needed. Production: `EOFFICE_JOBS_URL=redis://…` puts the queue on Redis, shared by many hosts.

Jobs receive ids, never ORM objects, and are enqueued only after the transaction that asked for them commits
(`enqueue` writes the `job_run` row in the caller's transaction and hands the job to Huey on commit), so a worker
never looks for a row that is not there yet. The runner pushes an app context, commits once, and records the
outcome; a failure rolls the job's own changes back and is retried by Huey.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.core.db import Base, UTCDateTime
from eoffice.core.time import utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, RETRYING = "queued", "running", "succeeded", "failed", "retrying"


class JobRun(Base):
    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Registered job name, e.g. `audit.check_chain`.
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    #: JSON list of the job's arguments (ids and plain values only).
    args: Mapped[str] = mapped_column(sa.Text, default="[]")
    #: queued → running → succeeded | retrying | failed.
    status: Mapped[str] = mapped_column(sa.String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: JSON result of the last successful run.
    result: Mapped[str | None] = mapped_column(sa.Text)
    #: Exception type and message of the last failure (never shown to clients).
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: Set by periodic jobs, which nobody enqueues.
    periodic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def result_data(self):
        return json.loads(self.result) if self.result else None


class JobQueue:
    """Registry of the application's jobs. Each application gets its own Huey instance (`AppJobs`, in
    `app.extensions["eoffice.jobs"]`), so that several applications in one process (tests, tools) never share a
    queue."""

    def __init__(self):
        self._tasks: dict[str, tuple[Callable, int]] = {}
        self._periodic: dict[str, tuple[Callable, str]] = {}

    def task(self, name: str, retries: int = 2):
        """Register `fn` as the job `name`; it runs with an app context and returns a JSON-serialisable value."""

        def decorator(fn):
            self._tasks[name] = (fn, retries)
            return fn

        return decorator

    def periodic(self, name: str, minutes_setting: str):
        """Register `fn` to run every `app.config[minutes_setting]` minutes in the worker."""

        def decorator(fn):
            self._periodic[name] = (fn, minutes_setting)
            return fn

        return decorator

    def init_app(self, app) -> None:
        app.extensions["eoffice.jobs"] = AppJobs(app, self._tasks, self._periodic)

    def enqueue(self, name: str, *args) -> JobRun:
        """Record a run of job `name` in the current transaction and queue it once that transaction commits."""
        from flask import current_app

        return current_app.extensions["eoffice.jobs"].enqueue(name, *args)


class AppJobs:
    """The Huey instance of one application and its tasks."""

    def __init__(self, app, tasks: dict, periodic: dict):
        from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

        url = app.config["JOBS_URL"]
        if app.config["JOBS_IMMEDIATE"]:
            huey = MemoryHuey("eoffice", immediate=True)
        elif url.startswith(("redis://", "rediss://", "unix://")):
            huey = RedisHuey(app.config["JOBS_QUEUE_NAME"], url=url)
        elif url:
            raise ValueError(f"EOFFICE_JOBS_URL: unsupported job store {url!r} (use redis://… or leave empty)")
        else:
            huey = SqliteHuey("eoffice", filename=f"{app.instance_path}/jobs.sqlite3")
        self.huey = huey
        self.tasks = {}
        for name, (fn, retries) in tasks.items():
            self.tasks[name] = huey.task(retries=retries, retry_delay=5, name=name, context=True)(
                _make_runner(app, name, fn))
        for name, (fn, setting) in periodic.items():
            minutes = max(1, int(app.config[setting]))
            schedule = crontab(minute="0") if minutes == 60 else crontab(minute=f"*/{minutes}")
            self.tasks[name] = huey.periodic_task(schedule, name=name, context=True)(
                _make_runner(app, name, fn, periodic=True))

    def enqueue(self, name: str, *args) -> JobRun:
        from eoffice.core.transaction import after_commit
        from eoffice.extensions import db

        if name not in self.tasks:
            raise KeyError(f"unknown job {name!r}")
        run = JobRun(name=name, args=json.dumps(list(args)), status=QUEUED)
        db.session.add(run)
        db.session.flush()
        run_id = run.id
        after_commit(lambda: self.tasks[name](*args, job_run_id=run_id))
        return run

    def run_now(self, name: str, *args):
        """Execute a job synchronously through the same runner the worker uses (CLI and tests)."""
        return self.tasks[name].call_local(*args, job_run_id=None)

    def consumer(self, workers: int = 1, **options):
        return self.huey.create_consumer(workers=workers, worker_type="thread", **options)


def _make_runner(app, name: str, fn: Callable, periodic: bool = False):
    def runner(*args, job_run_id=None, task=None):
        from eoffice.extensions import db

        with app.app_context():
            run = db.session.get(JobRun, job_run_id) if job_run_id else None
            if run is None:
                run = JobRun(name=name, args=json.dumps(list(args)), periodic=periodic)
                db.session.add(run)
            run.status, run.started_at, run.attempts = RUNNING, utcnow(), (run.attempts or 0) + 1
            db.session.commit()
            run_id = run.id
            try:
                result = fn(*args)
                run = db.session.get(JobRun, run_id)
                run.status, run.result, run.error = SUCCEEDED, json.dumps(result, default=str), None
                run.finished_at = utcnow()
                db.session.commit()
                return result
            except Exception as exc:
                db.session.rollback()
                log.exception("job %s (run %s) failed", name, run_id)
                run = db.session.get(JobRun, run_id)
                retries_left = getattr(task, "retries", 0) if task is not None else 0
                run.status = RETRYING if retries_left else FAILED
                run.error = f"{type(exc).__name__}: {exc}"
                run.finished_at = utcnow()
                db.session.commit()
                raise

    runner.__name__ = name.replace(".", "_")
    return runner
