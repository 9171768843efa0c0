"""Top-level commands; each group lives in its own module."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

import typer
import uvicorn

from afterward import modules
from afterward.cli import admin, bench, customers, demo, insights, jobs
from afterward.cli.common import console, fail, migrated_database, settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Afterward: the post-purchase experience platform.")
app.add_typer(admin.app, name="admin")
app.add_typer(customers.app, name="customers")
app.add_typer(jobs.app, name="jobs")
app.add_typer(insights.app, name="insights")
for _module in modules.installed():  # each installed module's command groups
    for _name, _group in _module.cli:
        app.add_typer(modules.resolve(_group), name=_name)
app.command("demo")(demo.demo)
app.command("bench")(bench.bench)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from afterward.storage.migrate import upgrade

    config = settings()
    try:
        upgrade(config.database_url)
    except Exception as exc:
        fail(f"migration failed: {exc}")
    console.print("schema is up to date")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          worker: bool = typer.Option(True, "--worker/--no-worker",
                                      help="Run a job worker in this process too."),
          workers: int = typer.Option(1, help="HTTP worker processes (PostgreSQL: more than 1)."),
          ) -> None:
    """Serve the API, shopper pages and admin (and, by default, one job worker)."""
    run_server(host=host, port=port, with_worker=worker, processes=workers)


def run_server(*, host: str, port: int, with_worker: bool, processes: int = 1,
               banner: str | None = None) -> None:
    import threading

    from afterward.cli.serving import ServerWithWorker, Stopping
    from afterward.worker import Worker, load_handlers

    config = settings()
    db = migrated_database(config)
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    background: Worker | None = None
    thread: threading.Thread | None = None
    if with_worker:
        load_handlers(config.plugins)
        background = Worker(db, lease_seconds=config.job_lease_seconds)
        thread = threading.Thread(target=background.run, name="worker", daemon=True)
        thread.start()
    if banner:
        console.print(banner, highlight=False)
    # SIGTERM: see cli/serving.py. uvicorn re-raises the signal once it has shut down;
    # the handler below takes it, so the process ends normally (exit status 0).
    grace = config.shutdown_grace_seconds
    stopping = Stopping(background, grace)
    _on_stop_signal(stopping.stop)
    try:
        if processes > 1:
            uvicorn.run("afterward.app:create_served_app", factory=True, host=host, port=port,
                        workers=processes, log_level="warning", access_log=False,
                        timeout_graceful_shutdown=grace)
        else:
            from afterward.app import create_app, ready_to_serve

            app_ = ready_to_serve(create_app(config, db))
            ServerWithWorker(uvicorn.Config(app_, host=host, port=port, log_level="warning",
                                            access_log=False, timeout_graceful_shutdown=grace),
                             stopping).run()
    finally:
        stopping.finish(thread)


def _on_stop_signal(stop: Callable[[], None]) -> None:
    def handler(_signum: int, _frame: object) -> None:
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@app.command()
def worker(concurrency: int = typer.Option(1, min=1, max=64, help="Worker threads."),
           until_idle: bool = typer.Option(False, help="Exit when no job is due.")) -> None:
    """Run job workers until SIGTERM (or, with --until-idle, until the queue is empty)."""
    from afterward.process import freeze_start_up_heap
    from afterward.worker import Worker, load_handlers, run_workers

    config = settings()
    db = migrated_database(config)
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_handlers(config.plugins)
    modules.configure(config)
    db.checkpoint_in_background()  # as `serve`'s: no batch waits for a checkpoint
    freeze_start_up_heap()
    if until_idle:
        done = Worker(db, lease_seconds=config.job_lease_seconds).run(until_idle=True)
        console.print(f"{done} jobs run")
        return
    run_workers(db, concurrency=concurrency, lease_seconds=config.job_lease_seconds,
                grace_seconds=config.shutdown_grace_seconds)
