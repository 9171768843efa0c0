"""How `afterward reviews import` and `afterward loyalty import` run a file brought over
from another tool (commerce/ingest/csv_table.py): the store found by its slug, the file
read and written under a progress bar (in the import's own transactions), bad rows
printed by line, and a refused file reported as such (exit code 1, nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from afterward.cli.common import fail, migrated_database, print_json, store_named
from afterward.cli.importer import progress_bar
from afterward.commerce.ingest.csv_format import ProgressFn
from afterward.commerce.ingest.csv_table import ImportRefused, Report
from afterward.storage.db import Database

R = TypeVar("R", bound=Report)  # the import's own report (csv_table.Report or richer)


def run(file: Path, *, store: str, read: Callable[[bytes, ProgressFn], tuple[list[Any], R]],
        write: Callable[[Database, int, list[Any], R, ProgressFn], R], as_json: bool,
        summary: Callable[[R], str]) -> None:
    """Read `file`, write its rows into the store `store` (`write(database, store id,
    rows, report, progress)` gives the report or raises ImportRefused; the import
    commits as it sees fit: all at once, or in chunks after checking every row), print
    the report (as JSON with `as_json`, else each error by line, then `summary`)."""
    db = migrated_database()
    try:
        with db.reading() as session:
            store_id = store_named(session, store).id
        with progress_bar() as progress:
            rows, report = read(file.read_bytes(), progress)
            try:
                report = write(db, store_id, rows, report, progress)
                refused = False
            except ImportRefused as exc:
                report, refused = cast(R, exc.report), True  # the one `read` made
    finally:
        db.dispose()
    if as_json:
        print_json(report.as_dict())
    else:
        for error in report.errors:
            print(error)
        if not report.errors or report.imported or report.already:
            print(summary(report))
    if refused:
        fail(f"{len(report.errors)} error(s) in {file.name}; nothing was imported"
             + ("" if report.unreadable else " (--skip-bad imports the good rows)"))
