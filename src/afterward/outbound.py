"""Webhooks out, as any module raises them: `publish` hands an event (its type, an id
that names it for good, its data) to the store's subscribed endpoints, through the
`webhooks.publish` job that messaging runs (it writes one delivery per endpoint and
event id, signs and sends them). Modules that may not import messaging (returns,
loyalty, feedback, the assistant, commerce's codes) call this.

Whether anyone listens is asked first, of the modules that declare
`Module.webhook_listeners` (messaging: an active endpoint taking the event type): a
store with no endpoint for it gets no job (an import of history that moves thousands
of customers up a tier would otherwise queue thousands of jobs that find no one). An
endpoint added later gets the events raised after it, as it would from the job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from afterward import jobs, modules

PUBLISH_JOB = "webhooks.publish"


def listened(session: Session, *, store_id: int, event_type: str) -> bool:
    """Whether an endpoint of the store takes this event type (no module that
    delivers webhooks installed: no one)."""
    return any(listens(session, store_id=store_id, event_type=event_type)
               for listens in modules.resolved("webhook_listeners"))


def publish(session: Session, *, store_id: int, event_type: str, event_id: str,
            data: dict[str, Any], dedupe_key: str | None = None) -> None:
    """Queue the event for the store's endpoints, in the caller's transaction; with a
    `dedupe_key` used before, nothing more."""
    if listened(session, store_id=store_id, event_type=event_type):
        jobs.enqueue(session, PUBLISH_JOB, _payload(event_type, event_id, data),
                     store_id=store_id, dedupe_key=dedupe_key)


def publish_many(session: Session, *, store_id: int, event_type: str,
                 events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """`publish` for many events of one type, (event id, data) each: one job each,
    written together."""
    if events and listened(session, store_id=store_id, event_type=event_type):
        jobs.enqueue_many(session, PUBLISH_JOB, [
            _payload(event_type, event_id, data) for event_id, data in events],
            store_id=store_id)


def _payload(event_type: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event_type": event_type, "event_id": event_id, "data": data}
