"""`afterward journeys ...`: install the built-ins, list a store's journeys, check a
definition file, switch a journey on or off."""

from __future__ import annotations

from pathlib import Path

import typer

from afterward.cli.common import console, fail, migrated_database, print_json, store_named
from afterward.journeys import builtins, parsing, service
from afterward.journeys import definition as spec

app = typer.Typer(no_args_is_help=True, help="Journeys: built-ins, definitions, on and off.")


@app.command("install-builtins")
def install_builtins(slug: str = typer.Argument(..., help="The store's slug."),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update the built-in journeys for store SLUG and switch them on.
    Running it again changes nothing; built-ins the merchant edited are kept."""
    db = migrated_database()
    with db.transaction() as session:
        store = store_named(session, slug)
        done = builtins.install(session, store_id=store.id)
    if as_json:
        print_json([{"key": d.key, "outcome": d.outcome, "version": d.version,
                     "enabled": d.enabled} for d in done])
        return
    for d in done:
        print(f"{d.key}\t{d.outcome}\tv{d.version}\t{'on' if d.enabled else 'off'}")
    changed = sum(d.outcome in ("created", "updated", "enabled") for d in done)
    console.print(f"{len(done)} built-in journeys for {slug}, {changed} changed")


@app.command("list")
def list_journeys(slug: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """List a store's journeys with their enrolment counts."""
    db = migrated_database()
    with db.reading() as session:
        store = store_named(session, slug)
        rows = [{"key": s.journey.key, "name": s.journey.name, "enabled": s.journey.enabled,
                 "version": s.journey.version, "enrolled": s.enrolled, **s.counts}
                for s in service.list_journeys(session, store_id=store.id)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        print(f"{row['key']}\tv{row['version']}\t{'on' if row['enabled'] else 'off'}\t"
              f"{row['enrolled']} enrolled, {row['active']} active, {row['exited']} exited")


@app.command("validate")
def validate(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)
             ) -> None:
    """Check a journey definition file (JSON) without saving it."""
    try:
        parsed = parsing.parse_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except spec.DefinitionError as exc:
        fail(f"{path}: {exc.message}")
    console.print(f"{parsed.key}: valid ({len(spec.walk(parsed.steps))} steps)")


def _switch(slug: str, key: str, enabled: bool) -> None:
    db = migrated_database()
    with db.transaction() as session:
        store = store_named(session, slug)
        try:
            service.set_enabled(session, store_id=store.id, key=key, enabled=enabled)
        except service.JourneyNotFound as exc:
            fail(str(exc))
    console.print(f"{key} {'enabled' if enabled else 'disabled'} for {slug}")


@app.command("enable")
def enable(slug: str, key: str) -> None:
    """Switch journey KEY on for store SLUG."""
    _switch(slug, key, True)


@app.command("disable")
def disable(slug: str, key: str) -> None:
    """Switch journey KEY off (enrolments in progress leave at their next step)."""
    _switch(slug, key, False)
