"""The detractor loop: which answers are a detractor's (NPS 0-6, CSAT 1-2, a delivery
"no"), the alert in the admin inbox, the signed webhook to the merchant's tools and the
pause of marketing messages to that customer (a hold probe, Module.hold_probes). The
follow-up message is a built-in journey on `survey.answered` (journeys/)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import outbound
from afterward.commerce import service as commerce
from afterward.feedback.models import SurveyAlert, SurveyResponse
from afterward.storage.types import utcnow

DETRACTOR_EVENT = "survey.detractor"
COMMENT_EVENT = "survey.detractor_comment"
PAUSE_DAYS = 30  # marketing to a detractor waits this long after their answer
HOLD_REASON = "survey_detractor"
REASONS = {"nps": "nps_detractor", "csat": "csat_low", "delivery": "delivery_problem"}


def is_detractor(survey: str, score: int) -> bool:
    if survey == "nps":
        return score <= 6
    if survey == "csat":
        return score <= 2
    return survey == "delivery" and score == 0


def raise_alert(session: Session, *, response: SurveyResponse, now: datetime) -> SurveyAlert:
    """Open the answer's alert (again, if it was closed) and tell the merchant's
    tools: called when an answer becomes a detractor's."""
    alert = session.scalar(select(SurveyAlert).where(SurveyAlert.response_id == response.id))
    if alert is None:
        alert = SurveyAlert(store_id=response.store_id, response_id=response.id,
                            status="open", reason=REASONS[response.survey],
                            created_at=now, updated_at=now)
        session.add(alert)
    else:
        alert.status, alert.closed_by, alert.closed_at = "open", None, None
        alert.reason, alert.updated_at = REASONS[response.survey], now
    session.flush()
    _publish(session, DETRACTOR_EVENT, response, alert, now)
    return alert


def comment_added(session: Session, *, response: SurveyResponse, now: datetime) -> None:
    """A detractor wrote why: the webhook carries the words to the merchant's tools."""
    alert = session.scalar(select(SurveyAlert).where(SurveyAlert.response_id == response.id))
    if alert is not None and response.detractor:
        _publish(session, COMMENT_EVENT, response, alert, now)


def _publish(session: Session, event_type: str, response: SurveyResponse,
             alert: SurveyAlert, now: datetime) -> None:
    outbound.publish(
        session, store_id=response.store_id, event_type=event_type,
        event_id=f"{event_type.replace('.', '_')}_{response.id}_{now.timestamp():.6f}",
        data=payload(session, response, alert))


def payload(session: Session, response: SurveyResponse, alert: SurveyAlert
            ) -> dict[str, Any]:
    order = commerce.get_order(session, store_id=response.store_id, order_id=response.order_id)
    return {"alert_id": alert.id, "reason": alert.reason, "response_id": response.id,
            "survey": response.survey, "score": response.score, "comment": response.comment,
            "order_id": response.order_id, "order_number": order.number if order else None,
            "customer_id": response.customer_id, "email": order.email if order else None,
            "return_id": response.return_id,
            "answered_at": response.updated_at.isoformat().replace("+00:00", "Z")}


def close(session: Session, *, store_id: int, alert_id: int, by: str,
          now: datetime | None = None) -> SurveyAlert | None:
    """Close an open alert; None when the store has no such alert. Closing a closed
    one changes nothing (a second click of the button)."""
    alert = session.scalar(select(SurveyAlert).where(
        SurveyAlert.store_id == store_id, SurveyAlert.id == alert_id).with_for_update())
    if alert is None or alert.status == "closed":
        return alert
    when = now or utcnow()
    alert.status, alert.closed_by, alert.closed_at, alert.updated_at = (
        "closed", by[:320], when, when)
    session.flush()
    return alert


def marketing_pause(session: Session, store_id: int, customer_id: int) -> str | None:
    """The hold probe: 'survey_detractor' for PAUSE_DAYS after a detractor's answer,
    which holds marketing messages and review and survey requests to them."""
    since = utcnow() - timedelta(days=PAUSE_DAYS)
    found = session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.store_id == store_id, SurveyResponse.customer_id == customer_id,
        SurveyResponse.updated_at >= since, SurveyResponse.detractor.is_(True)).limit(1))
    return HOLD_REASON if found is not None else None
