"""Surveys' part of a customer's export and erasure (afterward/privacy.py): every
answer (survey, score, comment, order, when) and the detractor alerts on them.
Erasure blanks the comments (the customer's own words) and the name of whoever closed
an alert stays (a team member, not the customer); the scores stay, no longer pointing
at a person once commerce scrubs the customer, so the store's NPS does not move."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward.commerce.privacy import plain
from afterward.feedback.models import SurveyAlert, SurveyResponse
from afterward.privacy import changed, section

_FIELDS = ("id", "order_id", "return_id", "survey", "score", "detractor", "comment",
           "source", "locale", "created_at", "updated_at")


@section("surveys")
class SurveySection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]] | None:
        answers = list(session.scalars(select(SurveyResponse).where(
            SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id)
            .order_by(SurveyResponse.id)))
        if not answers:
            return None
        alerts = {a.response_id: a for a in session.scalars(select(SurveyAlert).where(
            SurveyAlert.store_id == store_id,
            SurveyAlert.response_id.in_([r.id for r in answers])))}
        return [{**{name: plain(getattr(r, name)) for name in _FIELDS},
                 "alert": {"status": alerts[r.id].status, "reason": alerts[r.id].reason,
                           "created_at": plain(alerts[r.id].created_at)}
                 if r.id in alerts else None} for r in answers]

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        return {"survey_responses": changed(session.execute(update(SurveyResponse).where(
            SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id,
            SurveyResponse.comment.is_not(None)).values(comment=None)))}
