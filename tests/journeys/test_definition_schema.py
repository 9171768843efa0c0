"""The journey definition's JSON Schema (in /openapi.json) and the parser agree: what
the schema allows parses, what parses (every built-in) the schema allows."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from afterward.commerce.schemas import contains_nul
from afterward.journeys import builtins, definition_schema, durations, parsing
from afterward.journeys import definition as spec
from tests.journeys.generated import within_unstated_rules
from tests.journeys.helpers import definition


def document(name: str) -> dict[str, Any]:
    """An API that takes one schema as its body."""
    return {"openapi": "3.1.0", "info": {"title": "journeys", "version": "1"},
            "paths": {"/journeys": {"post": {
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": definition_schema.ref(name)}}},
                "responses": {"200": {"description": "parsed"}}}}},
            "components": {"schemas": definition_schema.components()}}


def validator(name: str) -> Any:
    return jsonschema_rs.validator_for({**document(name), **definition_schema.ref(name)})


GENERATED = schemathesis.openapi.from_dict(document("Definition"))["/journeys"]["POST"]


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(case=GENERATED.as_strategy())
def test_every_definition_the_schema_allows_parses(case):
    raw = within_unstated_rules(case.body)
    if contains_nul(raw):
        return  # text never holds NUL (parse refuses it; the API says so once for all)

    parsed = parsing.parse(raw)

    assert parsed.key == raw["key"]


@pytest.mark.parametrize("raw", builtins.definitions(), ids=builtins.keys())
def test_every_built_in_matches_the_schema(raw):
    assert validator("Definition").is_valid(raw)
    assert validator("Update").is_valid({k: v for k, v in raw.items() if k != "key"})


def test_the_schema_refuses_what_the_parser_refuses():
    check = validator("Definition")

    assert check.is_valid(definition())
    assert not check.is_valid(definition(key="validate"))
    assert not check.is_valid(definition(trigger={"event": "a.b", "events": ["a.b"]}))
    assert not check.is_valid(definition(steps=[]))
    assert not check.is_valid(definition(steps=[{"wait": {"duration": "P731D"}}]))
    assert not check.is_valid(definition(steps=[{"holdout": {"share": 1}}]))
    assert not check.is_valid(definition(trigger={"event": "a.b", "filter": "order.nope"}))
    assert not check.is_valid(definition(steps=[{"send": {"channel": "email"}}]))


def test_a_reserved_key_is_refused_with_its_reason():
    with pytest.raises(spec.DefinitionError) as caught:
        parsing.parse(definition(key="install-builtins"))

    assert str(caught.value.problems[0]) == (
        "key: 'install-builtins' is reserved: validate, install-builtins name API paths")


@pytest.mark.parametrize(("text", "days"), [
    ("730d", 730), ("104w", 728), ("P730D", 730), ("PT17520H", 730), ("P52W365DT23H59M", 729),
    ("0d", 0), ("PT99999M", 69),
])
def test_a_duration_the_pattern_allows_parses(text, days):
    assert durations.parse(text).days == days
    assert jsonschema_rs.validator_for({"pattern": durations.PATTERN}).is_valid(text)


@pytest.mark.parametrize(("text", "reason"), [
    ("731d", "at most 730 days"), ("P1DT24H", "in a duration of several parts, at most 52 "
                                  "weeks, 365 days, 23 hours and 59 minutes each"),
    ("007d", "'007d' is not a duration like P3D, PT12H, 3d or 12h"),
    ("p3d", "'p3d' is not a duration like P3D, PT12H, 3d or 12h"),
    ("P1DT", "'P1DT' is not a duration like P3D, PT12H, 3d or 12h"),
])
def test_a_duration_the_pattern_refuses_is_refused_with_the_reason(text, reason):
    with pytest.raises(durations.DurationError) as caught:
        durations.parse(text)

    assert str(caught.value) == reason
    assert not jsonschema_rs.validator_for({"pattern": durations.PATTERN}).is_valid(text)
