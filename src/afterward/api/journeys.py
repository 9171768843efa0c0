"""Journeys API: save definitions (each change a new version), switch them on and
off, read versions, enrolments with their history, and holdout results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import WHOLE, IdPath, IdQuery, Limit, each_once
from afterward.api.responses import (
    CONFLICT,
    INVALID,
    KEYED,
    NOT_FOUND,
    OTHER_ROUTE,
    WITH_BODY,
    updated,
)
from afterward.journeys import builtins, parsing, service
from afterward.journeys import definition as spec
from afterward.journeys import results as measured
from afterward.journeys.models import Enrolment, Journey
from afterward.journeys.schemas import (
    EnrolmentDetail,
    EnrolmentOut,
    InstalledOut,
    JourneyDetail,
    JourneyOut,
    ResultsOut,
    ValidationOut,
    VersionDetail,
    step_out,
    version_detail,
)
from afterward.storage.types import utcnow

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["journeys"],
                   dependencies=[Depends(each_once)])



class JourneyKeyConvertor(Convertor[str]):
    """A journey key in a path is any segment but the names of the routes beside it,
    so /journeys/validate is only the validate route (and its 405 says so)."""

    regex = f"(?!(?:{'|'.join(spec.RESERVED_KEYS)})(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("journey_key", JourneyKeyConvertor())
Key = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                          json_schema_extra={"pattern": spec.KEY_PATTERN})]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1), WHOLE]
Definition = Annotated[dict[str, Any], Body(description="A journey definition (see docs).")]
UNCHANGED = updated(JourneyDetail, "The same definition as the latest version: nothing saved.")


def _journey(session: Session, who: Principal, key: str) -> Journey:
    journey = service.get(session, store_id=who.store_id, key=key)
    if journey is None:
        raise ApiError(404, "not_found", f"no journey {key!r} in this store")
    return journey


def _detail(session: Session, journey: Journey) -> JourneyDetail:
    latest = service.version_of(session, journey=journey, version=journey.version)
    rows = service.versions(session, journey=journey)
    base = JourneyOut.of(service.summary(session, journey=journey))
    return JourneyDetail(**base.model_dump(), definition=latest.definition if latest else {},
                         versions=[version_detail(r) for r in rows])


def _enrolments(session: Session, who: Principal, rows: list[Enrolment]) -> list[EnrolmentOut]:
    keys = service.journey_keys(session, store_id=who.store_id,
                                journey_ids={r.journey_id for r in rows})
    numbers = service.version_numbers(session, {r.version_id for r in rows})
    return [EnrolmentOut.of(r, journey_key=keys[r.journey_id], version=numbers[r.version_id])
            for r in rows]


@router.get("/journeys", response_model=dict[str, list[JourneyOut]])
def list_journeys(who: Principal = Depends(principal),
                  session: Session = Depends(read_session)) -> dict[str, list[JourneyOut]]:
    return {"items": [JourneyOut.of(s)
                      for s in service.list_journeys(session, store_id=who.store_id)]}


@router.post("/journeys/validate", response_model=ValidationOut, responses=WITH_BODY)
def validate(body: Definition, who: Principal = Depends(principal)) -> ValidationOut:
    """Check a definition without saving it; problems come back as a 422 naming the path."""
    parsed = parsing.parse(body)
    return ValidationOut(valid=True, key=parsed.key, name=parsed.name,
                         trigger_events=list(parsed.trigger.events),
                         steps=len(spec.walk(parsed.steps)))


@router.post("/journeys/install-builtins", response_model=dict[str, list[InstalledOut]],
             responses=CONFLICT)
def install_builtins(who: Principal = Depends(principal),
                     write: Write = Depends(writer)) -> dict[str, list[InstalledOut]]:
    """Create or update the built-in journeys and switch them on (idempotent)."""
    done = write(lambda session: builtins.install(session, store_id=who.store_id))
    return {"items": [InstalledOut(key=i.key, outcome=i.outcome, version=i.version,
                                   enabled=i.enabled) for i in done]}


@router.put("/journeys/{key:journey_key}", response_model=JourneyDetail, status_code=201,
            responses={**UNCHANGED, **CONFLICT, **WITH_BODY, **OTHER_ROUTE})
def save_journey(key: Key, body: Definition, response: Response,
                 who: Principal = Depends(principal),
                 write: Write = Depends(writer)) -> JourneyDetail:
    """Create a journey or save a new version of it (201). The same definition as the
    latest version saves nothing (200). Enrolments keep the version they started with."""
    if body.get("key", key) != key:
        raise ApiError(422, "invalid", "the key in the body differs from the key in the path",
                       "key")

    def work(session: Session) -> tuple[JourneyDetail, bool]:
        saved = service.save(session, store_id=who.store_id, raw={**body, "key": key})
        return _detail(session, saved.journey), saved.changed

    detail, changed = write(work)
    if not changed:
        response.status_code = 200
    return detail


@router.get("/journeys/{key:journey_key}", response_model=JourneyDetail,
            responses={**NOT_FOUND, **INVALID, **OTHER_ROUTE})
def get_journey(key: Key, who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> JourneyDetail:
    return _detail(session, _journey(session, who, key))


@router.get("/journeys/{key:journey_key}/versions/{version}", response_model=VersionDetail,
            responses={**NOT_FOUND, **INVALID, **OTHER_ROUTE})
def get_version(key: Key, version: VersionPath, who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> VersionDetail:
    row = service.version_of(session, journey=_journey(session, who, key), version=version)
    if row is None:
        raise ApiError(404, "not_found", f"journey {key!r} has no version {version}")
    return version_detail(row)


def _switch(session: Session, who: Principal, key: str, enabled: bool) -> JourneyOut:
    journey = _journey(session, who, key)
    service.set_enabled(session, store_id=who.store_id, key=journey.key, enabled=enabled)
    return JourneyOut.of(service.summary(session, journey=journey))


@router.post("/journeys/{key:journey_key}/enable", response_model=JourneyOut,
             responses={**NOT_FOUND, **CONFLICT, **INVALID, **OTHER_ROUTE})
def enable(key: Key, who: Principal = Depends(principal),
           write: Write = Depends(writer)) -> JourneyOut:
    """Enrol from the next event on (events from before are never replayed)."""
    return write(lambda session: _switch(session, who, key, True))


@router.post("/journeys/{key:journey_key}/disable", response_model=JourneyOut,
             responses={**NOT_FOUND, **CONFLICT, **INVALID, **OTHER_ROUTE})
def disable(key: Key, who: Principal = Depends(principal),
            write: Write = Depends(writer)) -> JourneyOut:
    """No new enrolments; enrolments in progress leave at their next step."""
    return write(lambda session: _switch(session, who, key, False))


@router.get("/journeys/{key:journey_key}/enrolments", response_model=dict[str, list[EnrolmentOut]],
            responses={**NOT_FOUND, **INVALID, **OTHER_ROUTE})
def journey_enrolments(key: Key, who: Principal = Depends(principal),
                       session: Session = Depends(read_session),
                       status: Annotated[str | None, Query(
                           pattern=r"^(active|completed|exited)$")] = None,
                       before_id: IdQuery = None, limit: Limit = 50,
                       ) -> dict[str, list[EnrolmentOut]]:
    journey = _journey(session, who, key)
    rows = service.list_enrolments(session, store_id=who.store_id, journey_id=journey.id,
                                   status=status, before_id=before_id, limit=limit)
    return {"items": _enrolments(session, who, rows)}


@router.get("/journeys/{key:journey_key}/results", response_model=ResultsOut,
            responses={**NOT_FOUND, **INVALID, **OTHER_ROUTE})
def journey_results(key: Key, who: Principal = Depends(principal),
                    session: Session = Depends(read_session),
                    window_days: Annotated[int, Query(ge=1, le=365), WHOLE] = 30,
                    ) -> ResultsOut:
    """Treated against holdout: conversion (an order within `window_days` of enrolment)
    and revenue per customer, each difference with a 95% interval."""
    journey = _journey(session, who, key)
    return ResultsOut.of(measured.journey_results(session, journey=journey,
                                                  window_days=window_days, now=utcnow()))


@router.get("/journey-enrolments/{enrolment_id}", response_model=EnrolmentDetail,
            responses={**NOT_FOUND, **INVALID})
def get_enrolment(enrolment_id: IdPath, who: Principal = Depends(principal),
                  session: Session = Depends(read_session)) -> EnrolmentDetail:
    enrolment = service.get_enrolment(session, store_id=who.store_id, enrolment_id=enrolment_id)
    if enrolment is None:
        raise ApiError(404, "not_found", "no such enrolment in this store")
    base = _enrolments(session, who, [enrolment])[0]
    history = [step_out(r) for r in service.history(session, enrolment=enrolment)]
    return EnrolmentDetail(**base.model_dump(), history=history)
