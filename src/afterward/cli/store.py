"""`afterward store ...`: create stores, issue and revoke keys, set webhook secrets."""

from __future__ import annotations

from datetime import timedelta

import typer

from afterward.cli.common import console, fail, migrated_database, print_json, store_named
from afterward.commerce import stores
from afterward.commerce.validation import InvalidValue

app = typer.Typer(no_args_is_help=True, help="Stores, API keys and webhook secrets.")


@app.command("create")
def create(slug: str = typer.Option(..., help="URL name, e.g. acme."),
           name: str = typer.Option(..., help="Display name."),
           currency: str = typer.Option("USD"), timezone: str = typer.Option("UTC"),
           locale: str = typer.Option("en"),
           as_json: bool = typer.Option(False, "--json", help="Print {slug, api_key} as JSON.")
           ) -> None:
    """Create a store and its first API key (shown once)."""
    db = migrated_database()
    try:
        with db.transaction() as session:
            store = stores.create_store(session, slug=slug, name=name, currency=currency,
                                        timezone=timezone, locale=locale)
            key = stores.issue_api_key(session, store=store)
    except stores.StoreError as exc:
        fail(exc.message)
    except InvalidValue as exc:
        fail(f"{exc.field}: {exc.message}")
    if as_json:
        print_json({"slug": slug, "api_key": key})
    else:
        console.print(f"store [bold]{slug}[/bold] created")
        print(f"API key (shown once): {key}")


@app.command("list")
def list_stores(as_json: bool = typer.Option(False, "--json")) -> None:
    """List stores."""
    db = migrated_database()
    with db.reading() as session:
        rows = [{"slug": s.slug, "name": s.name, "currency": s.currency, "timezone": s.timezone}
                for s in stores.list_stores(session)]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['slug']}\t{row['name']}\t{row['currency']}\t{row['timezone']}")


@app.command("secret")
def secret(slug: str, provider: str, value: str,
           grace_hours: int = typer.Option(
               24, min=0, max=stores.MAX_GRACE.days * 24,
               help="Hours the secret being replaced is still accepted (0: refused at once).")
           ) -> None:
    """Set the inbound webhook secret for PROVIDER; one that replaces another keeps
    the other accepted for --grace-hours, so the sender can switch without losing
    deliveries.

    PROVIDER is one of shopify, easypost, aftership, shippo, generic, twilio."""
    db = migrated_database()
    try:
        with db.transaction() as session:
            store = store_named(session, slug)
            stores.set_webhook_secret(session, store=store, provider=provider, secret=value,
                                      grace=timedelta(hours=grace_hours))
    except stores.StoreError as exc:
        fail(exc.message)
    console.print(f"{provider} webhook secret set for {slug}")


@app.command("key")
def new_key(slug: str, name: str = typer.Option("default"),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Issue another API key for a store (shown once)."""
    db = migrated_database()
    with db.transaction() as session:
        store = store_named(session, slug)
        key = stores.issue_api_key(session, store=store, name=name)
    print_json({"slug": slug, "api_key": key}) if as_json else print(key)


@app.command("revoke-key")
def revoke_key(slug: str, prefix: str = typer.Argument(..., help="First 10 characters of the key.")
               ) -> None:
    """Revoke a store's API key by its prefix."""
    db = migrated_database()
    with db.transaction() as session:
        store = store_named(session, slug)
        count = stores.revoke_api_key(session, store=store, prefix=prefix)
    if count == 0:
        fail(f"no active key starting with {prefix!r}")
    console.print(f"{count} key revoked")
