"""What the assistant saves: contacts per 100 orders, the share answered without a
person and the shoppers' messages by intent, week by week; in the admin (a page with
server-side SVG charts), on the insights page and as JSON. Nothing is divided by
zero: no orders or no conversations show as "—" (null in JSON)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterward.assistant import stats
from afterward.assistant.models import Conversation, ConversationMessage
from afterward.storage.types import utcnow
from tests.factories import order_body
from tests.web.helpers import CHEAP_HASHER, make_admin, sign_in

MARCH_2 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
MARCH_16 = datetime(2026, 3, 16, tzinfo=UTC)
EVERY_NONE = dict.fromkeys(stats.INTENTS, 0)


def _conversation(db, store_id: int, at: datetime, *, said: list[str | None],
                  reason: str | None = None, agent: bool = False) -> None:
    with db.transaction() as session:
        conversation = Conversation(store_id=store_id, public_id=f"c{at.timestamp()}{store_id}",
                                    channel="api", status="open" if reason else "bot",
                                    handoff_reason=reason, created_at=at, updated_at=at)
        session.add(conversation)
        session.flush()
        for intent in said:
            session.add(ConversationMessage(store_id=store_id, conversation_id=conversation.id,
                                            author="shopper", text="…", intent=intent,
                                            created_at=at))
            session.add(ConversationMessage(store_id=store_id, conversation_id=conversation.id,
                                            author="bot", text="…", intent=intent,
                                            created_at=at))
        if agent:
            session.add(ConversationMessage(store_id=store_id, conversation_id=conversation.id,
                                            author="agent", text="Hello", created_at=at))


@pytest.fixture
def shop(client, db, store, make_store):
    # given: four orders in the first week, none in the second
    for n in range(4):
        placed = (MARCH_2 + timedelta(days=1, hours=n)).isoformat().replace("+00:00", "Z")
        response = client.post("/api/v1/orders", headers=store.auth,
                               json=order_body(f"10{n}", placed_at=placed))
        assert response.status_code == 201
    # week 1: one answered by the assistant alone, one handed off
    _conversation(db, store.id, MARCH_2 + timedelta(days=2),
                  said=["where_is_my_order", "where_is_my_order", None])
    _conversation(db, store.id, MARCH_2 + timedelta(days=3), said=["complaint"],
                  reason="complaint")
    # week 2: the team wrote in it without a hand-off
    _conversation(db, store.id, MARCH_2 + timedelta(days=9), said=["other"], agent=True)
    # outside the period, and another store's
    _conversation(db, store.id, MARCH_2 - timedelta(days=1), said=["other"])
    other = make_store("other")
    _conversation(db, other.id, MARCH_2 + timedelta(days=2), said=["other"])
    return store


def test_the_period_counts_contacts_per_100_orders_and_those_answered_alone(db, shop):
    with db.reading() as session:
        found = stats.savings(session, store_id=shop.id, start=MARCH_2, end=MARCH_16)

    assert (found.orders, found.conversations, found.without_person, found.handed_off) == (
        4, 3, 1, 2)
    assert found.per_100_orders == 75.0
    assert found.without_person_share == pytest.approx(1 / 3)
    assert found.intents == {**EVERY_NONE, "where_is_my_order": 2, "complaint": 1,
                             "other": 1}
    first, second = found.weeks
    assert (first.start.isoformat(), first.orders, first.conversations,
            first.without_person, first.per_100_orders) == ("2026-03-02", 4, 2, 1, 50.0)
    assert (second.start.isoformat(), second.orders, second.conversations,
            second.without_person, second.per_100_orders) == ("2026-03-09", 0, 1, 0, None)
    assert second.intents == {**EVERY_NONE, "other": 1}


def test_no_orders_and_no_conversations_give_none_not_a_division_by_zero(db, store):
    with db.reading() as session:
        found = stats.savings(session, store_id=store.id, start=MARCH_2, end=MARCH_16)

    assert (found.orders, found.conversations) == (0, 0)
    assert (found.per_100_orders, found.without_person_share) == (None, None)
    assert [w.per_100_orders for w in found.weeks] == [None, None]


def test_weeks_start_on_the_local_monday():
    # Sunday 23:30 UTC is already Monday in Berlin
    weeks = stats.weeks_between(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), MARCH_16,
                                stats.ZoneInfo("Europe/Berlin"))

    assert [w.isoformat() for w in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16"]


def test_the_api_gives_the_figures_per_week(client, shop):
    response = client.get("/api/v1/conversations/stats?from=2026-03-02&to=2026-03-15",
                          headers=shop.auth)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("first_day", "last_day", "orders", "conversations",
                                 "answered_without_person", "handed_to_person",
                                 "contacts_per_100_orders",
                                 "answered_without_person_share")} == {
        "first_day": "2026-03-02", "last_day": "2026-03-15", "orders": 4, "conversations": 3,
        "answered_without_person": 1, "handed_to_person": 2, "contacts_per_100_orders": 75.0,
        "answered_without_person_share": 0.3333}
    assert [(w["week"], w["contacts_per_100_orders"]) for w in body["weeks"]] == [
        ("2026-03-02", 50.0), ("2026-03-09", None)]


@pytest.mark.parametrize("query", ["from=2026-03-15&to=2026-03-02", "from=0",
                                   "to=2026-02-30"])
def test_the_api_refuses_a_bad_period(client, store, query):
    response = client.get(f"/api/v1/conversations/stats?{query}", headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid", "validation_error")


@pytest.fixture
def signed_in(client, db, store, monkeypatch):
    from afterward.accounts import service as accounts

    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
    make_admin(db)
    assert sign_in(client).status_code == 303
    return client


def test_the_admin_page_shows_the_figures_and_both_charts(signed_in, db, store):
    _conversation(db, store.id, utcnow() - timedelta(minutes=5),
                  said=["where_is_my_order", "loyalty_points"])

    page = signed_in.get("/admin/conversations/stats?weeks=4")

    assert page.status_code == 200
    assert 'id="savings-figures-conversations">1<' in page.text
    assert 'id="savings-figures-per-100">—<' in page.text  # no orders
    assert 'id="savings-figures-without">100.0%<' in page.text
    assert '<svg class="columns" id="contacts-chart"' in page.text
    assert '<svg class="heatmap" id="intents-chart"' in page.text
    assert "Loyalty points" in page.text
    assert "nan" not in page.text.lower().replace("nanum", "")


def test_the_admin_page_speaks_german(signed_in):
    page = signed_in.get("/admin/conversations/stats", headers={"Accept-Language": "de"})

    assert page.status_code == 200
    assert "Was der Assistent einspart" in page.text
    assert 'id="no-conversations"' in page.text


def test_an_unknown_period_is_refused(signed_in):
    assert signed_in.get("/admin/conversations/stats?weeks=5").status_code == 400


def test_the_insights_page_has_the_assistant_panel(signed_in, db, store):
    _conversation(db, store.id, utcnow() - timedelta(days=1), said=["other"],
                  reason="repeated_other")

    page = signed_in.get("/admin/insights?days=30")

    assert page.status_code == 200
    assert 'id="assistant-figures-conversations">1<' in page.text
    assert 'id="assistant-figures-without">0.0%<' in page.text
    assert 'href="/admin/conversations/stats"' in page.text
