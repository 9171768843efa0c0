"""The journey definition language as JSON Schema, for /openapi.json: what
parsing.parse accepts, written from the same constants so the two cannot drift
(tests/journeys/test_definition_schema.py generates definitions from it and parses
them). Pure data.

What JSON Schema cannot say, the descriptions do: step keys are unique within a
journey, a journey has at most MAX_STEPS steps in all, an expression at most
conditions.MAX_NODES parts, MAX_DEPTH deep."""

from __future__ import annotations

from typing import Any

from afterward.commerce.fields import NOT_BLANK_FOR_STRIP
from afterward.journeys import actions, conditions, durations
from afterward.journeys import definition as spec

Schema = dict[str, Any]
PREFIX = "Journey"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{PREFIX}{name}"}


def _text(limit: int, pattern: str = NOT_BLANK_FOR_STRIP) -> Schema:
    return {"type": "string", "maxLength": limit, "pattern": pattern}


def _one_of(values: tuple[str, ...]) -> Schema:
    return {"type": "string", "enum": list(values)}


def _object(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False}


def _or_null(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


EVENT = {"type": "string", "pattern": spec.EVENT.pattern}
DURATION = {"type": "string", "pattern": durations.PATTERN,
            "description": "P3D, PT12H, P1W, P1DT2H30M, 3d, 12h, 30m or 2w: at most "
                           f"{durations.MAX_WAIT.days} days"}
KNOWN_PATH = {"type": "string", "pattern": conditions.known_path_pattern()}
SCALAR = {"type": ["null", "boolean", "number"]}
TEXT_LITERAL = {"type": "string", "not": {"pattern": conditions.PATH_PATTERN},
                "description": "Text (a string shaped like a field path is a path)"}


def _list_of(item: Schema, low: int, high: int) -> Schema:
    return {"type": "array", "items": item, "minItems": low, "maxItems": high}


def _operator(name: str, operands: Schema) -> Schema:
    return _object({name: operands}, (name,))


def _operators() -> list[Schema]:
    expression, single = ref("Expression"), ref("Operand")
    unary = {"anyOf": [single, _list_of(expression, 1, 1)]}
    table = {"type": "object",
             "additionalProperties": {"type": ["null", "string", "number", "boolean"]}}
    out = [_operator("var", KNOWN_PATH), _operator("literal", {}),
           _operator("exists", {"anyOf": [KNOWN_PATH, _list_of(KNOWN_PATH, 1, 1)]}),
           _operator("lookup", {"type": "array", "minItems": 2, "maxItems": 3,
                                "prefixItems": [expression, table, expression]})]
    for name in sorted(conditions.COMPARISONS | {"in", "contains"}):
        out.append(_operator(name, _list_of(expression, 2, 2)))
    for name in ("not", "days_since", "lower"):
        out.append(_operator(name, unary))
    for name in ("and", "or"):
        out.append(_operator(name, {"anyOf": [single, _list_of(expression, 1, 64)]}))
    for name in sorted(conditions.ARITHMETIC):
        out.append(_operator(name, _list_of(expression, 2, 16)))
    return out


def _expressions() -> dict[str, Schema]:
    literal = {"anyOf": [SCALAR, TEXT_LITERAL, {"type": "array", "items": ref("Literal")},
                         _operator("literal", {})]}
    operand = {"anyOf": [SCALAR, TEXT_LITERAL, KNOWN_PATH, *_operators()],
               "description": "A literal, a field path or {operator: operands}: not a list"}
    expression = {"anyOf": [ref("Operand"), {"type": "array", "items": ref("Literal")}],
                  "description": f"At most {conditions.MAX_NODES} parts, "
                                 f"{conditions.MAX_DEPTH} deep"}
    return {"Literal": literal, "Operand": operand, "Expression": expression}


def _wait() -> Schema:
    unused = {"duration": {"type": "null"}, "days": {"type": "null"},
              "until_local_time": {"type": "null"}, "until_event": {"type": "null"}}
    ignored: dict[str, Schema] = {"timeout": {}, "on_timeout": {}, "match": {}}

    def variant(name: str, schema: Schema, others: dict[str, Schema]) -> Schema:
        return _object({**unused, **others, name: schema}, (name,))

    return {"anyOf": [
        variant("duration", DURATION, ignored),
        variant("days", {"allOf": [ref("Expression"), {"not": {"type": "null"}}]}, ignored),
        variant("until_local_time", {"type": "string", "pattern": spec.CLOCK.pattern},
                ignored),
        variant("until_event", {**EVENT, "maxLength": 100}, {
            "timeout": DURATION, "on_timeout": _one_of(("continue", "exit")),
            "match": _one_of(spec.MATCHES)}) | {"required": ["until_event", "timeout"]},
    ]}


def _send() -> Schema:
    addressed = {"anyOf": [
        {"required": ["channel"], "properties": {"channel": {"const": "webhook"}}},
        {"required": ["template"], "properties": {"template": {"type": "string"}}}]}
    return _object({
        "channel": _one_of(spec.CHANNELS), "purpose": _one_of(spec.PURPOSES),
        "template": _or_null(_text(64, spec.TEMPLATE_KEY.pattern)),
        "category": _or_null(_text(64)),
        "event_type": _or_null({**EVENT, "maxLength": 100}),
        "data": _or_null({"type": "object", "maxProperties": 30,
                          "additionalProperties": ref("Expression")}),
    }) | addressed


def _offer() -> Schema:
    """One variant per kind and limit: a limit (skus, categories or for) only on a
    percent or fixed offer, and at most one of them."""
    null = {"type": "null"}
    names = _list_of(_text(100), 1, spec.MAX_OFFER_LIMITS)
    limits: dict[str, Schema] = {"skus": names, "categories": names,
                                 "for": _one_of(spec.OFFER_SCOPES)}
    values = {"percent": ("percent_off", {"type": "integer", "minimum": 1, "maximum": 100}),
              "fixed": ("amount_minor", {"type": "integer", "minimum": 1,
                                         "maximum": 10**9})}
    variants: list[Schema] = []
    for kind in spec.OFFER_KINDS:
        base: dict[str, Schema] = {"kind": {"const": kind}, "expires_in": _or_null(DURATION),
                                   "percent_off": null, "amount_minor": null, "sku": null,
                                   **{name: null for name in limits}}
        required = ["kind"]
        if kind in values:
            name, schema = values[kind]
            base[name] = schema
            required.append(name)
        if kind == "free_product":
            base["sku"] = _text(100)
            required.append("sku")
        chosen = [None, *limits] if kind in values else [None]
        for limit in chosen:
            properties = dict(base)
            if limit is not None:
                properties[limit] = limits[limit]
            variants.append(_object(properties, tuple(required)))
    return {"anyOf": variants, "description": "A personal single-use code for the "
            "enrolment (docs/journeys.md): percent or fixed off (optionally limited to "
            "skus, categories or for: order_categories | order_complements), free "
            "shipping or a free product; expires_in at most "
            f"{spec.MAX_OFFER_EXPIRY.days} days"}


def _steps(depth: int) -> dict[str, Schema]:
    """Steps at a branch depth: a branch only above the deepest level."""
    kinds: dict[str, Schema] = {
        "wait": ref("Wait"), "send": ref("Send"),
        "holdout": _object({"share": {"type": "number", "exclusiveMinimum": 0,
                                      "exclusiveMaximum": 1}}, ("share",)),
        "exit": _or_null(_object({"reason": _or_null(_text(100))})),
        "offer": ref("Offer"),
        **{name: kind.SCHEMA for name, kind in sorted(actions.kinds().items())},
    }
    out: dict[str, Schema] = {}
    if depth < spec.MAX_BRANCH_DEPTH:
        inner = ref(f"Steps{depth + 1}")
        kinds["branch"] = _object({"if": ref("Expression"), "then": inner, "else": inner},
                                  ("if",))
    step_key = {"type": "string", "pattern": spec.STEP_KEY.pattern,
                "description": "Unique within the journey (default: from its place)"}
    out[f"Steps{depth}"] = {"type": "array", "maxItems": spec.MAX_STEPS, "items": {
        "anyOf": [_object({kind: schema, "key": step_key}, (kind,))
                  for kind, schema in kinds.items()]}}
    return out


def _trigger() -> Schema:
    """One event, or a list of them: not both."""
    common = {"filter": ref("Expression"), "max_age": _or_null(DURATION)}
    return {"anyOf": [_object({"event": EVENT, **common}, ("event",)),
                      _object({"events": _list_of(EVENT, 1, 20), **common}, ("events",))]}


def _journey(*, keyed: bool) -> Schema:
    properties: dict[str, Schema] = {
        "name": _text(200), "description": {"type": ["string", "null"], "maxLength": 2000},
        "trigger": ref("Trigger"),
        "steps": {"allOf": [ref("Steps0"), {"minItems": 1}],
                  "description": f"At most {spec.MAX_STEPS} steps in all, branches included"},
        "exit": _list_of(_object({"event": {**EVENT, "maxLength": 100},
                                  "match": _one_of(spec.MATCHES),
                                  "filter": ref("Expression")}, ("event",)), 0, 20),
        "re_entry": {"anyOf": [_one_of(("never", "always")),
                               {"type": "string", "pattern": spec.RE_ENTRY.pattern}]},
        "entry": _one_of(spec.ENTRIES),
        "version": {"description": "Ignored (exports carry it)"}, "enabled": {},
    }
    if keyed:
        properties = {"key": {"type": "string", "pattern": spec.KEY_PATTERN}, **properties}
    return _object(properties, ("key", "name", "trigger", "steps") if keyed
                   else ("name", "trigger", "steps"))


def components() -> dict[str, Schema]:
    """The schemas, named for components/schemas: Journey<name>."""
    parts: dict[str, Schema] = {
        "Definition": _journey(keyed=True) | {
            "description": "A journey definition (docs/journeys.md)."},
        "Update": _journey(keyed=False) | {
            "description": "A journey definition; its key is the path's (a `key` given "
                           "too must equal it)."},
        "Trigger": _trigger(), "Wait": _wait(), "Send": _send(), "Offer": _offer(),
        **_expressions(),
    }
    for depth in range(spec.MAX_BRANCH_DEPTH + 1):
        parts.update(_steps(depth))
    return {PREFIX + name: schema for name, schema in parts.items()}
