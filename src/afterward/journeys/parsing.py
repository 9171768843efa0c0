"""Parse and validate a journey definition's JSON into journeys/definition.py's values.
Pure. Every problem is reported with its path (`steps[2].wait.duration: ...`), all at
once, so an editor can show them together."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta
from typing import Any

from afterward.commerce.schemas import contains_nul
from afterward.journeys import actions, conditions, durations
from afterward.journeys.conditions import Node, Problem
from afterward.journeys.definition import (
    CHANNELS,
    CLOCK,
    DEFAULT_MAX_AGE,
    ENTRIES,
    EVENT,
    KEY,
    MATCHES,
    MAX_BRANCH_DEPTH,
    MAX_OFFER_EXPIRY,
    MAX_OFFER_LIMITS,
    MAX_STEPS,
    OFFER_KINDS,
    OFFER_SCOPES,
    PURPOSES,
    RE_ENTRY,
    RESERVED_KEYS,
    STEP_KEY,
    STEP_KINDS,
    TEMPLATE_KEY,
    Action,
    Branch,
    DefinitionError,
    Exit,
    ExitRule,
    Holdout,
    Journey,
    Offer,
    ReEntry,
    Send,
    Step,
    Trigger,
    Wait,
)


def parse_text(text: str) -> Journey:
    """JSON text (from a file or the admin editor); syntax errors name line and column."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError([Problem(f"line {exc.lineno}, column {exc.colno}",
                                       f"not valid JSON: {exc.msg}")]) from exc
    except RecursionError as exc:
        raise DefinitionError([Problem("", "nested too deeply")]) from exc
    return parse(raw)


def parse(raw: Any) -> Journey:
    if contains_nul(raw):  # PostgreSQL's JSON cannot hold one; nor has it any use here
        raise DefinitionError([Problem("", "text may not contain NUL characters")])
    problems: list[Problem] = []
    journey = _Parser(problems).journey(raw)
    if problems or journey is None:
        raise DefinitionError(problems or [Problem("", "not a journey definition")])
    return journey


def parse_duration(text: Any) -> timedelta | None:
    """"P3D", "PT12H", "P1W", "P1DT2H30M" or "3d", "12h", "30m", "2w"; None if neither
    (or out of bounds: durations.parse says why)."""
    try:
        return durations.parse(text)
    except durations.DurationError:
        return None


class _Parser:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.step_count = 0
        self.step_keys: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, raw: Any, path: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.problem(path, f"expected an object, got {_kind(raw)}")
            return None
        for name in sorted(set(map(str, raw)) - allowed):
            self.problem(f"{path}.{name}" if path else name,
                         f"unknown field (allowed: {', '.join(sorted(allowed))})")
        return raw

    def text(self, raw: dict[str, Any], name: str, path: str, *, required: bool = True,
             pattern: re.Pattern[str] | None = None, limit: int = 200) -> str | None:
        where = f"{path}.{name}" if path else name
        value = raw.get(name)
        if value is None:
            if required:
                self.problem(where, "required")
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.problem(where, f"expected text of 1-{limit} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.problem(where, f"{value!r} does not match {pattern.pattern}")
            return None
        return value.strip()

    def duration(self, raw: dict[str, Any], name: str, path: str, *,
                 required: bool = False) -> timedelta | None:
        where = f"{path}.{name}"
        if raw.get(name) is None:
            if required:
                self.problem(where, "required")
            return None
        try:
            return durations.parse(raw[name])
        except durations.DurationError as exc:
            self.problem(where, str(exc))
            return None

    def condition(self, raw: Any, path: str) -> Node:
        return conditions.parse(raw, path, self.problems)

    def match(self, raw: dict[str, Any], path: str) -> str:
        value = raw.get("match", "customer")
        if value not in MATCHES:
            self.problem(f"{path}.match", f"one of {', '.join(MATCHES)}")
            return "customer"
        return str(value)

    # -- the parts --

    def journey(self, raw: Any) -> Journey | None:
        body = self.mapping(raw, "", {"key", "name", "description", "trigger", "steps", "exit",
                                      "re_entry", "entry", "version", "enabled"})
        if body is None:
            return None
        key = self.text(body, "key", "", pattern=KEY, limit=64)
        if key in RESERVED_KEYS:
            self.problem("key", f"{key!r} is reserved: {', '.join(RESERVED_KEYS)} name API paths")
            key = None
        name = self.text(body, "name", "", limit=200)
        description = body.get("description")
        if description is not None and (not isinstance(description, str)
                                        or len(description) > 2000):
            self.problem("description", "expected text of at most 2000 characters")
            description = None
        trigger = self.trigger(body.get("trigger"), "trigger")
        steps = self.steps(body.get("steps"), "steps", depth=0)
        if isinstance(body.get("steps"), list) and not body["steps"]:
            self.problem("steps", "a journey needs at least one step")
        exits = self.exit_rules(body.get("exit", []), "exit")
        re_entry = self.re_entry(body.get("re_entry", "always"))
        entry = body.get("entry", "subject")
        if entry not in ENTRIES:
            self.problem("entry", f"one of {', '.join(ENTRIES)}")
        if key is None or name is None or trigger is None or self.problems:
            return None
        return Journey(key=key, name=name, trigger=trigger, steps=steps, exit_rules=exits,
                       re_entry=re_entry, entry=str(entry), description=description or "")

    def trigger(self, raw: Any, path: str) -> Trigger | None:
        body = self.mapping(raw, path, {"event", "events", "filter", "max_age"})
        if body is None:
            return None
        names = body.get("events", [body["event"]] if "event" in body else None)
        if "event" in body and "events" in body:
            self.problem(path, "give event or events, not both")
        if not isinstance(names, list) or not names or len(names) > 20:
            self.problem(f"{path}.event", "required: an event name like shipment.delivered")
            return None
        for i, name in enumerate(names):
            if not isinstance(name, str) or not EVENT.fullmatch(name):
                where = f"{path}.events[{i}]" if "events" in body else f"{path}.event"
                self.problem(where, f"{name!r} is not an event name like shipment.delivered")
        condition = self.condition(body["filter"], f"{path}.filter") \
            if body.get("filter") is not None else None
        max_age = self.duration(body, "max_age", path) or DEFAULT_MAX_AGE
        return Trigger(tuple(str(n) for n in names), condition, max_age)

    def exit_rules(self, raw: Any, path: str) -> tuple[ExitRule, ...]:
        if not isinstance(raw, list) or len(raw) > 20:
            self.problem(path, "expected a list of at most 20 exit rules")
            return ()
        rules = []
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            body = self.mapping(item, where, {"event", "match", "filter"})
            if body is None:
                continue
            event = self.text(body, "event", where, pattern=EVENT, limit=100)
            match = self.match(body, where)
            condition = self.condition(body["filter"], f"{where}.filter") \
                if body.get("filter") is not None else None
            if event:
                rules.append(ExitRule(event, match, condition))
        return tuple(rules)

    def re_entry(self, raw: Any) -> ReEntry:
        if raw in ("never", "always"):
            return ReEntry(str(raw))
        found = RE_ENTRY.fullmatch(raw) if isinstance(raw, str) else None
        if found:
            return ReEntry("after_days", int(found.group(1)))
        self.problem("re_entry", f"{raw!r}: one of never, always, after_days:N (N 1-3650)")
        return ReEntry("always")

    def steps(self, raw: Any, path: str, *, depth: int) -> tuple[Step, ...]:
        if not isinstance(raw, list):
            self.problem(path, f"expected a list of steps, got {_kind(raw)}")
            return ()
        out = []
        for i, item in enumerate(raw):
            self.step_count += 1
            if self.step_count > MAX_STEPS:
                self.problem(f"{path}[{i}]", f"a journey has at most {MAX_STEPS} steps")
                break
            step = self.step(item, f"{path}[{i}]", depth)
            if step is not None:
                out.append(step)
        return tuple(out)

    def step(self, raw: Any, path: str, depth: int) -> Step | None:
        if not isinstance(raw, dict):
            self.problem(path, f"expected a step object, got {_kind(raw)}")
            return None
        every = (*STEP_KINDS, *actions.names())
        kinds = [k for k in every if k in raw]
        if len(kinds) != 1:
            others = sorted(set(map(str, raw)) - {"key"})
            self.problem(path, f"a step is exactly one of {', '.join(every)}"
                               + (f" (got {', '.join(others[:5])})" if others else ""))
            return None
        body = self.mapping(raw, path, {kinds[0], "key"})
        if body is None:
            return None
        kind = kinds[0]
        key = self.step_key(body, path)
        where = f"{path}.{kind}"
        spec = body[kind] if body[kind] is not None else {}
        if kind == "wait":
            return self.wait(spec, where, key)
        if kind == "send":
            return self.send(spec, where, key)
        if kind == "holdout":
            return self.holdout(spec, where, key)
        if kind == "offer":
            return self.offer(spec, where, key)
        if kind not in STEP_KINDS:
            config = actions.parse(kind, spec, where, self.problems)
            return Action(key, kind, config) if config is not None else None
        if kind == "exit":
            inner = self.mapping(spec, where, {"reason"})
            reason = self.text(inner, "reason", where, required=False, limit=100) \
                if inner is not None else None
            return Exit(key, reason or "exit step")
        return self.branch(spec, where, key, depth)

    def step_key(self, body: dict[str, Any], path: str) -> str:
        if "key" in body:
            key = self.text(body, "key", path, pattern=STEP_KEY, limit=40)
        else:
            key = path.replace("steps", "s").replace(".branch.", ".")
        key = key or path
        if key in self.step_keys:
            self.problem(f"{path}.key", f"step key {key!r} is used twice")
        self.step_keys.add(key)
        return key

    def wait(self, raw: Any, path: str, key: str) -> Wait | None:
        body = self.mapping(raw, path, {"duration", "days", "until_local_time", "until_event",
                                        "timeout", "on_timeout", "match"})
        if body is None:
            return None
        given = [k for k in ("duration", "days", "until_local_time", "until_event")
                 if body.get(k) is not None]
        if len(given) != 1:
            self.problem(path, "give exactly one of duration, days, until_local_time, "
                               "until_event")
            return None
        if given == ["duration"]:
            return Wait(key, duration=self.duration(body, "duration", path, required=True))
        if given == ["days"]:
            return Wait(key, days=self.condition(body["days"], f"{path}.days"))
        if given == ["until_local_time"]:
            clock = body["until_local_time"]
            found = CLOCK.fullmatch(clock) if isinstance(clock, str) else None
            if not found:
                self.problem(f"{path}.until_local_time", f"{clock!r} is not a time like 10:00")
                return None
            return Wait(key, until_local_time=time(int(found.group(1)), int(found.group(2))))
        event = self.text(body, "until_event", path, pattern=EVENT, limit=100)
        timeout = self.duration(body, "timeout", path, required=True)
        on_timeout = body.get("on_timeout", "continue")
        if on_timeout not in ("continue", "exit"):
            self.problem(f"{path}.on_timeout", "one of continue, exit")
        return Wait(key, until_event=event, timeout=timeout, on_timeout=str(on_timeout),
                    match=self.match(body, path))

    def send(self, raw: Any, path: str, key: str) -> Send | None:
        body = self.mapping(raw, path, {"channel", "template", "purpose", "category", "data",
                                        "event_type"})
        if body is None:
            return None
        channel = body.get("channel", "email")
        if channel not in CHANNELS:
            self.problem(f"{path}.channel", f"one of {', '.join(CHANNELS)}")
        purpose = body.get("purpose", "transactional")
        if purpose not in PURPOSES:
            self.problem(f"{path}.purpose", f"one of {', '.join(PURPOSES)}")
        template = self.text(body, "template", path, required=channel != "webhook",
                             pattern=TEMPLATE_KEY, limit=64)
        category = self.text(body, "category", path, required=False, limit=64)
        event_type = self.text(body, "event_type", path, required=False, pattern=EVENT,
                               limit=100)
        data: list[tuple[str, Node]] = []
        raw_data = body.get("data")
        raw_data = {} if raw_data is None else raw_data
        if not isinstance(raw_data, dict) or len(raw_data) > 30:
            self.problem(f"{path}.data", "expected an object of at most 30 values")
        else:
            for name, value in raw_data.items():
                data.append((str(name)[:64], self.condition(value, f"{path}.data.{name}")))
        return Send(key, str(channel), template, str(purpose), category or template or "journey",
                    tuple(data), event_type)

    def offer(self, raw: Any, path: str, key: str) -> Offer | None:
        body = self.mapping(raw, path, {"kind", "percent_off", "amount_minor", "sku",
                                        "expires_in", "skus", "categories", "for"})
        if body is None:
            return None
        before = len(self.problems)
        kind = body.get("kind")
        if kind not in OFFER_KINDS:
            self.problem(f"{path}.kind", f"required: one of {', '.join(OFFER_KINDS)}")
            return None
        value_of = {"percent": "percent_off", "fixed": "amount_minor"}.get(str(kind))
        amounts: dict[str, int | None] = {"percent_off": None, "amount_minor": None}
        for name, low, high in (("percent_off", 1, 100), ("amount_minor", 1, 10**9)):
            value = body.get(name)
            if name == value_of and value is None:
                self.problem(f"{path}.{name}", f"required for a {kind} offer")
            elif name != value_of and value is not None:
                self.problem(f"{path}.{name}", f"not for a {kind} offer")
            elif value is not None:
                whole = _whole(value)
                if whole is None or not low <= whole <= high:
                    self.problem(f"{path}.{name}", f"a whole number from {low} to {high}")
                amounts[name] = whole
        sku = self.text(body, "sku", path, required=kind == "free_product", limit=100)
        if kind != "free_product" and sku is not None:
            self.problem(f"{path}.sku", "only for a free_product offer")
        expires_in = self.duration(body, "expires_in", path)
        if expires_in is not None and expires_in > MAX_OFFER_EXPIRY:
            self.problem(f"{path}.expires_in", f"at most {MAX_OFFER_EXPIRY.days} days")
        skus = self.names(body, "skus", path)
        categories = self.names(body, "categories", path)
        scope = body.get("for")
        if scope is not None and scope not in OFFER_SCOPES:
            self.problem(f"{path}.for", f"one of {', '.join(OFFER_SCOPES)}")
        limits = [name for name in ("skus", "categories", "for") if body.get(name) is not None]
        if len(limits) > 1:
            self.problem(f"{path}.{limits[1]}", "limit an offer by one of skus, categories "
                                                "or for")
        if limits and kind in ("free_shipping", "free_product"):
            self.problem(f"{path}.{limits[0]}", f"a {kind} offer is not limited to products")
        if len(self.problems) > before:
            return None
        return Offer(key, str(kind), percent_off=amounts["percent_off"],
                     amount_minor=amounts["amount_minor"], sku=sku, expires_in=expires_in,
                     skus=skus, categories=categories, scope=scope)

    def names(self, raw: dict[str, Any], name: str, path: str) -> tuple[str, ...]:
        value = raw.get(name)
        if value is None:
            return ()
        where = f"{path}.{name}"
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_OFFER_LIMITS:
            self.problem(where, f"expected a list of 1-{MAX_OFFER_LIMITS} names")
            return ()
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip() or len(item) > 100:
                self.problem(f"{where}[{i}]", "expected text of 1-100 characters")
                return ()
        return tuple(dict.fromkeys(item.strip() for item in value))

    def holdout(self, raw: Any, path: str, key: str) -> Holdout | None:
        body = self.mapping(raw, path, {"share"})
        if body is None:
            return None
        share = body.get("share")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
            self.problem(f"{path}.share", "a share between 0 and 1, e.g. 0.1")
            return None
        return Holdout(key, float(share))

    def branch(self, raw: Any, path: str, key: str, depth: int) -> Branch | None:
        body = self.mapping(raw, path, {"if", "then", "else"})
        if body is None:
            return None
        if depth >= MAX_BRANCH_DEPTH:
            self.problem(path, f"branches nest at most {MAX_BRANCH_DEPTH} deep")
            return None
        if "if" not in body:
            self.problem(f"{path}.if", "required: the condition")
            return None
        condition = self.condition(body["if"], f"{path}.if")
        then = self.steps(body.get("then", []), f"{path}.then", depth=depth + 1)
        otherwise = self.steps(body.get("else", []), f"{path}.else", depth=depth + 1)
        return Branch(key, condition, then, otherwise)


def _whole(value: Any) -> int | None:
    """A whole number as JSON may write it (10 or 10.0); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value if isinstance(value, int) else None


def _kind(raw: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "nothing",
            bool: "true/false"}.get(type(raw), "a number")
