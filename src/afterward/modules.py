"""The installed modules: the one list the spine reads, and what a module declares.

A module is a package (tracking, journeys, returns, ...) with a `module.py` that
holds `MODULE = Module(...)`: its tables, API routers, shopper and admin pages, admin
navigation, CLI groups, job handlers, event consumers, periodic jobs, privacy
section, message templates and the probes that hold messages back. Everything is
named by import path ("package.module" or "package.module:attribute"), so a domain
package never imports the API, web or CLI layers: the spine imports what a module
names when it assembles the app, the worker or the CLI. Adding a module is writing
its package and adding one line to INSTALLED (docs/architecture.md shows how)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

INSTALLED: tuple[str, ...] = (
    "afterward.commerce",
    "afterward.tracking",
    "afterward.messaging",
    "afterward.journeys",
    "afterward.returns",
    "afterward.loyalty",
    "afterward.feedback",
    "afterward.insights",
    "afterward.assistant",
)


def N_(message: str) -> str:
    """Marks a phrase for the catalogues (babel.cfg reads each module.py); it is
    translated where it is shown, in the reader's language."""
    return message


@dataclass(frozen=True)
class NavEntry:
    """A link in the admin's navigation: `label` marked with N_ (the admin shows it
    translated), `current` is what its pages pass as `current` to mark it; `order`
    sorts the entries (the dashboard is 0)."""

    label: str
    path: str
    current: str
    order: int = 50


@dataclass(frozen=True)
class Module:
    name: str
    tables: tuple[str, ...] = ()  # modules whose import defines the tables (models.py)
    api: tuple[str, ...] = ()  # "module:router" included under the API (OpenAPI)
    api_links: tuple[str, ...] = ()  # "module:LINKS", lists of api.openapi.Link
    pages: tuple[str, ...] = ()  # "module:router" of shopper pages (no API key)
    admin: tuple[str, ...] = ()  # "module:router" of admin pages (mounted in /admin)
    nav: tuple[NavEntry, ...] = ()
    cli: tuple[tuple[str, str], ...] = ()  # (command group name, "module:typer_app")
    jobs: tuple[str, ...] = ()  # modules whose import registers job handlers
    periodic: tuple[str, ...] = ()  # "module:fn(session)" scheduling self-renewing jobs
    consumers: tuple[str, ...] = ()  # "module:fn(db) -> (events, caught_up)" (the nudge)
    configure: tuple[str, ...] = ()  # "module:fn(settings)" run when a process starts
    privacy: str | None = None  # module whose import registers its privacy section
    templates: tuple[str, ...] = ()  # modules whose import registers built-in templates
    # Packages with a builtin_sources/ folder of built-in messages (KEY.j2, written as
    # messaging's own are: see messaging/source_builder.py); messaging registers them.
    message_sources: tuple[str, ...] = ()
    # Modules giving messages' context a part: NAME (the context key), REF (the refs
    # key naming its row, e.g. "return_id"), load(session, store_id=, id=, public_url=,
    # secret_key=) -> dict | None, and sample(currency=, public_url=) -> dict.
    message_parts: tuple[str, ...] = ()
    journeys: tuple[str, ...] = ()  # packages of built-in journey definitions (*.json)
    # Modules giving the journeys' conditions a root of facts about the customer:
    # NAME (the root), FIELDS (a frozenset of its field names) and load(session, *,
    # store_id=, customer_id=, now=) -> dict. Imported when the journeys' conditions
    # are, so keep their top-level imports light (load imports what it needs).
    facts: tuple[str, ...] = ()
    # Modules giving journeys a step kind (journeys/actions.py): NAME (the step's JSON
    # key), SCHEMA (its JSON Schema), parse(raw, path) -> (config, [(path, problem)])
    # (pure) and run(session, *, config, store_id, journey_key, step_key, enrolment_id,
    # customer_id, order_id, shipment_id, now) -> dict (the history's detail).
    journey_steps: tuple[str, ...] = ()
    hold_probes: tuple[str, ...] = ()  # "module:fn(session, store_id, customer_id)"
    # Readers of what customers wrote, for the text models: "module:fn(session, *,
    # store_id, since) -> Iterable[CustomerText]" (afterward/customer_texts.py).
    texts: tuple[str, ...] = ()
    events: tuple[str, ...] = ()  # the event names it records (docs, the journey editor)
    # After a bulk import of orders (the CSV import): "module:fn(session, *, store_id,
    # orders)", called in the import's transaction once its orders are written (e.g.
    # insights enqueues a recompute), so the importer never names who listens.
    imported: tuple[str, ...] = ()
    # Whether a store's webhooks take an event type: "module:fn(session, *, store_id,
    # event_type) -> bool" (messaging's endpoints); afterward/outbound.py asks before
    # queueing a webhook, so an event no one takes queues nothing.
    webhook_listeners: tuple[str, ...] = ()


@cache
def installed() -> tuple[Module, ...]:
    """Every installed module's declaration, in INSTALLED order."""
    return tuple(_declaration(package) for package in INSTALLED)


def _declaration(package: str) -> Module:
    module = importlib.import_module(f"{package}.module").MODULE
    if not isinstance(module, Module):
        raise TypeError(f"{package}.module.MODULE is not a Module")
    return module


def resolve(reference: str) -> Any:
    """'package.module:attribute' -> the attribute; 'package.module' -> the module."""
    path, _, attribute = reference.partition(":")
    module = importlib.import_module(path)
    return getattr(module, attribute) if attribute else module


def each(field: str) -> Iterator[str]:
    """Every reference the installed modules give for `field`, in order."""
    for module in installed():
        value = getattr(module, field)
        if isinstance(value, str):
            yield value
        elif value:
            yield from value


def import_all(field: str) -> None:
    """Import what every installed module names in `field` (tables, jobs, ...)."""
    for reference in each(field):
        resolve(reference)


@cache
def resolved(field: str) -> tuple[Any, ...]:
    """What every installed module names in `field` (routers, functions), resolved
    once per process."""
    return tuple(resolve(reference) for reference in each(field))


def configure(settings: Any) -> None:
    """Give every installed module the process's settings (Module.configure): the app,
    the worker and the CLI commands that send call this once at start."""
    for configure_module in resolved("configure"):
        configure_module(settings)


def navigation() -> list[NavEntry]:
    return sorted((entry for module in installed() for entry in module.nav),
                  key=lambda entry: entry.order)


def event_names() -> list[str]:
    return sorted({name for module in installed() for name in module.events})
