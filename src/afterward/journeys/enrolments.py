"""Enrolments at run time: enter a journey, take steps (each a job whose run_at is
the wait), leave on an exit event, resume on an awaited event. Every change is
recorded in the enrolment's history. Takes a session, never commits.

Exactly one send per (enrolment, step): a step job runs in the worker's fenced
transaction, and the message's idempotency key is `enr:{id}:{step_key}`, so even
a step that runs twice (a lost lease, a retry) queues one message."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.validation import InvalidValue
from afterward.events import Event
from afterward.journeys import actions, conditions, engine, facts, offer_part, offers, parsing
from afterward.journeys import definition as spec
from afterward.journeys.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentStep,
    Journey,
    JourneyVersion,
)
from afterward.messaging import service as messaging
from afterward.storage.queries import held

STEP_JOB = "journeys.step"
STEP_MAX_ATTEMPTS = 10

Compiled = tuple[spec.Journey, tuple[engine.Instruction, ...]]


@lru_cache(maxsize=512)
def _compiled(text: str) -> Compiled:
    journey = parsing.parse(json.loads(text))
    return journey, engine.compile_steps(journey.steps)


def compiled(version: JourneyVersion) -> Compiled:
    """The parsed, compiled definition of a saved version (cached by its content)."""
    return _compiled(json.dumps(version.definition, sort_keys=True))


def record(session: Session, enrolment: Enrolment, step_key: str | None, kind: str,
           detail: dict[str, Any] | None = None, *, message_id: int | None = None,
           at: datetime) -> None:
    session.add(EnrolmentStep(store_id=enrolment.store_id, enrolment_id=enrolment.id,
                              step_key=step_key, kind=kind, detail=detail or {},
                              message_id=message_id, at=at))


def schedule(session: Session, enrolment: Enrolment, run_at: datetime) -> None:
    enrolment.seq += 1
    jobs.enqueue(session, STEP_JOB, {"enrolment_id": enrolment.id, "seq": enrolment.seq},
                 store_id=enrolment.store_id, run_at=run_at,
                 dedupe_key=f"{STEP_JOB}:{enrolment.id}:{enrolment.seq}",
                 max_attempts=STEP_MAX_ATTEMPTS)


def finish(session: Session, enrolment: Enrolment, status: EnrolmentStatus,
           reason: str | None, now: datetime) -> None:
    enrolment.status, enrolment.exit_reason = status.value, (reason or None) and reason[:200]
    enrolment.finished_at, enrolment.active_key = now, None
    enrolment.due_at, enrolment.waiting_event = None, None
    session.flush()


# --- entering --------------------------------------------------------------------------

# What every message's refs already name; an enrolment about another module's row (a
# return) hands it on as "<subject_type>_id", for that module's part of the context.
CORE_SUBJECTS = ("customer", "order", "shipment")


def entry_key(journey: spec.Journey, event: Event, refs: facts.Refs) -> str:
    if journey.entry == "customer" and refs.customer_id is not None:
        return f"customer:{refs.customer_id}"
    if journey.entry == "order" and refs.order_id is not None:
        return f"order:{refs.order_id}"
    return f"{event.subject_type}:{event.subject_id}"


def may_enter(session: Session, *, journey_id: int, definition: spec.Journey, key: str,
              now: datetime) -> str | None:
    """None when the entry may enrol, else why not."""
    rows = session.execute(select(Enrolment.status, Enrolment.enrolled_at).where(
        Enrolment.journey_id == journey_id, Enrolment.entry_key == key,
    ).order_by(Enrolment.enrolled_at.desc()).limit(50)).all()
    if any(status == EnrolmentStatus.active.value for status, _ in rows):
        return "already active"
    if not rows:
        return None
    rule = definition.re_entry
    if rule.mode == "never":
        return "re-entry: never"
    if rule.mode == "after_days" and rows[0][1] > now - timedelta(days=rule.days):
        return f"re-entry: after {rule.days} days"
    return None


def enrol(session: Session, *, journey: Journey, version: JourneyVersion, event: Event,
          refs: facts.Refs, now: datetime) -> Enrolment | None:
    definition, _ = compiled(version)
    key = entry_key(definition, event, refs)
    if may_enter(session, journey_id=journey.id, definition=definition, key=key, now=now):
        return None
    enrolment = Enrolment(
        store_id=journey.store_id, journey_id=journey.id, version_id=version.id,
        customer_id=refs.customer_id, subject_type=event.subject_type,
        subject_id=event.subject_id, order_id=refs.order_id, shipment_id=refs.shipment_id,
        trigger_event_id=event.id, entry_key=key, active_key=key,
        status=EnrolmentStatus.active.value, position=0, seq=0, enrolled_at=now)
    try:
        with session.begin_nested():
            session.add(enrolment)
            session.flush()
    except IntegrityError:
        return None  # enrolled meanwhile (same trigger event or same active entry)
    record(session, enrolment, None, "enrolled",
           {"event": event.name, "event_id": event.id, "version": version.version}, at=now)
    schedule(session, enrolment, now)
    return enrolment


# --- stepping --------------------------------------------------------------------------

def state_of(enrolment: Enrolment) -> engine.State:
    return engine.State(enrolment.position, enrolment.due_at, enrolment.waiting_event,
                        enrolment.holdout_group)


def enrolment_facts(session: Session, enrolment: Enrolment, now: datetime) -> facts.Facts:
    event_id = enrolment.trigger_event_id
    refs = facts.Refs(enrolment.customer_id, enrolment.order_id, enrolment.shipment_id)
    return facts.gather(session, store_id=enrolment.store_id, refs=refs,
                        event=lambda: session.get(Event, event_id), now=now,
                        enrolment={"id": enrolment.id, "group": enrolment.holdout_group,
                                   "days_enrolled": (now - enrolment.enrolled_at)
                                   .total_seconds() / 86400})


def waits_for_a_local_time(program: tuple[engine.Instruction, ...]) -> bool:
    """Only such a wait needs the customer's time zone (two reads spared otherwise)."""
    return any(isinstance(i.step, spec.Wait) and i.step.until_local_time is not None
               for i in program)


def holdout_unit(enrolment: Enrolment) -> str:
    if enrolment.customer_id is not None:
        return f"customer:{enrolment.customer_id}"
    return enrolment.entry_key


def advance(session: Session, *, enrolment_id: int, seq: int, now: datetime) -> str:
    """Run an enrolment's steps until it waits or ends. Returns its status, or
    "stale" when the job is not the enrolment's latest (it moved on meanwhile)."""
    enrolment = session.scalar(
        select(Enrolment).where(Enrolment.id == enrolment_id).with_for_update())
    if enrolment is None or enrolment.status != EnrolmentStatus.active.value \
            or enrolment.seq != seq:
        return "stale"
    journey = held(session, Journey, enrolment.journey_id)
    version = held(session, JourneyVersion, enrolment.version_id)
    assert journey is not None and version is not None
    if not journey.enabled:
        record(session, enrolment, None, "exited", {"reason": "journey disabled"}, at=now)
        finish(session, enrolment, EnrolmentStatus.exited, "journey disabled", now)
        return enrolment.status
    _, program = compiled(version)
    inputs = engine.Inputs(
        facts=enrolment_facts(session, enrolment, now), now=now,
        timezone=facts.timezone_for(session, store_id=enrolment.store_id,
                                    customer_id=enrolment.customer_id)
        if waits_for_a_local_time(program) else "UTC",
        holdout_draw=engine.holdout_draw(store_id=journey.store_id, journey_key=journey.key,
                                         unit=holdout_unit(enrolment)))
    outcome = engine.run(program, state_of(enrolment), inputs)
    apply(session, enrolment, journey, outcome, now,
          offers_in=any(i.op == "offer" for i in program))
    return enrolment.status


def apply(session: Session, enrolment: Enrolment, journey: Journey, outcome: engine.Outcome,
          now: datetime, *, offers_in: bool = False) -> None:
    for effect in outcome.effects:
        if isinstance(effect, engine.SendRequest):
            send(session, enrolment, journey, effect, now, offers_in=offers_in)
        elif isinstance(effect, engine.Perform):
            perform(session, enrolment, journey, effect.step, now)
        else:
            record(session, enrolment, effect.step_key, effect.kind, effect.detail, at=now)
    state = outcome.state
    enrolment.position, enrolment.due_at = state.position, state.due_at
    enrolment.waiting_event = state.waiting_event
    enrolment.holdout_group = state.group or enrolment.holdout_group
    if outcome.status == "active":
        assert outcome.wake_at is not None
        schedule(session, enrolment, outcome.wake_at)
    else:
        finish(session, enrolment, EnrolmentStatus(outcome.status), outcome.exit_reason, now)


def perform(session: Session, enrolment: Enrolment, journey: Journey,
            step: spec.Offer | spec.Action, now: datetime) -> None:
    """An offer step issues the enrolment's code (once: journeys/offers.py); another
    module's step does what it does (journeys/actions.py), once per its own key."""
    if isinstance(step, spec.Offer):
        _, detail = offers.issue(session, enrolment, journey, step, now)
        record(session, enrolment, step.key, "offer", detail, at=now)
        return
    detail = actions.run(session, step.name, step.config, store_id=enrolment.store_id,
                         journey_key=journey.key, step_key=step.key,
                         enrolment_id=enrolment.id, customer_id=enrolment.customer_id,
                         order_id=enrolment.order_id, shipment_id=enrolment.shipment_id,
                         now=now)
    record(session, enrolment, step.key, step.name[:32], detail, at=now)


def send(session: Session, enrolment: Enrolment, journey: Journey,
         request: engine.SendRequest, now: datetime, *, offers_in: bool = False) -> None:
    step = request.step
    key = f"enr:{enrolment.id}:{step.key}"
    offer = offers.latest_for(session, enrolment) if offers_in else None
    if step.channel == "webhook":
        deliveries = messaging.queue_webhook_event(
            session, store_id=enrolment.store_id,
            event_type=step.event_type or f"journey.{journey.key}", event_id=key,
            data={"journey": journey.key, "enrolment_id": enrolment.id, "step": step.key,
                  "customer_id": enrolment.customer_id, "order_id": enrolment.order_id,
                  "shipment_id": enrolment.shipment_id,
                  **({"offer_code": offer.code} if offer is not None else {}),
                  **request.data})
        record(session, enrolment, step.key, "send",
               {"channel": "webhook", "deliveries": len(deliveries)}, at=now)
        return
    refs = {name: value for name, value in (("order_id", enrolment.order_id),
                                             ("shipment_id", enrolment.shipment_id)) if value}
    if enrolment.subject_type not in CORE_SUBJECTS:  # a module's row: a return, ...
        refs[f"{enrolment.subject_type}_id"] = enrolment.subject_id
    if offer is not None:  # the message's `offer` (journeys/offer_part.py)
        refs[offer_part.REF] = offer.id
    try:
        message = messaging.queue_message(
            session, store_id=enrolment.store_id, channel=step.channel, purpose=step.purpose,
            category=step.category, idempotency_key=key, template_key=step.template or "",
            customer_id=enrolment.customer_id, refs=refs, data=request.data,
            enrolment_id=enrolment.id, step_key=step.key)
    except InvalidValue as exc:  # e.g. a guest order without an address: skip, visibly
        record(session, enrolment, step.key, "send_skipped", {"reason": exc.message}, at=now)
        return
    record(session, enrolment, step.key, "send",
           {"channel": step.channel, "template": step.template, "purpose": step.purpose},
           message_id=message.id, at=now)


# --- events for enrolments in progress --------------------------------------------------

def _shares(match: str, enrolment: Enrolment, refs: facts.Refs) -> bool:
    mine, theirs = {"customer": (enrolment.customer_id, refs.customer_id),
                    "order": (enrolment.order_id, refs.order_id),
                    "shipment": (enrolment.shipment_id, refs.shipment_id)}[match]
    return mine is not None and mine == theirs


def react(session: Session, enrolment: Enrolment, event: Event, refs: facts.Refs,
          now: datetime) -> str | None:
    """An event for an active enrolment: leave on an exit rule, go on when it is the
    event a wait is waiting for. Returns what happened, or None."""
    if event.id <= enrolment.trigger_event_id:
        return None
    version = held(session, JourneyVersion, enrolment.version_id)
    assert version is not None
    definition, program = compiled(version)
    event_facts: facts.Facts | None = None
    for rule in definition.exit_rules:
        if rule.event != event.name or not _shares(rule.match, enrolment, refs):
            continue
        if rule.filter is not None:
            if event_facts is None:
                event_facts = facts.gather(session, store_id=enrolment.store_id, refs=refs,
                                           event=event, now=now)
            if not conditions.truthy(conditions.evaluate(rule.filter, event_facts, now)):
                continue
        reason = f"event {event.name}"
        record(session, enrolment, None, "exited", {"reason": reason, "event_id": event.id},
               at=now)
        finish(session, enrolment, EnrolmentStatus.exited, reason, now)
        return "exited"
    waiting = program[enrolment.position].step if enrolment.position < len(program) else None
    if not isinstance(waiting, spec.Wait) or not _shares(waiting.match, enrolment, refs):
        return None
    moved = engine.event_arrived(state_of(enrolment), event.name)
    if moved is None:
        return None
    record(session, enrolment, waiting.key, "event", {"event": event.name, "event_id": event.id},
           at=now)
    enrolment.position, enrolment.due_at, enrolment.waiting_event = moved.position, None, None
    schedule(session, enrolment, now)
    return "resumed"
