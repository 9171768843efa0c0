"""Journey steps that other modules bring (Module.journey_steps), so a journey can act
in a module it may not import, and a module that is not installed offers no step:
loyalty's `loyalty_points` is one. Each names its step's JSON key (NAME), its JSON
Schema (SCHEMA), a pure parser and what it does when an enrolment reaches it (run,
in the step's transaction; it must be idempotent on its own key, as a step may run
again after a lost lease)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from afterward import modules
from afterward.journeys.conditions import Problem


def kinds() -> dict[str, Any]:
    """Every installed module's step kinds, by name."""
    return {kind.NAME: kind for kind in modules.resolved("journey_steps")}


def names() -> tuple[str, ...]:
    return tuple(sorted(kinds()))


def parse(name: str, raw: Any, path: str, problems: list[Problem]) -> Any:
    config, found = kinds()[name].parse(raw, path)
    problems.extend(Problem(where, message) for where, message in found)
    return config


def run(session: Any, name: str, config: Any, *, store_id: int, journey_key: str,
        step_key: str, enrolment_id: int, customer_id: int | None, order_id: int | None,
        shipment_id: int | None, now: datetime) -> dict[str, Any]:
    kind = kinds().get(name)
    if kind is None:  # the module that brought it was uninstalled since
        return {"skipped": f"no installed module offers the step {name}"}
    detail: dict[str, Any] = kind.run(
        session, config=config, store_id=store_id, journey_key=journey_key,
        step_key=step_key, enrolment_id=enrolment_id, customer_id=customer_id,
        order_id=order_id, shipment_id=shipment_id, now=now)
    return detail
