"""A generated journey definition made to follow the rules its JSON Schema can only
state in words (journeys/definition_schema.py): step keys are unique, an expression
has at most MAX_NODES parts, MAX_DEPTH deep. Repeated keys are renamed; deeper or
larger expressions become null."""

from __future__ import annotations

from typing import Any

from afterward.journeys.conditions import MAX_DEPTH, MAX_NODES


def within_unstated_rules(journey: dict[str, Any]) -> dict[str, Any]:
    _unique_step_keys(journey.get("steps"), set())
    _bounded_expressions(journey)
    return journey


def _unique_step_keys(steps: Any, seen: set[str]) -> None:
    if not isinstance(steps, list):
        return
    for step in steps:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("key"), str):
            step["key"] = _unused(step["key"], seen)
        branch = step.get("branch")
        if isinstance(branch, dict):
            _unique_step_keys(branch.get("then"), seen)
            _unique_step_keys(branch.get("else"), seen)


def _unused(key: str, seen: set[str]) -> str:
    candidate, n = key, 1
    while candidate in seen:
        n += 1
        candidate = f"{key[:34]}-{n}"
    seen.add(candidate)
    return candidate


def _bounded_expressions(journey: dict[str, Any]) -> None:
    """Every place a definition holds an expression (journeys/definition.py)."""
    trigger = journey.get("trigger")
    if isinstance(trigger, dict) and "filter" in trigger:
        trigger["filter"] = _bounded(trigger["filter"])
    for rule in journey.get("exit") or []:
        if isinstance(rule, dict) and "filter" in rule:
            rule["filter"] = _bounded(rule["filter"])
    _bounded_steps(journey.get("steps"))


def _bounded_steps(steps: Any) -> None:
    for step in steps if isinstance(steps, list) else []:
        kind = next((k for k in ("wait", "send", "branch") if isinstance(step.get(k), dict)),
                    None) if isinstance(step, dict) else None
        if kind is None:
            continue
        spec = step[kind]
        if kind == "wait" and spec.get("days") is not None:
            spec["days"] = _bounded(spec["days"])
        if kind == "send" and isinstance(spec.get("data"), dict):
            spec["data"] = {name: _bounded(value) for name, value in spec["data"].items()}
        if kind == "branch":
            if "if" in spec:
                spec["if"] = _bounded(spec["if"])
            _bounded_steps(spec.get("then"))
            _bounded_steps(spec.get("else"))


def _bounded(expression: Any) -> Any:
    shallow = _shallow(expression, 0)
    return shallow if _parts(shallow) <= MAX_NODES else None


def _shallow(value: Any, depth: int) -> Any:
    """Containers whose contents would be too deep become null (a literal)."""
    if not isinstance(value, dict | list):
        return value
    if depth + 1 >= MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [_shallow(item, depth + 1) for item in value]
    if len(value) != 1 or "literal" in value:
        return value
    [(name, operands)] = value.items()
    if not isinstance(operands, list):
        return {name: _shallow(operands, depth + 1)}
    return {name: [item if name == "lookup" and index == 1 else _shallow(item, depth + 1)
                   for index, item in enumerate(operands)]}  # a lookup's table is data


def _parts(value: Any) -> int:
    if isinstance(value, list):
        return 1 + sum(_parts(item) for item in value)
    if isinstance(value, dict) and len(value) == 1 and "literal" not in value:
        [operands] = value.values()
        items = operands if isinstance(operands, list) else [operands]
        return 1 + sum(_parts(item) for item in items)
    return 1
