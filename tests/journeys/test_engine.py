"""The step engine, pure: waits, local times across daylight-saving changes, events
with timeouts, branches, holdouts, exits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from afterward.journeys import engine, parsing
from afterward.journeys.engine import Inputs, Instruction, Record, SendRequest, State

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def program(*steps):
    parsed = parsing.parse({"key": "j", "name": "J", "trigger": {"event": "order.created"},
                         "steps": list(steps)})
    return engine.compile_steps(parsed.steps)


def send(key, template="t"):
    return {"key": key, "send": {"template": template}}


def kinds(outcome):
    return [(e.step.key, "send") if isinstance(e, SendRequest) else (e.step_key, e.kind)
            for e in outcome.effects]


def test_a_branch_compiles_to_jumps():
    code = program(send("a"), {"key": "b", "branch": {"if": True, "then": [send("c")],
                                                      "else": [send("d"), send("e")]}},
                   send("f"))

    assert [(i.op, i.step.key if i.step else None, i.target) for i in code] == [
        ("send", "a", -1), ("branch", "b", 4), ("send", "c", -1), ("jump", None, 6),
        ("send", "d", -1), ("send", "e", -1), ("send", "f", -1)]
    assert isinstance(code[0], Instruction)


def test_a_journey_runs_until_it_waits_then_resumes_when_due():
    code = program(send("a"), {"key": "w", "wait": {"duration": "P3D"}}, send("b"))

    first = engine.run(code, State(), Inputs({}, T0))
    early = engine.run(code, first.state, Inputs({}, T0 + timedelta(days=1)))
    due = engine.run(code, first.state, Inputs({}, T0 + timedelta(days=3)))

    assert kinds(first) == [("a", "send"), ("w", "wait")]
    assert (first.status, first.wake_at) == ("active", T0 + timedelta(days=3))
    assert first.state == State(position=1, due_at=T0 + timedelta(days=3))
    assert (kinds(early), early.status, early.wake_at) == ([], "active", T0 + timedelta(days=3))
    assert kinds(due) == [("w", "waited"), ("b", "send"), (None, "completed")]
    assert due.status == "completed"


def test_a_computed_wait_counts_days_from_the_facts():
    code = program({"key": "w", "wait": {"days": {"sub": ["product.replenishment_days", 5]}}})

    found = engine.run(code, State(), Inputs({"product": {"replenishment_days": 30}}, T0))
    unknown = engine.run(code, State(), Inputs({"product": {}}, T0))

    assert found.wake_at == T0 + timedelta(days=25)
    assert found.effects == (Record("w", "wait", {"until": "2026-03-27T09:00:00+00:00"}),)
    assert unknown.status == "completed"
    assert unknown.effects[0] == Record("w", "waited", {"skipped": "days not known"})


@pytest.mark.parametrize(("now", "zone", "clock", "expected"), [
    # New York springs forward on 8 March 2026: 10:00 is 15:00 UTC before, 14:00 after.
    ("2026-03-07T14:00Z", "America/New_York", "10:00", "2026-03-07T15:00Z"),
    ("2026-03-07T16:00Z", "America/New_York", "10:00", "2026-03-08T14:00Z"),
    # 02:30 does not exist that night: the wait ends at 03:30 EDT.
    ("2026-03-07T16:00Z", "America/New_York", "02:30", "2026-03-08T07:30Z"),
    # Falling back on 1 November, 01:30 happens twice: the first one.
    ("2026-10-31T12:00Z", "America/New_York", "01:30", "2026-11-01T05:30Z"),
    # Berlin springs forward on 29 March: 10:00 is 09:00 UTC before, 08:00 after.
    ("2026-03-28T09:30Z", "Europe/Berlin", "10:00", "2026-03-29T08:00Z"),
    ("2026-03-28T08:59Z", "Europe/Berlin", "10:00", "2026-03-28T09:00Z"),
    # Exactly at the time: the next day's.
    ("2026-03-28T09:00Z", "Europe/Berlin", "10:00", "2026-03-29T08:00Z"),
    # UTC+14: it is already 1 July, 13:00 there.
    ("2026-06-30T23:00Z", "Pacific/Kiritimati", "09:00", "2026-07-01T19:00Z"),
])
def test_until_local_time_across_daylight_saving(now, zone, clock, expected):
    def at(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert engine.next_local_time(at(now), zone, time.fromisoformat(clock)) == at(expected)


def test_a_local_time_wait_uses_the_customer_s_zone():
    code = program({"key": "w", "wait": {"until_local_time": "10:00"}}, send("a"))

    outcome = engine.run(code, State(), Inputs({}, T0, timezone="America/New_York"))

    assert outcome.wake_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_until_event_goes_on_when_the_event_comes():
    code = program({"key": "w", "wait": {"until_event": "review.submitted", "timeout": "7d"}},
                   send("thanks"))

    waiting = engine.run(code, State(), Inputs({}, T0))
    moved = engine.event_arrived(waiting.state, "review.submitted")
    assert moved is not None
    after = engine.run(code, moved, Inputs({}, T0 + timedelta(days=1)))

    assert waiting.state == State(0, T0 + timedelta(days=7), "review.submitted")
    assert kinds(waiting) == [("w", "waiting_event")]
    assert engine.event_arrived(waiting.state, "order.created") is None
    assert kinds(after) == [("thanks", "send"), (None, "completed")]


@pytest.mark.parametrize(("on_timeout", "status", "sent"), [("continue", "completed", True),
                                                            ("exit", "exited", False)])
def test_until_event_times_out(on_timeout, status, sent):
    code = program({"key": "w", "wait": {"until_event": "review.submitted", "timeout": "7d",
                                         "on_timeout": on_timeout}}, send("nudge"))

    waiting = engine.run(code, State(), Inputs({}, T0))
    timed_out = engine.run(code, waiting.state, Inputs({}, T0 + timedelta(days=7)))

    assert timed_out.status == status
    assert (("nudge", "send") in kinds(timed_out)) is sent
    assert kinds(timed_out)[0] == ("w", "timeout")
    if on_timeout == "exit":
        assert timed_out.exit_reason == "timeout waiting for review.submitted"


@pytest.mark.parametrize(("orders", "taken", "last"), [(1, "then", ("yes", "send")),
                                                       (2, "else", ("no", "exit"))])
def test_a_branch_takes_then_or_else(orders, taken, last):
    code = program({"key": "b", "branch": {"if": {"eq": ["customer.orders_count", 1]},
                                           "then": [send("yes")],
                                           "else": [{"key": "no", "exit": {"reason": "bought"}}]}})

    outcome = engine.run(code, State(), Inputs({"customer": {"orders_count": orders}}, T0))

    assert kinds(outcome)[0] == ("b", "branch")
    assert outcome.effects[0].detail == {"taken": taken}
    assert kinds(outcome)[1] == last


def test_a_holdout_keeps_the_control_group_out_and_records_it():
    code = program({"key": "h", "holdout": {"share": 0.1}}, send("offer"))

    control = engine.run(code, State(), Inputs({}, T0, holdout_draw=0.05))
    treated = engine.run(code, State(), Inputs({}, T0, holdout_draw=0.1))

    assert (control.status, control.exit_reason, control.state.group) == (
        "exited", "holdout", "control")
    assert kinds(control) == [("h", "holdout")]
    assert treated.state.group == "treatment"
    assert kinds(treated) == [("h", "holdout"), ("offer", "send"), (None, "completed")]


def test_the_holdout_draw_is_reproducible_and_fair():
    draws = [engine.holdout_draw(store_id=1, journey_key="winback", unit=f"customer:{i}")
             for i in range(20_000)]

    assert engine.holdout_draw(store_id=1, journey_key="winback", unit="customer:0") == draws[0]
    assert draws[:3] == [engine.holdout_draw(store_id=1, journey_key="winback",
                                             unit=f"customer:{i}") for i in range(3)]
    assert 0.095 < sum(d < 0.1 for d in draws) / len(draws) < 0.105
    assert engine.holdout_draw(store_id=2, journey_key="winback", unit="customer:0") != draws[0]


def test_send_data_is_computed_from_the_facts():
    code = program({"key": "s", "send": {"template": "t", "data": {
        "title": "product.title", "days": {"sub": ["product.replenishment_days", 5]},
        "at": "order.placed_at", "fixed": "hello"}}})

    outcome = engine.run(code, State(), Inputs(
        {"product": {"title": "Tea", "replenishment_days": 30}, "order": {"placed_at": T0}}, T0))

    request = outcome.effects[0]
    assert isinstance(request, SendRequest)
    assert request.data == {"title": "Tea", "days": 25, "at": "2026-03-02T09:00:00+00:00",
                            "fixed": "hello"}
