"""`afterward demo`: build (once) a demo store with three years of history, the last six
months of it run through the journeys, then serve it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from afterward import demo as sizes
from afterward.cli.common import console, fail, migrated_database, settings
from afterward.process import freeze_start_up_heap

if TYPE_CHECKING:
    from afterward.demo.build import DemoSummary


def demo(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
         port: int = typer.Option(8000, help="Port to listen on."),
         reset: bool = typer.Option(False, "--reset",
                                    help="Drop the demo store's data and build it again."),
         serve: bool = typer.Option(True, "--serve/--no-serve",
                                    help="Serve it afterwards (--no-serve: build only)."),
         customers: int = typer.Option(sizes.DEFAULT_CUSTOMERS, min=1, hidden=True),
         orders: int = typer.Option(sizes.DEFAULT_ORDERS, min=1, hidden=True),
         days: int = typer.Option(sizes.DEFAULT_DAYS, min=7, max=3650, hidden=True),
         replay_days: int = typer.Option(sizes.DEFAULT_REPLAY_DAYS, min=1, max=3650,
                                         hidden=True),
         seed: int = typer.Option(sizes.DEFAULT_SEED, hidden=True)) -> None:
    """Create a demo store with realistic history, then serve it.

    Builds store "demo" (Northwind Goods) once: 900 customers and their 970 orders over
    the last three years, with parcels and their scans; the last six months are
    replayed through the built-in journeys as they happened (enrolments, holdouts,
    messages in the outbox, late parcels apologised for; a treated shopper sometimes
    orders again in answer to a message, which is the demo's assumption, not a
    measurement). About 45 s on a 2-core machine. Later runs reuse it. Sign in at /admin
    as admin@demo.local; the password and API key are derived from AFTERWARD_SECRET_KEY
    (or the directory's dev secret), so every run prints the same.
    """
    try:
        from afterward.demo.build import STEPS, build_demo
    except ImportError as exc:  # numpy lives in the "demo" extra
        if exc.name != "numpy":
            raise
        fail("the demo needs numpy: pip install 'afterward[demo]'")
    if orders < customers:
        fail("--orders must be at least --customers: every demo customer buys once")
    config = settings()
    db = migrated_database(config)
    freeze_start_up_heap()
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description:<32}"), BarColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("Looking for the demo store", total=len(STEPS))

            def step(label: str) -> None:
                stage = next((s for s in STEPS if label.startswith(s)), None)
                done = STEPS.index(stage) if stage is not None else 0
                progress.update(task, description=label, completed=done)

            summary = build_demo(db, secret_key=config.secret_key, customers=customers,
                                 orders=orders, days=days, replay_days=replay_days,
                                 seed=seed, reset=reset, step=step,
                                 public_url=config.public_url)
        if serve:
            # Recorded carrier events move the newest parcels while you watch
            # (one recorded hour every 30 s); parcels already replaying are skipped.
            from afterward.tracking import replay

            with db.transaction() as session:
                replay.start_replay(session, store_id=summary.store_id, speed=120, limit=50)
    finally:
        db.dispose()
    base = f"http://{_display_host(host)}:{port}"
    text = banner(summary, base, serving=serve)
    if not serve:
        console.print(text, highlight=False)
        return
    if host not in {"127.0.0.1", "localhost", "::1"}:
        text += ("\n[yellow]warning:[/yellow] listening beyond this machine: anyone who can "
                 "reach it can sign in with the demo password above.")
    from afterward.cli.main import run_server

    run_server(host=host, port=port, with_worker=True, banner=text)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def banner(summary: DemoSummary, base: str, *, serving: bool) -> str:
    counts = summary.counts
    if summary.created:
        headline = (f"[bold green]Demo store built[/bold green] in {summary.seconds:.1f} s: "
                    f"{counts['customers']:,} customers, {counts['orders']:,} orders, "
                    f"{counts['shipments']:,} shipments, replayed through the journeys "
                    f"({summary.answered:,} orders placed in answer to their messages).")
    else:
        headline = (f"[bold]Demo store found[/bold] ({counts['orders']:,} orders); "
                    "reusing it (--reset builds it again).")
    password = summary.admin_password or (
        "(set with another AFTERWARD_SECRET_KEY: run `afterward demo --reset`)")
    api_key = summary.api_key or "(created with another secret key: `afterward store key demo`)"
    status = (summary.tracking_status or "").replace("_", " ")
    tracking = (f"  Tracking page  (a parcel that is {status})\n"
                f"    {base}/t/{summary.tracking_token}"
                if summary.tracking_token else "  Tracking page  (no parcels yet)")
    lines = [
        headline,
        "",
        f"  Admin          {base}/admin",
        f"  Journeys       {base}/admin/journeys  (results against each holdout)",
        f"  Sign in        {summary.admin_email}",
        f"  Password       {escape(password)}",
        f"  API docs       {base}/docs",
        f"  API key        {escape(api_key)}",
        tracking,
        "  Webhook secrets for store [bold]demo[/bold]:",
        *(f"    {provider:<10} {escape(secret)}"
          for provider, secret in summary.webhook_secrets.items()),
        "",
        "  The password and key are derived from the server's secret key, so each run",
        "  in this directory prints the same ones.",
    ]
    if serving:
        lines.append(f"\nServing on {base} with a job worker; Ctrl+C stops.")
    return "\n".join(lines)
