"""`afterward reviews ...`: reviews brought over from another tool (docs/feedback.md,
"Importing reviews from a CSV file")."""

from __future__ import annotations

from pathlib import Path

import typer

from afterward.cli import file_import
from afterward.feedback import review_import

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
    file_import.run(
        file, store=store, as_json=as_json,
        read=review_import.read,
        write=lambda db, store_id, rows, report, progress: db.run(
            lambda session: review_import.write(
                session, store_id=store_id, rows=rows, report=report, skip_bad=skip_bad,
                progress=progress)),
        summary=lambda report: f"imported {report.imported} reviews; {report.already} "
                               f"imported before; skipped {report.skipped} rows")
