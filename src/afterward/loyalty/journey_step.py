"""The journey step `loyalty_points` (Module.journey_steps; journeys/actions.py runs
it, so journeys never import loyalty):

    {"loyalty_points": {"points": 200 | "program:late_parcel",
                        "reason": "late parcel apology",
                        "once_per": "order" | "shipment" | "customer" | "enrolment"}}

credits spendable points at once (an `adjust` entry, source `journey`), once per
order (shipment, customer, enrolment) and step: the entry's idempotency key is
`journey:{journey}:{step}:{once_per}:{id}`, so a step run again, or a second
enrolment about the same order, credits nothing more. `"program:late_parcel"` reads
the amount from the store's program (`bonuses.late_parcel`) when the step runs; 0
there, or no program, credits nothing (the history says so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from afterward.loyalty import ledger, programs
from afterward.loyalty.program import Bonuses

NAME = "loyalty_points"
ONCE_PER = ("order", "shipment", "customer", "enrolment")
MAX_POINTS = 1_000_000
FROM_PROGRAM = "program:"
BONUSES = tuple(sorted(Bonuses.model_fields))
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["points"],
    "properties": {
        "points": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_POINTS},
                             {"type": "string", "enum": [FROM_PROGRAM + b for b in BONUSES]}]},
        "reason": {"type": ["string", "null"], "maxLength": 200,
                   "pattern": r"^[^\x00-\x1f]*[^\s\x00-\x1f][^\x00-\x1f]*$"},
        "once_per": {"type": "string", "enum": list(ONCE_PER)},
    },
}


def parse(raw: Any, path: str) -> tuple[tuple[Any, ...] | None, list[tuple[str, str]]]:
    """(points, reason, once_per), or the problems with their paths."""
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        return None, [(path, "expected an object like {\"points\": 200}")]
    for name in sorted(set(map(str, raw)) - {"points", "reason", "once_per"}):
        problems.append((f"{path}.{name}", "unknown field (allowed: once_per, points, reason)"))
    points = raw.get("points")
    if isinstance(points, str):
        if not (points.startswith(FROM_PROGRAM) and points[len(FROM_PROGRAM):] in BONUSES):
            problems.append((f"{path}.points", "a whole number of points, or one of "
                             + ", ".join(FROM_PROGRAM + b for b in BONUSES)))
    else:
        if isinstance(points, float) and points.is_integer() and abs(points) < 2**53:
            points = int(points)  # JSON's 200.0
        if isinstance(points, bool) or not isinstance(points, int) \
                or not 1 <= points <= MAX_POINTS:
            problems.append((f"{path}.points", "required: a whole number from 1 to "
                             f"{MAX_POINTS} (or {FROM_PROGRAM}late_parcel)"))
    reason = raw.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()
                               or len(reason) > 200
                               or any(ord(ch) < 32 for ch in reason)):
        problems.append((f"{path}.reason", "expected one line of 1-200 characters"))
    once_per = raw.get("once_per", "order")
    if once_per not in ONCE_PER:
        problems.append((f"{path}.once_per", f"one of {', '.join(ONCE_PER)}"))
    if problems:
        return None, problems
    return (points, (reason or "").strip() or None, once_per), []


def run(session: Session, *, config: tuple[Any, ...], store_id: int, journey_key: str,
        step_key: str, enrolment_id: int, customer_id: int | None, order_id: int | None,
        shipment_id: int | None, now: datetime) -> dict[str, Any]:
    points_given, reason, once_per = config
    if customer_id is None:
        return {"skipped": "no customer"}
    unit = {"order": order_id, "shipment": shipment_id, "customer": customer_id,
            "enrolment": enrolment_id}[once_per]
    if unit is None:
        return {"skipped": f"no {once_per} to credit once per"}
    points = points_given
    if isinstance(points_given, str):
        program = programs.active(session, store_id=store_id)
        bonus = points_given[len(FROM_PROGRAM):]
        points = getattr(program.bonuses, bonus) if program is not None else 0
        if not points:
            return {"skipped": f"the program's bonuses.{bonus} is 0"}
    key = f"journey:{journey_key}:{step_key}:{once_per}:{unit}"[:200]
    held = ledger.account(session, store_id=store_id, customer_id=customer_id)
    if ledger.entry_by_key(session, store_id=store_id, key=key) is not None:
        return {"points": 0, "skipped": f"credited once per {once_per} already"}
    entry = ledger.credit(session, held, kind="adjust", points=int(points), key=key,
                          source="journey", source_id=enrolment_id,
                          reason=reason or f"journey {journey_key}"[:300],
                          lifetime=int(points), now=now)
    assert entry is not None  # the key was free under the account's lock
    ledger.earned(session, held, entry)
    return {"points": int(points), "entry_id": entry.id,
            "points_balance": held.points_balance}
