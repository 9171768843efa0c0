"""`afterward loyalty ...`: members brought over from another loyalty program
(docs/loyalty.md, "Moving from another loyalty program")."""

from __future__ import annotations

from pathlib import Path

import typer

from afterward.cli import file_import
from afterward.loyalty import balance_import

app = typer.Typer(no_args_is_help=True, help="Loyalty: bring members over from another "
                                             "program.")


@app.command("import")
def import_members(
        file: Path = typer.Argument(..., help="CSV file, one member a row: email, "
                                    "customer_id, first_name, last_name, birthday, points, "
                                    "tier, reason.",
                                    exists=True, dir_okay=False, readable=True),
        store: str = typer.Option(..., "--store", help="Slug of the store to import into."),
        keep_tier_days: int = typer.Option(
            balance_import.KEEP_TIER_DAYS, "--keep-tier-days", min=0, max=3650,
            help="Days a carried-over tier is kept whatever the spend (0: the spend "
                 "decides at once, after the program's grace period)."),
        skip_bad: bool = typer.Option(False, "--skip-bad",
                                      help="Import the good rows and report the bad ones "
                                           "(by default one bad row imports nothing)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")
) -> None:
    """Carry members' points balances and tiers over (every row checked first; one
    bad row carries nobody unless --skip-bad); a member imported before is left as
    they are."""
    file_import.run(
        file, store=store, as_json=as_json,
        read=balance_import.read,
        write=lambda db, store_id, rows, report, progress: balance_import.carry(
            db, store_id=store_id, rows=rows, report=report,
            skip_bad=skip_bad, keep_tier_days=keep_tier_days, progress=progress),
        summary=_summary)


def _summary(balances: balance_import.BalanceReport) -> str:
    return (f"carried over {balances.imported} members ({balances.points:,} points, "
            f"{balances.tiers} tiers; {balances.new_customers} new customers); "
            f"{balances.already} imported before; {balances.unchanged} with nothing to "
            f"carry; skipped {balances.skipped} rows")
