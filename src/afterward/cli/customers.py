"""`afterward customers ...`: export or erase one customer's personal data."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from afterward import privacy
from afterward.cli.common import console, fail, migrated_database, print_json, store_named
from afterward.commerce.customers import find_customer, get_customer
from afterward.commerce.validation import InvalidValue, email_address

app = typer.Typer(no_args_is_help=True, help="Customers' personal data: export, erase.")

StoreOption = typer.Option(..., "--store", help="The store's slug.")
EmailOption = typer.Option(None, help="Find the customer by email.")
IdOption = typer.Option(None, "--id", help="Find the customer by id.")


def _customer_id(session: Session, slug: str, email: str | None,
                 customer_id: int | None) -> tuple[int, int]:
    if (email is None) == (customer_id is None):
        fail("give the customer as --email or --id (one of them)")
    store = store_named(session, slug)
    if email is not None:
        try:
            address = email_address(email.strip())
        except InvalidValue as exc:
            fail(exc.message)
        customer = find_customer(session, store_id=store.id, email=address)
    else:
        assert customer_id is not None
        customer = get_customer(session, store_id=store.id, customer_id=customer_id)
    if customer is None:
        fail(f"no such customer in store {slug!r}")
    return store.id, customer.id


@app.command("export")
def export(store: str = StoreOption, email: str | None = EmailOption,
           customer_id: int | None = IdOption,
           output: Path | None = typer.Option(None, "--output", "-o",
                                              help="Write the JSON here instead of stdout.")
           ) -> None:
    """Print everything kept about one customer, as JSON (one key per module)."""
    db = migrated_database()
    with db.reading() as session:
        store_id, found = _customer_id(session, store, email, customer_id)
        data = privacy.export_customer(session, store_id=store_id, customer_id=found)
    if output is None:
        print_json(data)
        return
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"customer {found} exported to {output}")


@app.command("erase")
def erase(store: str = StoreOption, email: str | None = EmailOption,
          customer_id: int | None = IdOption,
          yes: bool = typer.Option(False, "--yes", help="Do it without asking."),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Erase one customer's personal data in every module (docs/privacy.md)."""
    db = migrated_database()
    with db.reading() as session:
        store_id, found = _customer_id(session, store, email, customer_id)
    if not yes and not typer.confirm(f"Erase customer {found}'s personal data? This cannot be "
                                     "undone."):
        fail("nothing erased")
    with db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=store_id, customer_id=found)
    if as_json:
        print_json({"customer_id": found, "erased": True, "rows": rows})
        return
    console.print(f"customer {found} erased: " + ", ".join(f"{table} {count}"
                                                          for table, count in rows.items()))
