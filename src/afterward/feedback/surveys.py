"""Survey answers: NPS (0-10) and the delivery survey (yes 1 / no 0) from the delivered
email's one-click links, CSAT (1-5) after a return is resolved, and imports through the
API. One answer per order and survey: a second click, or an import for the same order,
changes the score of that answer (and records `survey.answered` again); the same score
again changes nothing. An answer that becomes a detractor's raises the detractor loop
(detractors.py). The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterward.commerce import service as commerce
from afterward.events import record
from afterward.feedback import detractors
from afterward.feedback.models import SURVEY_KINDS, SURVEY_SCALES, SurveyResponse
from afterward.storage.types import utcnow

ANSWERED = "survey.answered"
MAX_COMMENT = 2000


class SurveyError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Answered:
    response: SurveyResponse
    created: bool  # a new answer (else: an earlier one, changed or not)
    changed: bool  # the score moved (always so when created)


def check_score(survey: str, score: int) -> None:
    if survey not in SURVEY_KINDS:
        raise SurveyError("invalid_survey", f"survey is one of {', '.join(SURVEY_KINDS)}",
                          "survey")
    low, high = SURVEY_SCALES[survey]
    if isinstance(score, bool) or not low <= score <= high:
        raise SurveyError("invalid_score", f"a {survey} score is from {low} to {high}", "score")


def clean_comment(text: str | None) -> str | None:
    cleaned = (text or "").replace("\x00", "").strip()
    if len(cleaned) > MAX_COMMENT:
        raise SurveyError("comment_too_long", f"a comment has at most {MAX_COMMENT} "
                          "characters", "comment")
    return cleaned or None


def find(session: Session, *, store_id: int, order_id: int, survey: str,
         lock: bool = False) -> SurveyResponse | None:
    """The order's answer to the survey; with `lock`, held to the transaction's end
    (PostgreSQL), so two clicks at once change it one after the other."""
    query = select(SurveyResponse).where(
        SurveyResponse.store_id == store_id, SurveyResponse.order_id == order_id,
        SurveyResponse.survey == survey)
    return session.scalar(query.with_for_update() if lock else query)


def answer(session: Session, *, store_id: int, order_id: int, survey: str, score: int,
           source: str, comment: str | None = None, return_id: int | None = None,
           locale: str | None = None, now: datetime | None = None) -> Answered:
    """Record a score (and a comment, from an import): refused with SurveyError for a
    score off the survey's scale or an order the store does not have."""
    check_score(survey, score)
    comment = clean_comment(comment)
    order = commerce.get_order(session, store_id=store_id, order_id=order_id)
    if order is None:
        raise SurveyError("unknown_order", "no such order in this store", "order_number")
    when = now or utcnow()
    found = find(session, store_id=store_id, order_id=order_id, survey=survey, lock=True)
    if found is None:
        found = _insert(session, SurveyResponse(
            store_id=store_id, order_id=order_id, customer_id=order.customer_id,
            return_id=return_id, survey=survey, score=score,
            detractor=detractors.is_detractor(survey, score), comment=comment, source=source,
            locale=locale, created_at=when, updated_at=when))
        if found is not None:
            _answered(session, found, previous=None, now=when)
            return Answered(found, created=True, changed=True)
        found = find(session, store_id=store_id, order_id=order_id, survey=survey, lock=True)
        assert found is not None  # a concurrent first click won the insert
    return _again(session, found, score=score, comment=comment, return_id=return_id,
                  now=when)


def _insert(session: Session, row: SurveyResponse) -> SurveyResponse | None:
    """The new row, or None when another transaction answered the same order first."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def _again(session: Session, found: SurveyResponse, *, score: int, comment: str | None,
           return_id: int | None, now: datetime) -> Answered:
    if comment is not None and comment != found.comment:
        found.comment, found.updated_at = comment, now
    if return_id is not None and found.return_id is None:
        found.return_id = return_id
    if found.score == score:
        session.flush()
        return Answered(found, created=False, changed=False)
    previous, was_detractor = found.score, found.detractor
    found.score, found.updated_at = score, now
    found.detractor = detractors.is_detractor(found.survey, score)
    session.flush()
    _answered(session, found, previous=previous, now=now, was_detractor=was_detractor)
    return Answered(found, created=False, changed=True)


def _answered(session: Session, response: SurveyResponse, *, previous: int | None,
              now: datetime, was_detractor: bool = False) -> None:
    record(session, store_id=response.store_id, name=ANSWERED,
           subject_type="survey_response", subject_id=response.id, occurred_at=now,
           payload={"survey": response.survey, "score": response.score,
                    "previous_score": previous, "detractor": response.detractor,
                    "order_id": response.order_id, "customer_id": response.customer_id,
                    "return_id": response.return_id, "source": response.source})
    if response.detractor and not was_detractor:
        detractors.raise_alert(session, response=response, now=now)


def add_comment(session: Session, *, store_id: int, order_id: int, survey: str,
                comment: str, now: datetime | None = None) -> SurveyResponse | None:
    """The landing page's comment on the answer its link recorded; None when there
    is no such answer (the page then records nothing). The same words again change
    nothing."""
    text = clean_comment(comment)
    found = find(session, store_id=store_id, order_id=order_id, survey=survey, lock=True)
    if found is None or text is None or text == found.comment:
        return found
    when = now or utcnow()
    found.comment, found.updated_at = text, when
    session.flush()
    detractors.comment_added(session, response=found, now=when)
    return found
