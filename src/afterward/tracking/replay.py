"""Replaying recorded carrier events, so shipments move while you watch (the demo).

A recording is JSON: a list of steps, or {"description": "...", "events": [steps]}.
A step is {"after_seconds": 3600 | "at": "2026-03-02T08:00:00Z", "status": "in_transit",
"message": "...", "location": "...", "provider_status": "...", "signed_by": "..."}; only
the time and the status are required. `after_seconds` counts from the start of the
replay in recorded time and is divided by the speed; `at` is an instant and is not.
`{origin}` and `{destination}` in a message or location become the shipment's regions.

The replay adapter is a polling adapter (kind "replay") whose network is the
recording: `fetch` returns the steps due by now and `next_event_at` tells the poller
when to come back, so the durable polling rounds (jobs, stop when final) drive it.
A replay into a shipment already on its way starts at the recording's first step
that is not behind the shipment's stage, due at once."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.storage.types import utcnow
from afterward.tracking import polling
from afterward.tracking.carriers.base import CarrierEvent, PayloadError, timestamp
from afterward.tracking.models import Shipment
from afterward.tracking.polling_models import CarrierPoll
from afterward.tracking.rate_limit import RateLimit
from afterward.tracking.statuses import STAGE, Status, parse

KIND = "replay"
START_JOB = "tracking.start_replay"
RECORDINGS = Path(__file__).parent / "recordings"
# Most demo parcels arrive as they should; a few show what trouble looks like.
DEFAULT_MIX = (("normal_delivery", 14), ("failed_attempt_then_delivered", 3),
               ("customs_hold", 2), ("returned_to_sender", 1))
REPLAYABLE = (Status.pending, Status.info_received, Status.in_transit, Status.out_for_delivery)
MAX_STEPS = 500
MAX_AFTER_SECONDS = 366 * 86400
_FIELDS = {"after_seconds", "at", "status", "message", "location", "provider_status", "signed_by"}
_LIMITS = {"message": 500, "location": 200, "provider_status": 100, "signed_by": 100}


class RecordingError(ValueError):
    """A recording we refuse, with where the problem is."""


@dataclass(frozen=True)
class Step:
    status: Status
    after_seconds: float | None  # from the replay's start, in recorded time
    at: datetime | None  # or an instant
    message: str | None = None
    location: str | None = None
    provider_status: str | None = None
    signed_by: str | None = None


@dataclass(frozen=True)
class Recording:
    name: str
    description: str
    steps: tuple[Step, ...]
    raw: tuple[dict[str, Any], ...]  # the steps as given, stored with a replay


def recording_names() -> list[str]:
    return sorted(p.stem for p in RECORDINGS.glob("*.json"))


def load_recording(source: str | Path) -> Recording:
    """A shipped recording by name, or a JSON file by path."""
    path = Path(source)
    if isinstance(source, str) and source in recording_names():
        path = RECORDINGS / f"{source}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordingError(f"cannot read recording {str(source)!r}: {exc.strerror}") from exc
    except ValueError as exc:
        raise RecordingError(f"{path.name} is not valid JSON: {exc}") from exc
    return parse_recording(data, name=path.stem)


def parse_recording(data: Any, *, name: str) -> Recording:
    description = ""
    if isinstance(data, dict):
        description = str(data.get("description") or "")
        data = data.get("events")
    if not isinstance(data, list) or not data:
        raise RecordingError(f"{name}: expected a non-empty list of events")
    if len(data) > MAX_STEPS:
        raise RecordingError(f"{name}: at most {MAX_STEPS} events")
    steps = tuple(_step(item, f"{name}: events[{i}]") for i, item in enumerate(data))
    return Recording(name, description, steps, tuple(dict(item) for item in data))


def _step(item: Any, where: str) -> Step:
    if not isinstance(item, dict):
        raise RecordingError(f"{where} must be an object")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise RecordingError(f"{where}: unknown field {unknown[0]!r}")
    raw_status = item.get("status")
    status = parse(raw_status) if isinstance(raw_status, str) else None
    if status is None:
        raise RecordingError(f"{where}.status must be one of: {', '.join(Status)}")
    if ("after_seconds" in item) == ("at" in item):
        raise RecordingError(f"{where} needs exactly one of after_seconds and at")
    after, at = None, None
    if "after_seconds" in item:
        after = item["after_seconds"]
        if isinstance(after, bool) or not isinstance(after, int | float) or \
                not (math.isfinite(after) and 0 <= after <= MAX_AFTER_SECONDS):
            raise RecordingError(f"{where}.after_seconds must be a number of seconds "
                                 f"from 0 to {MAX_AFTER_SECONDS}")
    else:
        try:
            at = timestamp(item["at"], f"{where}.at")
        except PayloadError as exc:
            raise RecordingError(exc.message) from exc
    texts = {}
    for field, limit in _LIMITS.items():
        value = item.get(field)
        if value is not None and not isinstance(value, str):
            raise RecordingError(f"{where}.{field} must be a string")
        texts[field] = (value.strip()[:limit] or None) if value else None
    return Step(status, float(after) if after is not None else None, at, **texts)


class ReplayAdapter:
    """A polling adapter over a recording, started at `started_at`, `speed` times as fast."""

    rate_limit: RateLimit | None = None  # a recording has no budget to respect

    def __init__(self, recording: Recording, *, started_at: datetime, speed: float,
                 skip: int = 0, clock: Callable[[], datetime] | None = None) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError("speed must be a positive number")
        if started_at.utcoffset() is None:
            raise ValueError("started_at needs a time zone")
        self.recording, self.started_at, self.speed = recording, started_at, speed
        self.steps = recording.steps[max(0, skip):]
        self.clock = clock or _now
        # Relative steps count from the first one kept, so a replay starts moving at once.
        self.base = next((s.after_seconds for s in self.steps if s.after_seconds is not None),
                         0.0)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ReplayAdapter:
        recording = parse_recording(params.get("events"), name=str(params.get("name", KIND)))
        try:
            started_at = timestamp(params.get("started_at"), "started_at")
        except PayloadError as exc:
            raise ValueError(exc.message) from exc
        return cls(recording, started_at=started_at, speed=float(params.get("speed", 1.0)),
                   skip=int(params.get("skip", 0)))

    def due_at(self, step: Step) -> datetime:
        if step.at is not None:
            return step.at
        assert step.after_seconds is not None
        return self.started_at + timedelta(seconds=(step.after_seconds - self.base) / self.speed)

    def fetch(self, tracking_number: str) -> list[CarrierEvent]:
        now = self.clock()
        return [self._event(step) for step in self.steps if self.due_at(step) <= now]

    def next_event_at(self, now: datetime) -> datetime | None:
        return min((due for due in map(self.due_at, self.steps) if due > now), default=None)

    def _event(self, step: Step) -> CarrierEvent:
        return CarrierEvent(occurred_at=self.due_at(step), status=step.status, provider=KIND,
                            provider_status=step.provider_status or step.status.value,
                            message=step.message, location=step.location,
                            signed_by=step.signed_by)


def _now() -> datetime:
    return utcnow()


polling.register(KIND, ReplayAdapter.from_params)


# ---------------------------------------------------------------- starting replays

def default_mix() -> list[Recording]:
    """Twenty slots of the default mix, picked by shipment id."""
    loaded = {name: load_recording(name) for name, _ in DEFAULT_MIX}
    return [loaded[name] for name, weight in DEFAULT_MIX for _ in range(weight)]


def replay_into(session: Session, *, shipment: Shipment, recording: Recording, speed: float,
                now: datetime | None = None) -> CarrierPoll:
    """Start replaying one recording into one shipment (replacing any polling of it)."""
    now = now or utcnow()
    stage = STAGE.get(Status(shipment.status), 0) if parse(shipment.status) else 0
    skip = next((i for i, step in enumerate(recording.steps) if STAGE[step.status] >= stage),
                len(recording.steps) - 1)
    places = {"{origin}": shipment.origin_region or "origin",
              "{destination}": shipment.destination_region or "destination"}
    events = [_placed(item, places) for item in recording.raw]
    params = {"name": recording.name, "events": events, "started_at": now.isoformat(),
              "speed": float(speed), "skip": skip}
    ReplayAdapter.from_params(params)  # refuse bad input here, not in a job later
    return polling.start_polling(session, shipment=shipment, adapter=KIND, params=params, now=now)


def _placed(item: Mapping[str, Any], places: Mapping[str, str]) -> dict[str, Any]:
    placed = dict(item)
    for field in ("message", "location"):
        value = placed.get(field)
        if isinstance(value, str):
            for token, place in places.items():
                value = value.replace(token, place)
            placed[field] = value
    return placed


def start_replay(session: Session, *, store_id: int, speed: float = 60.0,
                 recordings: Sequence[Recording] | None = None, limit: int = 50,
                 now: datetime | None = None) -> list[int]:
    """Replay recordings into the store's outbound shipments that are on their way and
    not polled yet, the most recently active first. Returns their ids. The caller owns
    the transaction; the worker does the rest."""
    if not (speed > 0 and math.isfinite(speed)):
        raise ValueError("speed must be a positive number")
    mix = list(recordings) if recordings else default_mix()
    polled = exists().where(CarrierPoll.shipment_id == Shipment.id, CarrierPoll.active.is_(True))
    candidates = session.scalars(
        select(Shipment).where(
            Shipment.store_id == store_id, Shipment.direction == "outbound",
            Shipment.status.in_([s.value for s in REPLAYABLE]),
            Shipment.tracking_number.is_not(None), ~polled)
        .order_by(func.coalesce(Shipment.last_event_at, Shipment.created_at).desc(),
                  Shipment.id.desc())
        .limit(max(0, limit))).all()
    for position, shipment in enumerate(candidates):
        pick = mix[shipment.id % len(mix)] if recordings is None else mix[position % len(mix)]
        replay_into(session, shipment=shipment, recording=pick, speed=speed, now=now)
    return [shipment.id for shipment in candidates]


@jobs.handler(START_JOB)
def start_replay_job(session: Session, job: jobs.JobContext) -> None:
    """Payload: {"speed": 60, "limit": 50, "recordings": ["normal_delivery", ...]}."""
    if job.store_id is None:
        raise jobs.PermanentError(f"{START_JOB} needs a store_id")
    try:
        names = [str(name) for name in job.payload.get("recordings") or []]
        unknown = sorted(set(names) - set(recording_names()))
        if unknown:  # a job names shipped recordings only, never a path on the worker
            raise RecordingError(f"no shipped recording {unknown[0]!r}")
        chosen = [load_recording(name) for name in names] or None
        start_replay(session, store_id=job.store_id, speed=float(job.payload.get("speed", 60)),
                     limit=int(job.payload.get("limit", 50)), recordings=chosen)
    except (RecordingError, TypeError, ValueError) as exc:
        raise jobs.PermanentError(str(exc)) from exc
