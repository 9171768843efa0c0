"""Journey definitions: parsed into typed values; every problem named by its path."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from afterward.journeys import builtins, parsing
from afterward.journeys import definition as spec
from afterward.journeys.conditions import Lit, Op, Var
from tests.journeys.helpers import definition


def problems(raw) -> list[tuple[str, str]]:
    with pytest.raises(spec.DefinitionError) as caught:
        parsing.parse(raw)
    return [(p.path, p.message) for p in caught.value.problems]


def test_a_definition_becomes_typed_steps():
    parsed = parsing.parse(definition(
        trigger={"events": ["shipment.delivered"], "filter": {"gte": ["order.total_minor", 5000]},
                 "max_age": "12h"},
        steps=[{"wait": {"duration": "P3D"}},
               {"key": "check", "branch": {"if": {"exists": "customer.phone"},
                                           "then": [{"send": {"channel": "sms",
                                                              "template": "t"}}],
                                           "else": [{"exit": {"reason": "no phone"}}]}},
               {"holdout": {"share": 0.1}}],
        exit=[{"event": "return.opened", "match": "order"}], re_entry="after_days:30",
        entry="customer"))

    assert parsed.trigger == spec.Trigger(
        ("shipment.delivered",), Op("gte", (Var(("order", "total_minor")), Lit(5000))),
        timedelta(hours=12))
    wait, branch, holdout = parsed.steps
    assert wait == spec.Wait("s[0]", duration=timedelta(days=3))
    assert isinstance(branch, spec.Branch)
    assert branch.then == (spec.Send("s[1].then[0]", "sms", "t", "transactional", "t"),)
    assert branch.otherwise == (spec.Exit("s[1].else[0]", "no phone"),)
    assert holdout == spec.Holdout("s[2]", 0.1)
    assert parsed.exit_rules == (spec.ExitRule("return.opened", "order"),)
    assert parsed.re_entry == spec.ReEntry("after_days", 30)
    assert parsed.entry == "customer"


def test_a_bad_duration_is_named_by_its_path():
    raw = definition(steps=[{"send": {"template": "x"}}, {"wait": {"duration": "P3D"}},
                            {"wait": {"duration": "three days"}}])

    with pytest.raises(spec.DefinitionError) as caught:
        parsing.parse(raw)

    assert caught.value.field == "steps[2].wait.duration"
    assert caught.value.message == ("steps[2].wait.duration: 'three days' is not a duration "
                                    "like P3D, PT12H, 3d or 12h")


def test_every_problem_is_reported_at_once():
    assert problems({"key": "K!", "trigger": {"event": "Order"}, "steps": [],
                     "re_entry": "sometimes", "colour": 1}) == [
        ("colour", "unknown field (allowed: description, enabled, entry, exit, key, name, "
                   "re_entry, steps, trigger, version)"),
        ("key", "'K!' does not match ^[a-z0-9][a-z0-9_-]{0,63}$"),
        ("name", "required"),
        ("trigger.event", "'Order' is not an event name like shipment.delivered"),
        ("steps", "a journey needs at least one step"),
        ("re_entry", "'sometimes': one of never, always, after_days:N (N 1-3650)"),
    ]


def test_problems_inside_branches_and_conditions_have_full_paths():
    raw = definition(
        trigger={"event": "order.created", "filter": {"gte": ["order.totl_minor", 5]}},
        steps=[{"branch": {"if": {"between": [1, 2]},
                           "then": [{"holdout": {"share": 1.5}}],
                           "else": [{"exit": {}}, {"fly": {}}]}}])

    found = problems(raw)

    assert [path for path, _ in found] == [
        "trigger.filter.gte[0]", "steps[0].branch.if.between",
        "steps[0].branch.then[0].holdout.share", "steps[0].branch.else[1]"]
    assert found[0][1].startswith("order has no field 'totl_minor' (known: categories,")
    assert found[1][1].startswith("unknown operator 'between' (known: add, and,")
    assert found[2][1] == "a share between 0 and 1, e.g. 0.1"
    assert found[3][1] == ("a step is exactly one of wait, branch, send, holdout, exit, "
                           "offer, loyalty_points (got fly)")


def test_waits_are_checked():
    assert problems(definition(steps=[
        {"wait": {"until_event": "return.opened"}},
        {"wait": {"until_local_time": "25:00"}},
        {"wait": {"duration": "P3D", "until_local_time": "10:00"}},
        {"wait": {"until_event": "review.submitted", "timeout": "7d", "on_timeout": "stop"}},
        {"wait": {"duration": "P1000D"}},
    ])) == [
        ("steps[0].wait.timeout", "required"),
        ("steps[1].wait.until_local_time", "'25:00' is not a time like 10:00"),
        ("steps[2].wait", "give exactly one of duration, days, until_local_time, until_event"),
        ("steps[3].wait.on_timeout", "one of continue, exit"),
        ("steps[4].wait.duration", "at most 730 days"),
    ]


def test_an_until_event_wait_keeps_its_timeout_and_what_to_do_then():
    parsed = parsing.parse(definition(steps=[{"key": "await", "wait": {
        "until_event": "review.submitted", "timeout": "7d", "on_timeout": "exit",
        "match": "order"}}, {"wait": {"until_local_time": "09:30"}}]))

    assert parsed.steps == (
        spec.Wait("await", until_event="review.submitted", timeout=timedelta(days=7),
                  on_timeout="exit", match="order"),
        spec.Wait("s[1]", until_local_time=time(9, 30)))
    assert parsed.events_of_interest() == frozenset({"review.submitted"})


def test_step_keys_are_unique():
    assert problems(definition(steps=[{"key": "a", "exit": None}, {"key": "a", "exit": None}])) \
        == [("steps[1].key", "step key 'a' is used twice")]


def test_sends_are_checked():
    assert problems(definition(steps=[
        {"send": {"channel": "fax", "template": "t"}},
        {"send": {"channel": "email", "purpose": "spam"}},
        {"send": {"channel": "webhook", "data": {"total": "order.totl"}}},
    ])) == [
        ("steps[0].send.channel", "one of email, sms, webhook"),
        ("steps[1].send.purpose", "one of transactional, marketing"),
        ("steps[1].send.template", "required"),
        ("steps[2].send.data.total", "order has no field 'totl' (known: categories, currency, "
         "discount_minor, id, items_count, lines_count, main_category, number, placed_at, "
         "refunded_minor, ship_country, skus, source, status, subtotal_minor, total_minor)"),
    ]


def test_json_text_errors_name_the_line_and_column():
    with pytest.raises(spec.DefinitionError) as caught:
        parsing.parse_text('{"key": "k",\n "name": }')

    assert caught.value.message == "line 2, column 10: not valid JSON: Expecting value"


def test_something_that_is_not_an_object_is_refused():
    assert problems([1]) == [("", "expected an object, got a list")]
    assert problems(None) == [("", "expected an object, got nothing")]


@pytest.mark.parametrize(("text", "expected"), [
    ("P3D", timedelta(days=3)), ("PT12H", timedelta(hours=12)), ("P1W", timedelta(weeks=1)),
    ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)), ("3d", timedelta(days=3)),
    ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)), ("2w", timedelta(weeks=2)),
    ("P", None), ("PT", None), ("3 days", None), ("-3d", None), (3, None), ("", None),
])
def test_durations(text, expected):
    assert parsing.parse_duration(text) == expected


def test_deeply_nested_branches_are_refused_not_crashed_on():
    steps: list = [{"exit": None}]
    for _ in range(8):
        steps = [{"branch": {"if": True, "then": steps}}]

    found = problems(definition(steps=steps))

    assert found == [("steps[0].branch.then[0].branch.then[0].branch.then[0].branch.then[0]"
                      ".branch.then[0].branch", "branches nest at most 5 deep")]


@pytest.mark.parametrize("raw", builtins.definitions(), ids=builtins.keys())
def test_every_built_in_is_valid(raw):
    parsed = parsing.parse(raw)
    assert parsed.key == raw["key"]
