"""Done jobs older than the retention period are deleted; every other job stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from afterward import jobs, retention
from afterward.cli.main import app
from afterward.jobs import Job, JobContext
from afterward.storage.types import utcnow

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def a_job(db, kind: str, status: str, finished_days_ago: float | None) -> int:
    with db.transaction() as session:
        job_id = jobs.enqueue(session, kind, {}, run_at=NOW - timedelta(days=30))
        finished = None if finished_days_ago is None else NOW - timedelta(days=finished_days_ago)
        session.execute(update(Job).where(Job.id == job_id).values(status=status,
                                                                   finished_at=finished))
        assert job_id is not None
        return job_id


def kinds_left(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(Job.kind).order_by(Job.id)))


def test_only_done_jobs_finished_before_the_cut_are_deleted(db):
    a_job(db, "old-done", "done", 8)
    a_job(db, "recent-done", "done", 6)
    a_job(db, "old-dead", "dead", 30)
    a_job(db, "waiting", "queued", None)

    with db.transaction() as session:
        gone = retention.purge_done(session, before=NOW - timedelta(days=7))

    assert gone == 1
    assert kinds_left(db) == ["recent-done", "old-dead", "waiting"]


def test_a_purge_run_deletes_and_schedules_the_next_slot_once(db):
    a_job(db, "ancient", "done", 400)
    with db.transaction() as session:
        retention.run_purge(session, JobContext(job_id=0, store_id=None, attempt=1,
                                                payload={"keep_days": 7}))
        retention.run_purge(session, JobContext(job_id=0, store_id=None, attempt=1,
                                                payload={"keep_days": 7}))

    with db.reading() as session:
        queued = session.execute(select(Job.kind, Job.run_at, Job.payload)).all()
    assert [(kind, payload) for kind, _, payload in queued] == [
        (retention.PURGE_JOB, {"keep_days": 7})]
    assert queued[0][1] > utcnow()


def test_the_cli_purges_with_the_age_given(db, db_url, monkeypatch):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "yesterday", {})
        session.execute(update(Job).where(Job.id == job_id).values(
            status="done", run_at=utcnow() - timedelta(days=2),
            finished_at=utcnow() - timedelta(days=2)))

    kept = CliRunner().invoke(app, ["jobs", "purge"])
    purged = CliRunner().invoke(app, ["jobs", "purge", "--older-than-days", "1"])

    assert (kept.exit_code, purged.exit_code) == (0, 0)
    assert "0 done job(s) deleted" in kept.output
    assert "1 done job(s) deleted" in purged.output
    assert kinds_left(db) == []


def test_a_long_running_worker_schedules_the_purge_once(db):
    from afterward.worker import load_handlers, start_periodic

    load_handlers()
    start_periodic(db)
    start_periodic(db)  # a second worker adds nothing

    with db.reading() as session:
        purges = session.scalars(select(Job).where(Job.kind == retention.PURGE_JOB)).all()
    assert len(purges) == 1
    assert jobs.handler_for(retention.PURGE_JOB) is retention.run_purge
