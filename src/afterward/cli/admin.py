"""`afterward admin ...`: the people who sign in to the merchant admin."""

from __future__ import annotations

import sys
from typing import NamedTuple

import typer

from afterward.accounts import service as accounts
from afterward.accounts.models import AdminUser
from afterward.cli.common import console, fail, migrated_database, print_json

app = typer.Typer(no_args_is_help=True, help="Admin users.")


@app.command("create-user")
def create_user(
    email: str = typer.Option(..., help="Sign-in email."),
    password: str | None = typer.Option(None,
                                        help="At least 10 characters (prompted if left out)."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from the first line of stdin."),
    store: list[str] = typer.Option([], "--store", help="A store slug the user may see; repeat."),
    owner: bool = typer.Option(False, "--owner", help="Sees every store."),
) -> None:
    """Create an admin user who may sign in at /admin."""
    secret = _password(password, password_stdin)
    db = migrated_database()
    try:
        with db.transaction() as session:
            user = accounts.create_user(session, email=email, password=secret,
                                        store_slugs=store, owner=owner)
            address = user.email
    except accounts.AccountError as exc:
        fail(exc.message)
    console.print(f"admin user {address} created")


def _password(given: str | None, from_stdin: bool) -> str:
    if given is not None and from_stdin:
        fail("use either --password or --password-stdin, not both")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if given is not None:
        return given
    try:
        prompted: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    except typer.Abort:
        fail("no password given")
    return prompted


@app.command("list-users")
def list_users(as_json: bool = typer.Option(False, "--json")) -> None:
    """List admin users and the stores each may see."""
    db = migrated_database()
    with db.reading() as session:
        rows = [_user_row(u) for u in accounts.list_users(session)]
    if as_json:
        print_json([row._asdict() for row in rows])
        return
    for row in rows:
        scope = "owner (all stores)" if row.owner else ",".join(row.stores)
        print(f"{row.email}\t{scope}\t{row.last_login_at or 'never'}")


class UserRow(NamedTuple):
    email: str
    owner: bool
    stores: list[str]
    last_login_at: str | None


def _user_row(user: AdminUser) -> UserRow:
    return UserRow(user.email, user.is_owner, sorted(s.slug for s in user.stores),
                   user.last_login_at.isoformat() if user.last_login_at else None)
