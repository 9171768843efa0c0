"""A tiny, safe expression language for journey conditions and computed values.

JSON-logic-like: an expression is a literal, a field path, or a dict with one
operator, e.g. {"gte": ["order.total_minor", 5000]}. Nothing is ever eval'd.

A string operand is a field path when it starts with a known root and a dot
("order.total_minor", "payload.to"); any other string is a literal. {"var": ...}
and {"literal": ...} say it explicitly when that reads better.

Missing values are None; comparing None with anything but eq/ne is false, and so
is comparing a number with a string: a condition never raises at run time."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from afterward import modules

# Fields each root offers (see facts.py); payload and event.payload are free-form.
FIELDS: dict[str, frozenset[str] | None] = {
    "event": frozenset({"name", "subject_type", "subject_id", "occurred_at", "payload"}),
    "payload": None,
    "customer": frozenset({
        "id", "email", "phone", "first_name", "last_name", "locale", "timezone", "birthday",
        "orders_count", "total_spent_minor", "first_order_at", "last_order_at",
        "days_since_last_order", "marketing_email", "marketing_sms"}),
    "order": frozenset({
        "id", "number", "source", "status", "currency", "total_minor", "subtotal_minor",
        "discount_minor", "placed_at", "lines_count", "items_count", "categories",
        "main_category", "skus", "ship_country", "refunded_minor"}),
    "shipment": frozenset({"id", "status", "carrier", "direction", "order_id", "substatus",
                           "late"}),
    "product": frozenset({"id", "title", "category", "replenishment_days", "sku"}),
    "enrolment": frozenset({"id", "group", "days_enrolled"}),
}
# Roots the installed modules add (Module.facts: loyalty, ...).
FIELDS.update({provider.NAME: frozenset(provider.FIELDS)
               for provider in modules.resolved("facts")})
_SEGMENT = r"\.[A-Za-z0-9_]{1,64}"
# A string like this is a field path, not text (and must name a known field).
PATH_PATTERN = "^(?:" + "|".join(FIELDS) + f")(?:{_SEGMENT}){{1,6}}$"
_PATH = re.compile(PATH_PATTERN)


def known_path_pattern() -> str:
    """The field paths that name a known field: a root's fields, and below a payload
    anything (for JSON Schema)."""
    alternatives = []
    for root, fields in FIELDS.items():
        if fields is None:
            alternatives.append(f"{root}(?:{_SEGMENT}){{1,6}}")
            continue
        alternatives.append(f"{root}\\.(?:{'|'.join(sorted(fields))})")
        if "payload" in fields:
            alternatives.append(f"{root}\\.payload(?:{_SEGMENT}){{1,5}}")
    return "^(?:" + "|".join(alternatives) + ")$"

COMPARISONS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte"})
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "min", "max"})
OPERATORS = COMPARISONS | ARITHMETIC | frozenset(
    {"and", "or", "not", "in", "contains", "exists", "lookup", "days_since", "lower"})
MAX_DEPTH = 16
MAX_NODES = 400


@dataclass(frozen=True)
class Var:
    path: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Op:
    name: str
    args: tuple[Node, ...]
    table: tuple[tuple[str, Any], ...] = ()  # lookup's mapping, as pairs

    def __post_init__(self) -> None:
        assert self.name in OPERATORS


Node = Var | Lit | Op


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. steps[2].branch.if.and[1]
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


def is_path(value: str) -> bool:
    return bool(_PATH.fullmatch(value))


def parse(raw: Any, path: str, problems: list[Problem]) -> Node:
    """Parse an expression; every problem found is appended with its path."""
    return _parse(raw, path, problems, 0, _Budget())


def _var(text: Any, path: str, problems: list[Problem]) -> Node:
    if not isinstance(text, str) or not is_path(text):
        roots = ", ".join(FIELDS)
        problems.append(Problem(path, f"{text!r} is not a field path (roots: {roots})"))
        return Lit(None)
    parts = tuple(text.split("."))
    allowed = FIELDS[parts[0]]
    if allowed is not None and parts[1] not in allowed:
        problems.append(Problem(path, f"{parts[0]} has no field {parts[1]!r} "
                                      f"(known: {', '.join(sorted(allowed))})"))
    elif allowed is not None and len(parts) > 2 and parts[1] != "payload":
        problems.append(Problem(path, f"{parts[0]}.{parts[1]} has no sub-fields"))
    return Var(parts)


def _parse(raw: Any, path: str, problems: list[Problem], depth: int, budget: _Budget) -> Node:
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        if budget.nodes == MAX_NODES + 1:
            problems.append(Problem(path, f"expression too large (at most {MAX_NODES} parts)"))
        return Lit(None)
    if depth > MAX_DEPTH:
        problems.append(Problem(path, f"expression nested too deeply (at most {MAX_DEPTH})"))
        return Lit(None)
    if isinstance(raw, str):
        return _var(raw, path, problems) if is_path(raw) else Lit(raw)
    if raw is None or isinstance(raw, bool | int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            problems.append(Problem(path, "numbers must be finite"))
        return Lit(raw)
    if isinstance(raw, list):
        items = tuple(_parse(item, f"{path}[{i}]", problems, depth + 1, budget)
                      for i, item in enumerate(raw))
        if all(isinstance(i, Lit) for i in items):
            return Lit([i.value for i in items if isinstance(i, Lit)])
        problems.append(Problem(path, "a list holds literal values only"))
        return Lit(None)
    if not isinstance(raw, dict):
        problems.append(Problem(path, f"unexpected value {raw!r}"))
        return Lit(None)
    if len(raw) != 1:
        problems.append(Problem(path, "an expression is a dict with exactly one operator, "
                                      f"got {sorted(map(str, raw))[:5]}"))
        return Lit(None)
    name, value = next(iter(raw.items()))
    return _operator(str(name), value, f"{path}.{name}", problems, depth, budget)


def _operator(name: str, value: Any, path: str, problems: list[Problem], depth: int,
              budget: _Budget) -> Node:
    if name == "var":
        return _var(value, path, problems)
    if name == "literal":
        return Lit(value)
    if name not in OPERATORS:
        problems.append(Problem(path, f"unknown operator {name!r} "
                                      f"(known: {', '.join(sorted(OPERATORS | {'var'}))})"))
        return Lit(None)
    args = value if isinstance(value, list) else [value]
    if name == "lookup":
        return _lookup(args, path, problems, depth, budget)
    wanted = _arity(name)
    if not wanted[0] <= len(args) <= wanted[1]:
        expected = str(wanted[0]) if wanted[0] == wanted[1] else f"at least {wanted[0]}"
        problems.append(Problem(path, f"{name} takes {expected} operand(s), got {len(args)}"))
        return Lit(None)
    if name == "exists" and not (isinstance(args[0], str) and is_path(args[0])):
        problems.append(Problem(path, "exists takes a field path"))
        return Lit(None)
    parsed = tuple(_parse(a, f"{path}[{i}]" if isinstance(value, list) else path, problems,
                          depth + 1, budget) for i, a in enumerate(args))
    return Op(name, parsed)


def _arity(name: str) -> tuple[int, int]:
    if name in COMPARISONS or name in ("in", "contains"):
        return 2, 2
    if name in ("not", "exists", "days_since", "lower"):
        return 1, 1
    if name in ("and", "or"):
        return 1, 64
    return 2, 16  # arithmetic


def _lookup(args: list[Any], path: str, problems: list[Problem], depth: int,
            budget: _Budget) -> Node:
    if len(args) not in (2, 3) or not isinstance(args[1], dict):
        problems.append(Problem(path, "lookup takes [key, {value: result, ...}, default]"))
        return Lit(None)
    table = []
    for key, result in args[1].items():
        if not (result is None or isinstance(result, str | int | float | bool)):
            problems.append(Problem(f"{path}[1].{key}", "lookup results are plain values"))
        table.append((str(key), result))
    key_node = _parse(args[0], f"{path}[0]", problems, depth + 1, budget)
    default = _parse(args[2], f"{path}[2]", problems, depth + 1, budget) if len(args) == 3 \
        else Lit(None)
    return Op("lookup", (key_node, default), tuple(table))


# --- evaluation ----------------------------------------------------------------------

def resolve(facts: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = facts
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def evaluate(node: Node, facts: Mapping[str, Any], now: datetime) -> Any:
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Var):
        return resolve(facts, node.path)
    name = node.name
    if name == "and":
        return all(truthy(evaluate(a, facts, now)) for a in node.args)
    if name == "or":
        return any(truthy(evaluate(a, facts, now)) for a in node.args)
    if name == "not":
        return not truthy(evaluate(node.args[0], facts, now))
    if name == "exists":
        value = evaluate(node.args[0], facts, now)
        return value is not None and value != "" and value != []
    if name == "lookup":
        key = evaluate(node.args[0], facts, now)
        for candidate, result in node.table:
            if key is not None and str(key) == candidate:
                return result
        return evaluate(node.args[1], facts, now)
    values = [evaluate(a, facts, now) for a in node.args]
    if name in COMPARISONS:
        return compare(name, values[0], values[1])
    if name == "in":
        return _contains(values[1], values[0])
    if name == "contains":
        return _contains(values[0], values[1])
    if name == "days_since":
        return days_since(values[0], now)
    if name == "lower":
        return values[0].lower() if isinstance(values[0], str) else values[0]
    return arithmetic(name, values)


def truthy(value: Any) -> bool:
    return bool(value) and value is not None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def compare(name: str, left: Any, right: Any) -> bool:
    if name in ("eq", "ne"):
        equal = _equal(left, right)
        return equal if name == "eq" else not equal
    a, b = _comparable(left, right)
    if a is None or b is None:
        return False
    if name == "gt":
        return bool(a > b)
    if name == "gte":
        return bool(a >= b)
    if name == "lt":
        return bool(a < b)
    return bool(a <= b)


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return bool(type(left) is type(right) and left == right)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a, b
    for kind in (str, datetime, date):
        if isinstance(left, kind) and isinstance(right, kind):
            if kind is date and (isinstance(left, datetime) != isinstance(right, datetime)):
                return None, None
            return left, right
    return None, None


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, str):
        return isinstance(needle, str) and needle in haystack
    if isinstance(haystack, list | tuple | set | frozenset):
        return any(_equal(item, needle) for item in haystack)
    return False


def days_since(value: Any, now: datetime) -> float | None:
    if isinstance(value, datetime):
        return (now - value).total_seconds() / 86400
    if isinstance(value, date):
        return float((now.date() - value).days)
    return None


def arithmetic(name: str, values: list[Any]) -> float | int | None:
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        return None
    nums = [n for n in numbers if n is not None]
    if name == "min":
        return min(nums)
    if name == "max":
        return max(nums)
    result = nums[0]
    for n in nums[1:]:
        if name == "add":
            result += n
        elif name == "sub":
            result -= n
        elif name == "mul":
            result *= n
        elif n == 0:
            return None
        else:
            result /= n
    return result if math.isfinite(result) else None
