"""Survey comments for the text models (Module.texts, afterward/customer_texts.py): each
answer's comment, as of when it was last written, oldest first. `rating` is the CSAT
score (1-5, the writer's own label); an NPS or delivery answer gives none, its scale
being another one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.customer_texts import CustomerText
from afterward.feedback.models import SurveyResponse

BATCH = 1000


def comments(session: Session, *, store_id: int, since: datetime | None
             ) -> Iterator[CustomerText]:
    query = select(SurveyResponse.id, SurveyResponse.comment, SurveyResponse.updated_at,
                   SurveyResponse.survey, SurveyResponse.score,
                   SurveyResponse.customer_id).where(
        SurveyResponse.store_id == store_id, SurveyResponse.comment.is_not(None))
    if since is not None:
        query = query.where(SurveyResponse.updated_at >= since)
    rows = session.execute(query.order_by(SurveyResponse.updated_at, SurveyResponse.id)
                           .execution_options(yield_per=BATCH))
    for ref, text, at, survey, score, customer_id in rows:
        yield CustomerText("survey", ref, text or "", at,
                           rating=score if survey == "csat" else None,
                           customer_id=customer_id)
