"""`afterward jobs ...`: look at the queue, retry dead jobs."""

from __future__ import annotations

from datetime import timedelta

import typer
from sqlalchemy import func, select

from afterward import jobs as queue
from afterward import retention
from afterward.cli.common import console, fail, migrated_database, print_json
from afterward.storage.types import utcnow

app = typer.Typer(no_args_is_help=True, help="The durable job queue.")


@app.command("list")
def list_jobs(status: str = typer.Option("dead", help="queued, running, done or dead."),
              limit: int = typer.Option(50, min=1, max=1000),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """List jobs (dead ones by default)."""
    if status not in {s.value for s in queue.JobStatus}:
        fail(f"unknown status {status!r}")
    db = migrated_database()
    with db.reading() as session:
        rows = queue.list_jobs(session, status=status, limit=limit)
        data = [{"id": j.id, "kind": j.kind, "store_id": j.store_id, "attempts": j.attempts,
                 "run_at": j.run_at.isoformat(), "last_error": j.last_error} for j in rows]
    if as_json:
        print_json(data)
        return
    for row in data:
        print(f"{row['id']}\t{row['kind']}\tattempts={row['attempts']}\t{row['last_error'] or ''}")


@app.command("stats")
def stats() -> None:
    """Count jobs by status."""
    db = migrated_database()
    with db.reading() as session:
        rows = session.execute(select(queue.Job.status, func.count()).group_by(queue.Job.status))
        print_json({status: count for status, count in rows})


@app.command("retry")
def retry(job_id: int) -> None:
    """Put a dead job back in the queue."""
    db = migrated_database()
    with db.transaction() as session:
        if not queue.retry_dead(session, job_id=job_id):
            fail(f"no dead job {job_id}")
    console.print(f"job {job_id} queued again")


@app.command("purge")
def purge(older_than_days: int = typer.Option(retention.KEEP_DAYS, min=0, max=3650,
                                              help="Keep done jobs younger than this.")
          ) -> None:
    """Delete done jobs finished more than N days ago (dead and waiting ones stay)."""
    db = migrated_database()
    before = utcnow() - timedelta(days=older_than_days)
    total = 0
    while True:
        with db.transaction() as session:
            gone = retention.purge_done(session, before=before)
        total += gone
        if gone < retention.BATCH:
            break
    console.print(f"{total} done job(s) deleted")
