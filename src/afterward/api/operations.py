"""Jobs and the event log, scoped to the caller's store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.api.commerce import Cursor
from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, IdQuery, LongLimit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND
from afterward.commerce.service import decode_cursor, encode_cursor
from afterward.events import Event

router = APIRouter(prefix="/api/v1", responses=KEYED, dependencies=[Depends(each_once)])


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


@router.get("/jobs", response_model=dict[str, list[JobOut]], tags=["jobs"], responses=INVALID)
def list_jobs(who: Principal = Depends(principal), session: Session = Depends(read_session),
              status: Literal["queued", "running", "done", "dead"] | None = None,
              limit: LongLimit = 100) -> dict[str, list[JobOut]]:
    rows = jobs.list_jobs(session, status=status, store_id=who.store_id, limit=limit)
    return {"items": [JobOut.model_validate(j) for j in rows]}


@router.post("/jobs/{job_id}/retry", response_model=JobOut, tags=["jobs"],
             responses={**NOT_FOUND, **CONFLICT, **INVALID})
def retry_job(job_id: IdPath, who: Principal = Depends(principal),
              write: Write = Depends(writer)) -> JobOut:
    """Put a dead job back in the queue with a fresh set of attempts; a job that is
    not dead (already retried, say) is a 409."""
    def work(session: Session) -> JobOut:
        if not jobs.retry_dead(session, job_id=job_id, store_id=who.store_id):
            job = session.get(jobs.Job, job_id)
            if job is None or job.store_id != who.store_id:
                raise ApiError(404, "not_found", "no job with this id in this store")
            raise ApiError(409, "not_dead", f"this job is {job.status}, not dead")
        return JobOut.model_validate(session.get(jobs.Job, job_id))

    return write(work)


@router.get("/events", tags=["events"], responses=INVALID)
def list_events(who: Principal = Depends(principal), session: Session = Depends(read_session),
                subject_type: Annotated[str | None, Query(max_length=32)] = None,
                subject_id: IdQuery = None,
                name: Annotated[str | None, Query(max_length=64)] = None,
                cursor: Cursor = None,
                limit: LongLimit = 100) -> dict[str, Any]:
    """The store's event log, oldest first; follow next_cursor to keep up."""
    stmt = select(Event).where(Event.store_id == who.store_id)
    if subject_type:
        stmt = stmt.where(Event.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(Event.subject_id == subject_id)
    if name:
        stmt = stmt.where(Event.name == name)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(Event.id > after)
    rows = list(session.scalars(stmt.order_by(Event.id).limit(limit)))
    return {"items": [EventOut.model_validate(e).model_dump(mode="json") for e in rows],
            "next_cursor": encode_cursor(rows[-1].id) if rows else cursor}
