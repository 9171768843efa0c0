"""A shop with orders placed through the API, and what the surveys left behind: the
answers, their events, the alerts and the webhook jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from afterward import outbound
from afterward.events import Event
from afterward.feedback import survey_links
from afterward.feedback.models import SurveyAlert, SurveyResponse
from afterward.jobs import Job
from afterward.storage.db import Database
from tests.factories import order_body
from tests.webhook_listeners import listening

SECRET = "test-secret-key-0123456789"  # the settings fixture's


@dataclass
class Shop:
    client: Any
    db: Database
    store: Any

    def order(self, number: str = "1001", email: str = "ada@example.com") -> tuple[int, int]:
        answer = self.client.post("/api/v1/orders", headers=self.store.auth, json=order_body(
            number, email=email, customer={"email": email, "first_name": "Ada"}))
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], answer.json()["customer_id"]

    def link(self, order_id: int, survey: str, score: int, return_id: int | None = None
             ) -> str:
        return survey_links.PATH + "/" + survey_links.signed(SECRET, survey_links.ScoreLink(
            self.store.id, order_id, survey, score, return_id))


def answers(db: Database, store_id: int | None = None) -> list[tuple[str, int, str | None]]:
    with db.reading() as session:
        query = select(SurveyResponse).order_by(SurveyResponse.id)
        if store_id is not None:
            query = query.where(SurveyResponse.store_id == store_id)
        return [(r.survey, r.score, r.comment) for r in session.scalars(query)]


def answered_events(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [e.payload for e in session.scalars(select(Event).where(
            Event.name == "survey.answered").order_by(Event.id))]


def alerts(db: Database) -> list[tuple[str, str, str | None]]:
    with db.reading() as session:
        return [(a.status, a.reason, a.closed_by) for a in session.scalars(
            select(SurveyAlert).order_by(SurveyAlert.id))]


def webhook_jobs(db: Database) -> list[dict[str, Any]]:
    with db.reading() as session:
        return [j.payload for j in session.scalars(select(Job).where(
            Job.kind == outbound.PUBLISH_JOB).order_by(Job.id))]


def count(db: Database, model: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(name="shop")
def shop_fixture(client, db, store) -> Shop:
    """Import it as `shop_fixture`; tests ask for `shop`. The store has a webhook
    endpoint: the merchant's tools hear of detractors."""
    listening(db, store.id)
    return Shop(client, db, store)
