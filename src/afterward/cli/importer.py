"""`afterward import ...`: bring history in from files (docs/csv-import.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError

from afterward.cli.common import console, fail, migrated_database, print_json, store_named
from afterward.commerce.ingest.csv_format import ProgressFn
from afterward.commerce.ingest.csv_import import ImportReport, OnError, import_orders
from afterward.process import freeze_start_up_heap

app = typer.Typer(no_args_is_help=True, help="Import data from files.")

_PHASES = {"reading": "reading and checking", "writing": "writing"}


@app.command("orders")
def orders(file: Path = typer.Argument(..., help="CSV file, one row per order line.",
                                       exists=True, dir_okay=False, readable=True),
           store: str = typer.Option(..., "--store", help="Slug of the store to import into."),
           on_error: OnError = typer.Option(OnError.reject, "--on-error",
                                            help="reject: import nothing if any row is bad; "
                                                 "skip: import the good orders whole."),
           as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")
           ) -> None:
    """Import orders (with customers, lines, events and jobs) in one transaction."""
    freeze_start_up_heap()
    db = migrated_database()
    try:
        with db.reading() as session:
            store_id = store_named(session, store).id
        with progress_bar() as progress:
            report = import_orders(db, store_id=store_id, source=file, on_error=on_error,
                                   progress=progress)
    except DBAPIError as exc:
        # Validation ran first, so this is the database itself, e.g. an order number
        # that a concurrent writer took after the check: everything was rolled back.
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else exc
        fail(f"the database refused the import; nothing was imported: {reason}")
    finally:
        db.dispose()
    _print(report, as_json)
    if report.unreadable or (report.errors and on_error is OnError.reject):
        fail(f"{len(report.errors)} error(s) in {file.name}; nothing was imported")


def _print(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    for error in report.errors:
        print(error)
    if report.imported_orders or not report.errors:
        print(f"imported {report.imported_orders} orders ({report.imported_lines} lines); "
              f"skipped {report.skipped_orders} orders")


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        tasks: dict[str, object] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        yield update
