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
