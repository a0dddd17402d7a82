"""The job runner with a real job (the periodic audit-chain check) on both stores: the embedded SQLite store and
Redis. A real Huey consumer runs in threads; the job's run is recorded in the job_run table."""

import json
import time
import uuid

import pytest
import redis
from sqlalchemy import delete, select

from config import TestingConfig


def _app(tmp_path, database_url, **overrides):
    from eoffice import create_app

    return create_app(TestingConfig, overrides={"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url,
                                                "SECRET_KEY": "x", "JOBS_IMMEDIATE": False, **overrides})


def _run_with_consumer(job_app, enqueue):
    from eoffice.core.jobs import JobRun
    from eoffice.extensions import db

    queue = job_app.extensions["eoffice.jobs"]
    with job_app.app_context():
        run_id = enqueue()
    consumer = queue.consumer(workers=1, periodic=False, check_worker_health=False)
    consumer.start()  # worker threads without the signal handlers of run(), which need the main thread
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with job_app.app_context():
                run = db.session.get(JobRun, run_id)
                if run.status in ("succeeded", "failed"):
                    return run.status, json.loads(run.result or "null"), run.attempts
            time.sleep(0.2)
        pytest.fail("the worker did not finish the job in 30 s")
    finally:
        consumer.stop(graceful=True)


def _enqueue_audit_check():
    from eoffice.extensions import db, jobs

    run = jobs.enqueue("audit.check_chain")
    db.session.commit()
    return run.id


@pytest.fixture
def job_database(app, database_url):
    """The suite's migrated database; job rows committed by these tests are removed afterwards."""
    from eoffice.core.jobs import JobRun
    from eoffice.extensions import db

    yield database_url
    with app.app_context():
        db.session.execute(delete(JobRun))
        db.session.commit()


def test_embedded_sqlite_job_store(tmp_path, job_database):
    job_app = _app(tmp_path, job_database)
    assert type(job_app.extensions["eoffice.jobs"].huey).__name__ == "SqliteHuey"
    status, result, attempts = _run_with_consumer(job_app, _enqueue_audit_check)
    assert status == "succeeded" and attempts == 1
    assert result["ok"] is True and "entries" in result
    assert (tmp_path / "jobs.sqlite3").exists()


def test_redis_job_store(tmp_path, job_database):
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"eoffice-test-{uuid.uuid4().hex[:8]}"
    job_app = _app(tmp_path, job_database, JOBS_URL=url, JOBS_QUEUE_NAME=name)
    assert type(job_app.extensions["eoffice.jobs"].huey).__name__ == "RedisHuey"
    try:
        status, result, attempts = _run_with_consumer(job_app, _enqueue_audit_check)
    finally:
        job_app.extensions["eoffice.jobs"].huey.flush()
    assert status == "succeeded" and result["ok"] is True


def test_job_is_queued_only_after_commit(app, db_session):
    from eoffice.core.jobs import JobRun
    from eoffice.extensions import jobs

    with app.app_context():
        run = jobs.enqueue("audit.check_chain")
        db_session.rollback()
        assert db_session.scalar(select(JobRun).where(JobRun.id == run.id)) is None
        run = jobs.enqueue("audit.check_chain")
        db_session.commit()  # immediate mode: the job runs at commit
        db_session.expire_all()
        assert db_session.get(JobRun, run.id).status == "succeeded"


def test_failing_job_is_recorded(app, db_session):
    from eoffice.audit import tasks
    from eoffice.core.jobs import JobRun

    def broken():
        raise RuntimeError("store unreachable")

    from eoffice.core.jobs import _make_runner

    # The runner the worker uses, around a body that fails: the runner (not the test) records the failure.
    runner = _make_runner(app, "audit.check_chain", broken)
    with pytest.raises(RuntimeError):
        runner()
    run = db_session.scalars(select(JobRun).order_by(JobRun.id.desc())).first()
    assert run.status == "failed" and "store unreachable" in run.error
    assert tasks.check_chain is not broken


def test_unknown_job_name_is_refused(app, db_session):
    from eoffice.extensions import jobs

    with pytest.raises(KeyError):
        jobs.enqueue("no.such.job")


def test_cli_runs_a_job(runner, demo):
    result = runner.invoke(args=["jobs", "run", "audit.check_chain"])
    assert result.exit_code == 0 and "'ok': True" in result.output
    missing = runner.invoke(args=["jobs", "run", "nope"])
    assert missing.exit_code == 2


def test_sweeper_requeues_lost_jobs_and_fails_dead_ones(app, db_session):
    from datetime import timedelta

    from eoffice.core.jobs import JobRun
    from eoffice.core.time import utcnow

    old = utcnow() - timedelta(hours=3)
    lost = JobRun(name="audit.check_chain", args="[]", status="queued", created_at=old)
    dead = JobRun(name="audit.check_chain", args="[]", status="running", created_at=old, started_at=old)
    fresh = JobRun(name="audit.check_chain", args="[]", status="queued")
    db_session.add_all([lost, dead, fresh])
    db_session.commit()
    result = app.extensions["eoffice.jobs"].run_now("jobs.sweep")
    assert result["requeued"] == [lost.id] and result["dead"] == [dead.id]
    db_session.expire_all()
    assert db_session.get(JobRun, lost.id).status == "succeeded"  # immediate mode: it ran once queued again
    assert db_session.get(JobRun, dead.id).status == "failed"
    assert db_session.get(JobRun, fresh.id).status == "queued"
