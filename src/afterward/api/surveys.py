"""Surveys for integrators (DESIGN.md, "Contracts ... Reviews and surveys"): answers
imported from another tool (one per order and survey: the same order again changes its
score) and the NPS, CSAT and delivery results of a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import ISO_DAY, each_once
from afterward.api.responses import INVALID, KEYED, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.feedback import survey_results, surveys
from afterward.feedback.survey_schemas import (
    CsatOut,
    DeliveryOut,
    NpsOut,
    SurveyResponseIn,
    SurveyResponseOut,
)
from afterward.storage.types import utcnow

router = APIRouter(prefix="/api/v1/surveys", responses=KEYED, tags=["surveys"],
                   dependencies=[Depends(each_once)])
DEFAULT_DAYS = 90
MAX_DAYS = 3660

From = Annotated[date | None, Query(alias="from", description="First day (UTC), included; "
                                    "default: 90 days before `to`"), ISO_DAY]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), included; "
                                  "default: today"), ISO_DAY]


@router.post("/responses", response_model=SurveyResponseOut, status_code=201,
             responses={**updated(SurveyResponseOut, "The order had an answer to this "
                                  "survey: its score (and comment) now these."),
                        **WITH_BODY})
def import_response(body: SurveyResponseIn, response: Response,
                    who: Principal = Depends(principal),
                    write: Write = Depends(writer)) -> SurveyResponseOut:
    """Record an answer given elsewhere (an import): 201 when new, 200 when the order
    had one for this survey (the score and comment are replaced; `survey.answered` is
    recorded when the score moves). 422 for a score off the survey's scale (nps 0-10,
    csat 1-5, delivery 0 or 1) or an order this store does not have; nothing written."""
    def work(session: Session) -> tuple[SurveyResponseOut, bool]:
        order = commerce.order_by_number(session, store_id=who.store_id,
                                         number=body.order_number.strip())
        if order is None:
            raise ApiError(422, "unknown_order", "no such order in this store",
                           "order_number")
        try:
            done = surveys.answer(session, store_id=who.store_id, order_id=order.id,
                                  survey=body.survey, score=body.score, source="api",
                                  comment=body.comment)
        except surveys.SurveyError as refused:
            raise ApiError(422, refused.code, refused.message, refused.field) from None
        row = done.response
        return SurveyResponseOut(
            id=row.id, order_number=order.number, survey=row.survey, score=row.score,
            detractor=row.detractor, comment=row.comment, source=row.source,
            created_at=row.created_at, updated_at=row.updated_at), done.created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


def period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """[from 00:00, the day after `to` 00:00) in UTC; refused when reversed or longer
    than MAX_DAYS."""
    last = end or utcnow().date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ApiError(422, "invalid", "`from` is after `to`", "from")
    if (last - first).days >= MAX_DAYS:
        raise ApiError(422, "invalid", f"a period is at most {MAX_DAYS} days", "from")
    return (datetime.combine(first, time(), UTC),
            datetime.combine(last + timedelta(days=1), time(), UTC))


@router.get("/nps/results", response_model=NpsOut, responses=INVALID)
def nps_results(start: From = None, end: To = None, who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> NpsOut:
    """NPS of the answers first given in the period: % promoters (9-10) minus %
    detractors (0-6)."""
    first, after = period(start, end)
    found = survey_results.nps(session, store_id=who.store_id, start=first, end=after)
    return NpsOut(nps=found.nps, responses=found.responses, promoters=found.promoters,
                  passives=found.passives, detractors=found.detractors)


@router.get("/csat/results", response_model=CsatOut, responses=INVALID)
def csat_results(start: From = None, end: To = None, who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> CsatOut:
    """CSAT of the answers first given in the period: % of 4 and 5 out of 5."""
    first, after = period(start, end)
    found = survey_results.csat(session, store_id=who.store_id, start=first, end=after)
    return CsatOut(csat=found.csat, average=found.average, responses=found.responses,
                   satisfied=found.satisfied, dissatisfied=found.dissatisfied,
                   scores={str(k): v for k, v in found.scores.items()})


@router.get("/delivery/results", response_model=DeliveryOut, responses=INVALID)
def delivery_results(start: From = None, end: To = None,
                     who: Principal = Depends(principal),
                     session: Session = Depends(read_session)) -> DeliveryOut:
    """The delivery survey in the period: how many said everything arrived as
    expected, and how many did not."""
    first, after = period(start, end)
    found = survey_results.delivery(session, store_id=who.store_id, start=first, end=after)
    return DeliveryOut(responses=found.responses, yes=found.yes, no=found.no,
                       problem_rate=found.problem_rate)
