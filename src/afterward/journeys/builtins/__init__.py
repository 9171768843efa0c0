"""The built-in journeys, one JSON definition per file (here, and in the packages an
installed module names in Module.journeys), and installing them for a store: created
or brought up to date and switched on. A built-in the merchant has edited is theirs:
installing again leaves it alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from afterward import modules
from afterward.journeys import service


@cache
def _texts() -> tuple[tuple[str, str], ...]:
    """This package's definitions and those of the installed modules' journey packages
    (Module.journeys), by file name."""
    packages = (__package__, *modules.each("journeys"))
    return tuple(sorted((entry.name, entry.read_text(encoding="utf-8"))
                        for package in packages for entry in resources.files(package).iterdir()
                        if entry.name.endswith(".json")))


def definitions() -> list[dict[str, Any]]:
    """Fresh copies, ordered by file name."""
    return [json.loads(text) for _, text in _texts()]


def keys() -> list[str]:
    return [str(d["key"]) for d in definitions()]


@dataclass(frozen=True)
class Installed:
    key: str
    outcome: str  # created | updated | enabled | unchanged | kept (edited by the merchant)
    version: int
    enabled: bool


def install(session: Session, *, store_id: int, now: datetime | None = None
            ) -> list[Installed]:
    out = []
    for raw in definitions():
        existing = service.get(session, store_id=store_id, key=raw["key"])
        was_enabled = existing is not None and existing.enabled
        if existing is not None and not existing.builtin:
            out.append(Installed(existing.key, "kept", existing.version, existing.enabled))
            continue
        saved = service.save(session, store_id=store_id, raw=raw, builtin=True, now=now)
        journey = service.set_enabled(session, store_id=store_id, key=saved.journey.key,
                                      enabled=True, now=now)
        outcome = ("created" if existing is None else "updated" if saved.changed
                   else "unchanged" if was_enabled else "enabled")
        out.append(Installed(journey.key, outcome, journey.version, journey.enabled))
    return out
