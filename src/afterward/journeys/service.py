"""Journey use cases: save a definition (a new version when it changed), enable and
disable, read journeys, versions, enrolments and their history. Takes a session,
never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward import event_cursors, jobs
from afterward.journeys import consumer, enrolments, parsing
from afterward.journeys.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentStep,
    Journey,
    JourneyVersion,
)
from afterward.storage.types import utcnow

CONSUME_JOB = "journeys.consume"
SCAN_JOB = "journeys.scan"
CONSUME_EVERY = timedelta(seconds=5)
SCAN_EVERY = timedelta(hours=1)


class JourneyNotFound(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no journey {key!r} in this store")
        self.key = key


@dataclass(frozen=True)
class Saved:
    journey: Journey
    version: JourneyVersion
    changed: bool  # False when the definition equalled the latest version


@dataclass(frozen=True)
class Summary:
    journey: Journey
    counts: dict[str, int]  # enrolments by status

    @property
    def enrolled(self) -> int:
        return sum(self.counts.values())


def canonical(raw: dict[str, Any]) -> dict[str, Any]:
    """What is stored: the definition without the fields that describe the row."""
    return {k: v for k, v in raw.items() if k not in ("version", "enabled")}


def save(session: Session, *, store_id: int, raw: Any, builtin: bool = False,
         now: datetime | None = None) -> Saved:
    """Validate and store a new version; an unchanged definition stores nothing."""
    parsed = parsing.parse(raw)
    stored = canonical(raw)
    journey = get(session, store_id=store_id, key=parsed.key)
    if journey is None:
        journey = Journey(store_id=store_id, key=parsed.key, name=parsed.name, enabled=False,
                          version=0, builtin=builtin)
        session.add(journey)
        session.flush()
    else:
        latest = version_of(session, journey=journey, version=journey.version)
        if latest is not None and latest.definition == stored:
            return Saved(journey, latest, False)
    journey.version += 1
    journey.name, journey.builtin = parsed.name, builtin
    journey.updated_at = now or utcnow()
    row = JourneyVersion(store_id=store_id, journey_id=journey.id, version=journey.version,
                         definition=stored)
    session.add(row)
    session.flush()
    return Saved(journey, row, True)


def set_enabled(session: Session, *, store_id: int, key: str, enabled: bool,
                now: datetime | None = None) -> Journey:
    """Switch a journey on (it enrols from the next event on) or off (no new
    enrolments; enrolments in progress leave at their next step)."""
    journey = get(session, store_id=store_id, key=key)
    if journey is None:
        raise JourneyNotFound(key)
    if enabled and not journey.enabled:
        journey.enabled_after_event_id = event_cursors.latest_event_id(session, store_id)
        ensure_scheduled(session, store_id=store_id, now=now)
    journey.enabled = enabled
    journey.updated_at = now or utcnow()
    session.flush()
    return journey


def slot(now: datetime, every: timedelta, *, later: bool = False) -> datetime:
    """The start of the time slot `now` is in (or of the next one)."""
    step = every.total_seconds()
    start = (now.timestamp() // step + (1 if later else 0)) * step
    return datetime.fromtimestamp(start, now.tzinfo)


def ensure_scheduled(session: Session, *, store_id: int, now: datetime | None = None) -> None:
    """Start the store's consumer (its cursor from now on) and its customer scans,
    unless their periodic jobs are already queued or running."""
    now = now or utcnow()
    consumer.cursor(session, store_id)
    for kind in (CONSUME_JOB, SCAN_JOB):
        pending = session.scalar(select(jobs.Job.id).where(
            jobs.Job.store_id == store_id, jobs.Job.kind == kind,
            jobs.Job.status.in_((jobs.JobStatus.queued.value, jobs.JobStatus.running.value)))
            .limit(1))
        if pending is None:
            # A chain that runs meanwhile merges with this one at its next slot's key.
            jobs.enqueue(session, kind, store_id=store_id, run_at=now,
                         dedupe_key=f"{kind}:{store_id}:kick:{now.timestamp():.6f}")


def ensure_all_scheduled(session: Session, *, now: datetime | None = None) -> int:
    """ensure_scheduled for every store with a journey switched on (a worker calls this
    when it starts, so a chain lost to a dead job starts again). Returns the stores."""
    store_ids = list(session.scalars(select(Journey.store_id).where(
        Journey.enabled.is_(True)).distinct().order_by(Journey.store_id)))
    for store_id in store_ids:
        ensure_scheduled(session, store_id=store_id, now=now)
    return len(store_ids)


def has_work(session: Session, *, store_id: int) -> bool:
    """Whether the store's periodic journey jobs should keep running."""
    enabled = session.scalar(select(Journey.id).where(
        Journey.store_id == store_id, Journey.enabled.is_(True)).limit(1))
    if enabled is not None:
        return True
    return session.scalar(select(Enrolment.id).where(
        Enrolment.store_id == store_id,
        Enrolment.status == EnrolmentStatus.active.value).limit(1)) is not None


# --- reading ---------------------------------------------------------------------------

def listened_events(session: Session, *, store_id: int) -> set[str]:
    """The events the store's switched-on journeys start from (one query)."""
    live = session.scalars(
        select(JourneyVersion)
        .join(Journey, (Journey.id == JourneyVersion.journey_id)
              & (Journey.version == JourneyVersion.version))
        .where(Journey.store_id == store_id, Journey.enabled.is_(True)))
    return {name for version in live for name in enrolments.compiled(version)[0].trigger.events}


def get(session: Session, *, store_id: int, key: str) -> Journey | None:
    return session.scalar(select(Journey).where(Journey.store_id == store_id,
                                                Journey.key == key))


def version_of(session: Session, *, journey: Journey, version: int) -> JourneyVersion | None:
    return session.scalar(select(JourneyVersion).where(
        JourneyVersion.journey_id == journey.id, JourneyVersion.version == version))


def versions(session: Session, *, journey: Journey) -> list[JourneyVersion]:
    return list(session.scalars(select(JourneyVersion).where(
        JourneyVersion.journey_id == journey.id).order_by(JourneyVersion.version.desc())))


def counts(session: Session, *, store_id: int, journey_ids: list[int] | None = None
           ) -> dict[int, dict[str, int]]:
    stmt = (select(Enrolment.journey_id, Enrolment.status, func.count(Enrolment.id))
            .where(Enrolment.store_id == store_id)
            .group_by(Enrolment.journey_id, Enrolment.status))
    if journey_ids is not None:
        stmt = stmt.where(Enrolment.journey_id.in_(journey_ids))
    out: dict[int, dict[str, int]] = {}
    for journey_id, status, count in session.execute(stmt):
        out.setdefault(journey_id, {s.value: 0 for s in EnrolmentStatus})[status] = int(count)
    return out


def empty_counts() -> dict[str, int]:
    return {s.value: 0 for s in EnrolmentStatus}


def list_journeys(session: Session, *, store_id: int) -> list[Summary]:
    rows = list(session.scalars(select(Journey).where(Journey.store_id == store_id)
                                .order_by(Journey.key)))
    by_journey = counts(session, store_id=store_id)
    return [Summary(j, by_journey.get(j.id, empty_counts())) for j in rows]


def summary(session: Session, *, journey: Journey) -> Summary:
    found = counts(session, store_id=journey.store_id, journey_ids=[journey.id])
    return Summary(journey, found.get(journey.id, empty_counts()))


def list_enrolments(session: Session, *, store_id: int, journey_id: int | None = None,
                    customer_id: int | None = None, status: str | None = None,
                    before_id: int | None = None, limit: int = 50) -> list[Enrolment]:
    stmt = select(Enrolment).where(Enrolment.store_id == store_id)
    if journey_id is not None:
        stmt = stmt.where(Enrolment.journey_id == journey_id)
    if customer_id is not None:
        stmt = stmt.where(Enrolment.customer_id == customer_id)
    if status:
        stmt = stmt.where(Enrolment.status == status)
    if before_id is not None:
        stmt = stmt.where(Enrolment.id < before_id)
    return list(session.scalars(stmt.order_by(Enrolment.id.desc()).limit(limit)))


def get_enrolment(session: Session, *, store_id: int, enrolment_id: int) -> Enrolment | None:
    return session.scalar(select(Enrolment).where(Enrolment.store_id == store_id,
                                                  Enrolment.id == enrolment_id))


def history(session: Session, *, enrolment: Enrolment) -> list[EnrolmentStep]:
    return list(session.scalars(select(EnrolmentStep).where(
        EnrolmentStep.enrolment_id == enrolment.id).order_by(EnrolmentStep.id)))


def journey_keys(session: Session, *, store_id: int, journey_ids: set[int]) -> dict[int, str]:
    if not journey_ids:
        return {}
    return {row[0]: row[1] for row in session.execute(select(Journey.id, Journey.key).where(
        Journey.store_id == store_id, Journey.id.in_(journey_ids)))}


def version_numbers(session: Session, version_ids: set[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    return {row[0]: row[1] for row in session.execute(
        select(JourneyVersion.id, JourneyVersion.version).where(
            JourneyVersion.id.in_(version_ids)))}
