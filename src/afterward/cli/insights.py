"""`afterward insights ...`: offline evaluations of the models behind the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from afterward.cli.common import fail, print_json

app = typer.Typer(no_args_is_help=True, help="Evaluate the models (delivery dates, ...).")


@app.command("eval-eta")
def eval_eta(olist: Path = typer.Option(..., "--olist", help="Folder with the Olist CSV files."),
             as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
             ) -> None:
    """Delivery-date promise vs Olist's own estimate, on a time-based holdout of
    delivered orders."""
    from afterward.insights import eta_eval

    try:
        report = eta_eval.evaluate(olist)
    except eta_eval.OlistError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
    else:
        _print_table(report)


def _print_table(report: dict[str, Any]) -> None:
    table = Table(title=f"Delivery dates on {report['test_orders']} later orders "
                        f"(trained on {report['train_orders']}, cut {report['cut'][:10]})")
    for column in ("", "MAE days", "in window", "width days", "by latest"):
        table.add_column(column, justify="right" if column else "left")
    for label, key in (("ours, purchase", "ours_at_purchase"),
                       ("ours, hand-over", "ours_at_handover")):
        row = report[key]
        table.add_row(label, f"{row['mae_days']:.2f}", f"{row['inside_window_share']:.1%}",
                      f"{row['window_width_days']:.1f}",
                      f"{row['on_or_before_latest_share']:.1%}")
    theirs = report["olist"]
    table.add_row("Olist's estimate", f"{theirs['mae_days']:.2f}", "-", "-",
                  f"{theirs['on_or_before_share']:.1%}")
    out = Console()
    out.print(table)
    out.print(f"{report['orders_read']} orders read, {report['delivered']} delivered, "
              f"{report['skipped_malformed']} malformed skipped. MAE of the likely date; "
              f"'by latest': delivered on or before the window's last day (Olist: its "
              f"estimate). Business days, {report['working_days_per_week']} a week; window "
              f"meant to hold {report['coverage']:.0%}.", highlight=False)


@app.command("eval-sentiment")
def eval_sentiment(train: Path = typer.Option(..., "--train",
                                              help="CSV 'text,score' to train the model on."),
                   test: Path = typer.Option(..., "--test",
                                             help="CSV 'text,score' to measure it on."),
                   as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
                   ) -> None:
    """Train the learned sentiment model on --train; Pearson's r of its scores and of
    VADER's against the scores in --test."""
    from afterward.insights import sentiment_eval

    try:
        report = sentiment_eval.evaluate(sentiment_eval.read_rated(train),
                                         sentiment_eval.read_rated(test))
    except sentiment_eval.SentimentFileError as exc:
        fail(str(exc))
    if as_json:
        print_json({key: report[key] for key in ("pearson_r", "vader_pearson_r", "n")})
        return
    out = Console()
    out.print(f"Pearson r on {report['n']} texts (trained on {report['train_n']}): learned "
              f"{report['pearson_r']:.3f}, VADER {report['vader_pearson_r']:.3f} (VADER with "
              f"review words {report['lexicon_pearson_r']:.3f})", highlight=False)


@app.command("words")
def words(store: str = typer.Option(..., "--store", help="The store's slug."),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
          ) -> None:
    """Score every text customers wrote in the store and find its themes now (the
    nightly job does the same)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from afterward.cli.common import console, migrated_database
    from afterward.commerce import stores
    from afterward.insights import words as insight_words

    db = migrated_database()
    try:
        with db.transaction() as session:
            found = stores.get_by_slug(session, store)
            if found is None:
                fail(f"no store {store!r}")
            labels = {"read": "Reading texts", "score": "Scoring sentiment",
                      "themes": "Finding themes"}
            with Progress(TextColumn("{task.description:<20}"), BarColumn(),
                          TaskProgressColumn(), console=console, transient=True,
                          disable=as_json) as progress:
                task = progress.add_task(labels["read"], total=None)

                def report(stage: str, done: int, total: int) -> None:
                    progress.update(task, description=labels[stage], completed=done,
                                    total=total or 1)

                outcome = insight_words.recompute(session, found.id, progress=report)
    finally:
        db.dispose()
    if as_json:
        print_json(outcome.as_dict())
    else:
        Console().print(f"{outcome.texts} texts scored with {outcome.model} "
                        f"({outcome.rated} rated); {outcome.themes} themes (run {outcome.run})",
                        highlight=False)
