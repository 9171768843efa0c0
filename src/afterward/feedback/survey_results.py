"""Survey results over a period (answers by when they were first given, `start`
included, `end` excluded): NPS (% promoters 9-10 minus % detractors 0-6, one
decimal), CSAT (% of answers 4-5, and the average), the delivery survey (% "no"),
week by week for the admin's chart, and the comments behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, Integer, cast, extract, func, select
from sqlalchemy.orm import Session

from afterward.feedback.models import SurveyAlert, SurveyResponse


@dataclass(frozen=True)
class Nps:
    nps: float | None  # None: no answers
    responses: int
    promoters: int
    passives: int
    detractors: int


@dataclass(frozen=True)
class Csat:
    csat: float | None  # % satisfied (4-5)
    average: float | None
    responses: int
    satisfied: int
    dissatisfied: int  # 1-2
    scores: dict[int, int]  # 1..5 -> answers


@dataclass(frozen=True)
class Delivery:
    responses: int
    yes: int
    no: int
    problem_rate: float | None  # % no


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def score_counts(session: Session, *, store_id: int, survey: str, start: datetime,
                 end: datetime) -> dict[int, int]:
    rows = session.execute(select(SurveyResponse.score, func.count()).where(
        SurveyResponse.store_id == store_id, SurveyResponse.survey == survey,
        SurveyResponse.created_at >= start, SurveyResponse.created_at < end)
        .group_by(SurveyResponse.score))
    return {int(score): int(n) for score, n in rows}


def nps_of(counts: dict[int, int]) -> Nps:
    total = sum(counts.values())
    promoters = sum(n for s, n in counts.items() if s >= 9)
    detractors = sum(n for s, n in counts.items() if s <= 6)
    score = round(100 * (promoters - detractors) / total, 1) if total else None
    return Nps(score, total, promoters, total - promoters - detractors, detractors)


def csat_of(counts: dict[int, int]) -> Csat:
    total = sum(counts.values())
    satisfied = sum(n for s, n in counts.items() if s >= 4)
    average = round(sum(s * n for s, n in counts.items()) / total, 2) if total else None
    return Csat(_percent(satisfied, total), average, total, satisfied,
                sum(n for s, n in counts.items() if s <= 2),
                {s: counts.get(s, 0) for s in range(1, 6)})


def delivery_of(counts: dict[int, int]) -> Delivery:
    total = sum(counts.values())
    return Delivery(total, counts.get(1, 0), counts.get(0, 0), _percent(counts.get(0, 0), total))


def nps(session: Session, *, store_id: int, start: datetime, end: datetime) -> Nps:
    return nps_of(score_counts(session, store_id=store_id, survey="nps", start=start, end=end))


def csat(session: Session, *, store_id: int, start: datetime, end: datetime) -> Csat:
    return csat_of(score_counts(session, store_id=store_id, survey="csat", start=start,
                                end=end))


def delivery(session: Session, *, store_id: int, start: datetime, end: datetime) -> Delivery:
    return delivery_of(score_counts(session, store_id=store_id, survey="delivery",
                                    start=start, end=end))


@dataclass(frozen=True)
class Week:
    start: datetime
    nps: Nps
    csat: Csat


WEEK_SECONDS = 7 * 86400


def _seconds(session: Session) -> ColumnElement[int]:
    """created_at as seconds since 1970, in the database (grouped there, not here)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", SurveyResponse.created_at)), BigInteger)
    # SQLite keeps the UTC moment as text; strftime('%s') reads it as seconds.
    return cast(func.strftime("%s", SurveyResponse.created_at), Integer)


def weekly(session: Session, *, store_id: int, start: datetime, end: datetime
           ) -> list[Week]:
    """The period in weeks from `start` (the last one may be shorter), each with its
    NPS and CSAT: answers counted per week and score in the database."""
    count = max(1, -(-(end - start).days // 7))
    week = ((_seconds(session) - int(start.timestamp())) // WEEK_SECONDS).label("week")
    rows = session.execute(
        select(SurveyResponse.survey, week, SurveyResponse.score, func.count())
        .where(SurveyResponse.store_id == store_id,
               SurveyResponse.survey.in_(("nps", "csat")),
               SurveyResponse.created_at >= start, SurveyResponse.created_at < end)
        .group_by(SurveyResponse.survey, week, SurveyResponse.score)).all()
    buckets: list[dict[str, dict[int, int]]] = [{"nps": {}, "csat": {}} for _ in range(count)]
    for survey, index, score, n in rows:
        counts = buckets[min(count - 1, max(0, int(index)))][survey]
        counts[int(score)] = counts.get(int(score), 0) + int(n)
    return [Week(start + timedelta(days=7 * index), nps_of(week_counts["nps"]),
                 csat_of(week_counts["csat"])) for index, week_counts in enumerate(buckets)]


@dataclass(frozen=True)
class Comment:
    response_id: int
    survey: str
    score: int
    detractor: bool
    comment: str
    order_id: int
    customer_id: int | None
    at: datetime


def comments(session: Session, *, store_id: int, start: datetime, end: datetime,
             survey: str | None = None, limit: int = 50) -> list[Comment]:
    """The newest answers with a comment in the period (of one survey, or all)."""
    query = select(SurveyResponse).where(
        SurveyResponse.store_id == store_id, SurveyResponse.comment.is_not(None),
        SurveyResponse.created_at >= start, SurveyResponse.created_at < end)
    if survey:
        query = query.where(SurveyResponse.survey == survey)
    found = session.scalars(query.order_by(SurveyResponse.created_at.desc(),
                                           SurveyResponse.id.desc()).limit(limit))
    return [Comment(r.id, r.survey, r.score, r.detractor, r.comment or "", r.order_id,
                    r.customer_id, r.created_at) for r in found]


def open_alerts(session: Session, *, store_id: int) -> int:
    return int(session.scalar(select(func.count(SurveyAlert.id)).where(
        SurveyAlert.store_id == store_id, SurveyAlert.status == "open")) or 0)
