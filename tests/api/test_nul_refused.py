"""A NUL character is refused at the edge of every kind of input, with a 422 in the
usual shape and nothing written; a value the database itself refuses is a 422 too."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from afterward.api import errors
from afterward.journeys.models import Journey
from afterward.messaging.models import Message
from tests.factories import order_body


def count(db, model) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_message_with_a_nul_in_its_idempotency_key_is_refused(client, db, store):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    response = client.post("/api/v1/messages", headers=store.auth, json={
        "channel": "email", "category": "order", "template_key": "order_confirmation",
        "idempotency_key": "a\u0000b", "customer_id": order["customer_id"]})

    assert response.status_code == 422
    assert response.json()["error"]["message"].endswith("text may not contain NUL characters")
    assert count(db, Message) == 0


def test_a_journey_with_a_nul_in_its_name_is_refused(client, db, store):
    response = client.put("/api/v1/journeys/thanks", headers=store.auth, json={
        "key": "thanks", "name": "Thanks\u0000", "trigger": {"event": "order.created"},
        "steps": [{"key": "hello", "send": {"channel": "email",
                                            "template": "order_confirmation"}}]})

    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["message"]
    assert count(db, Journey) == 0


def test_a_value_the_database_refuses_is_a_422_not_a_500():
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise DataError("INSERT ...", {}, Exception("integer out of range"))

    response = TestClient(app, raise_server_exceptions=False).get("/boom")

    assert response.status_code == 422
    assert response.json() == {"error": {"code": "invalid", "field": None,
                                         "message": "a value is out of range for its field"}}
