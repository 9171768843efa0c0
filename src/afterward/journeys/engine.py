"""Step evaluation, pure: a journey's steps compiled to a flat program, and `run`,
which moves an enrolment's state forward from facts and the clock until it must
wait or finishes. It returns what happened (history records, sends to make); the
service applies that in the caller's transaction.

A branch compiles to a conditional jump, so an enrolment's place in its journey
is one integer, `position`, and a version never changes once saved."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from afterward.journeys import conditions
from afterward.journeys.definition import (
    Action,
    Branch,
    Exit,
    Holdout,
    Offer,
    Send,
    Step,
    Wait,
)

MAX_INSTRUCTIONS_PER_RUN = 1000
CONTROL, TREATMENT = "control", "treatment"


@dataclass(frozen=True)
class Instruction:
    op: str  # wait | send | holdout | exit | offer | action | branch (jump to target
    # when false) | jump
    step: Step | None = None
    target: int = -1


def compile_steps(steps: tuple[Step, ...]) -> tuple[Instruction, ...]:
    program: list[Instruction] = []
    _emit(steps, program)
    return tuple(program)


def _emit(steps: tuple[Step, ...], program: list[Instruction]) -> None:
    for step in steps:
        if not isinstance(step, Branch):
            op = {Wait: "wait", Send: "send", Holdout: "holdout", Exit: "exit",
                  Offer: "offer", Action: "action"}[type(step)]
            program.append(Instruction(op, step))
            continue
        at = len(program)
        program.append(Instruction("branch", step))
        _emit(step.then, program)
        if step.otherwise:
            jump_at = len(program)
            program.append(Instruction("jump"))
            program[at] = Instruction("branch", step, len(program))
            _emit(step.otherwise, program)
            program[jump_at] = Instruction("jump", None, len(program))
        else:
            program[at] = Instruction("branch", step, len(program))


@dataclass(frozen=True)
class State:
    position: int = 0
    due_at: datetime | None = None  # a wait in progress ends then (or times out)
    waiting_event: str | None = None
    group: str | None = None  # control | treatment, once a holdout step ran


@dataclass(frozen=True)
class Inputs:
    facts: Mapping[str, Any]
    now: datetime
    timezone: str = "UTC"
    holdout_draw: float = 0.5  # uniform in [0, 1), fixed per (journey, customer)


@dataclass(frozen=True)
class Record:
    step_key: str | None
    kind: str  # wait, waited, waiting_event, timeout, branch, holdout, exit, completed
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendRequest:
    step: Send
    data: dict[str, Any]


@dataclass(frozen=True)
class Perform:
    """A step that acts in the database (an offer, another module's action): the
    service does it, in order with the sends around it."""

    step: Offer | Action


@dataclass(frozen=True)
class Outcome:
    state: State
    status: str  # active | completed | exited
    effects: tuple[Record | SendRequest | Perform, ...] = ()
    wake_at: datetime | None = None  # when active: run again then
    exit_reason: str | None = None


def run(program: tuple[Instruction, ...], state: State, inputs: Inputs) -> Outcome:
    effects: list[Record | SendRequest | Perform] = []
    now = inputs.now
    for _ in range(MAX_INSTRUCTIONS_PER_RUN):
        if state.position >= len(program):
            effects.append(Record(None, "completed"))
            return Outcome(state, "completed", tuple(effects))
        instruction = program[state.position]
        step = instruction.step
        if instruction.op == "jump":
            state = replace(state, position=instruction.target)
        elif isinstance(step, Wait):
            waited = _wait(step, state, inputs, effects)
            if isinstance(waited, Outcome):
                return replace(waited, effects=tuple(effects))
            state = waited
        elif isinstance(step, Branch):
            taken = conditions.truthy(conditions.evaluate(step.condition, inputs.facts, now))
            effects.append(Record(step.key, "branch", {"taken": "then" if taken else "else"}))
            state = replace(state, position=state.position + 1 if taken
                            else instruction.target)
        elif isinstance(step, Send):
            data = {name: _plain(conditions.evaluate(node, inputs.facts, now))
                    for name, node in step.data}
            effects.append(SendRequest(step, data))
            state = replace(state, position=state.position + 1)
        elif isinstance(step, Offer | Action):
            effects.append(Perform(step))
            state = replace(state, position=state.position + 1)
        elif isinstance(step, Holdout):
            group = CONTROL if inputs.holdout_draw < step.share else TREATMENT
            effects.append(Record(step.key, "holdout", {"group": group, "share": step.share}))
            state = replace(state, group=group, position=state.position + 1)
            if group == CONTROL:
                return Outcome(state, "exited", tuple(effects), exit_reason="holdout")
        elif isinstance(step, Exit):
            effects.append(Record(step.key, "exit", {"reason": step.reason}))
            return Outcome(state, "exited", tuple(effects), exit_reason=step.reason)
    raise RuntimeError("journey program did not settle")  # a cycle: compile_steps makes none


def _wait(step: Wait, state: State, inputs: Inputs,
          effects: list[Record | SendRequest | Perform]) -> State | Outcome:
    now = inputs.now
    if state.due_at is None:  # arriving at the wait
        if step.until_event:
            assert step.timeout is not None
            due = now + step.timeout
            effects.append(Record(step.key, "waiting_event",
                                  {"event": step.until_event, "timeout_at": due.isoformat()}))
            return Outcome(replace(state, due_at=due, waiting_event=step.until_event),
                           "active", wake_at=due)
        due, note = wait_until(step, inputs)
        if due <= now:
            effects.append(Record(step.key, "waited", {"skipped": note or "no wait"}))
            return replace(state, position=state.position + 1)
        effects.append(Record(step.key, "wait", {"until": due.isoformat(), **(
            {"note": note} if note else {})}))
        return Outcome(replace(state, due_at=due), "active", wake_at=due)
    if now < state.due_at:  # woken early: sleep again
        return Outcome(state, "active", wake_at=state.due_at)
    if state.waiting_event:
        effects.append(Record(step.key, "timeout", {"event": state.waiting_event}))
        if step.on_timeout == "exit":
            reason = f"timeout waiting for {state.waiting_event}"
            return Outcome(replace(state, due_at=None, waiting_event=None), "exited",
                           exit_reason=reason)
    else:
        effects.append(Record(step.key, "waited"))
    return replace(state, position=state.position + 1, due_at=None, waiting_event=None)


def wait_until(step: Wait, inputs: Inputs) -> tuple[datetime, str | None]:
    now = inputs.now
    if step.duration is not None:
        return now + step.duration, None
    if step.until_local_time is not None:
        return next_local_time(now, inputs.timezone, step.until_local_time), None
    assert step.days is not None
    days = conditions.evaluate(step.days, inputs.facts, now)
    if isinstance(days, bool) or not isinstance(days, int | float):
        return now, "days not known"
    days = min(max(float(days), 0.0), 730.0)
    return now + timedelta(days=days), None


def event_arrived(state: State, event: str) -> State | None:
    """The state after the event an `until_event` wait is waiting for, or None."""
    if state.waiting_event != event:
        return None
    return replace(state, position=state.position + 1, due_at=None, waiting_event=None)


def next_local_time(now: datetime, timezone: str, clock: time) -> datetime:
    """The next instant after `now` when the wall clock in `timezone` shows `clock`.
    A time skipped by a daylight-saving jump lands just after it (02:30 -> 03:30)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in range(3):
        day = local.date() + timedelta(days=offset)
        candidate = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a day later is always later")


def holdout_draw(*, store_id: int, journey_key: str, unit: str) -> float:
    """A reproducible uniform draw in [0, 1): the same customer lands in the same group
    of a journey every time, on every machine."""
    digest = hashlib.sha256(f"{store_id}:{journey_key}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _plain(value: Any) -> Any:
    """Template data must be JSON: datetimes become ISO text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
