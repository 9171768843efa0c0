"""`afterward reviews ...`: reviews brought over from another tool (docs/feedback.md,
"Importing reviews from a CSV file")."""

from __future__ import annotations

from pathlib import Path

import typer

from afterward.cli.common import fail, migrated_database, print_json
from afterward.cli.importer import _progress_bar
from afterward.commerce import stores
from afterward.feedback import review_import
from afterward.feedback.review_import import ImportRefused, Report

app = typer.Typer(no_args_is_help=True, help="Reviews: import them from another tool.")


@app.command("import")
def import_reviews(
        file: Path = typer.Argument(..., help="CSV file, one review a row: sku, rating, "
                                    "title, body, author_name, email, order_number, "
                                    "created_at, published.",
                                    exists=True, dir_okay=False, readable=True),
        store: str = typer.Option(..., "--store", help="Slug of the store to import into."),
        skip_bad: bool = typer.Option(False, "--skip-bad",
                                      help="Import the good rows and report the bad ones "
                                           "(by default one bad row imports nothing)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")
) -> None:
    """Import reviews (source "import") in one transaction; the same file again adds
    nothing."""
    db = migrated_database()
    try:
        with db.reading() as session:
            found = stores.get_by_slug(session, store)
            store_id = found.id if found else None
        if store_id is None:
            fail(f"no store {store!r}")
        with _progress_bar() as progress:
            rows, report = review_import.read(file.read_bytes(), progress)
            try:
                report = db.run(lambda s: review_import.write(
                    s, store_id=store_id, rows=rows, report=report, skip_bad=skip_bad,
                    progress=progress))
                refused = False
            except ImportRefused as exc:
                report, refused = exc.report, True
    finally:
        db.dispose()
    _print(report, as_json)
    if refused:
        fail(f"{len(report.errors)} error(s) in {file.name}; nothing was imported"
             + ("" if report.unreadable else " (--skip-bad imports the good rows)"))


def _print(report: Report, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    for error in report.errors:
        print(error)
    if not report.errors or report.imported or report.already:
        print(f"imported {report.imported} reviews; {report.already} imported before; "
              f"skipped {report.skipped} rows")
