"""Rewards redeemed into single-use codes: points taken once, a code issued and
pushed to the store platform, unused codes refunded into points once, and every
refusal leaving nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from afterward import outbound
from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.events import Event
from afterward.jobs import Job
from afterward.loyalty.models import LoyaltyEntry
from tests.webhook_listeners import listening

REWARDS = [
    {"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500},
    {"key": "ten-pct", "name": "10% off", "points": 300, "percent_off": 10},
    {"key": "ship", "name": "Free shipping", "points": 200, "free_shipping": True,
     "expiry_days": 30},
    {"key": "mug", "name": "A free mug", "points": 400, "product_sku": "MUG-1"},
]


def count(db, model, *where) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def written(db) -> tuple[int, int, int]:
    """(loyalty entries, codes, loyalty.points_redeemed events)"""
    return (count(db, LoyaltyEntry), count(db, DiscountCode),
            count(db, Event, Event.name == "loyalty.points_redeemed"))


@pytest.fixture
def member(club, db) -> int:
    listening(db, club.store.id)  # the store platform takes the codes (outbound.py)
    assert club.put_program(points_per_currency_unit=10, pending_days=30,
                            rewards=REWARDS).status_code == 200
    _, customer_id = club.order()
    assert club.adjust(customer_id, 1000, "start").status_code == 201
    return customer_id


def redeem(club, customer_id: int, reward: str, key: str | None = "r1") -> Any:
    body: dict[str, Any] = {"customer_id": customer_id, "reward": reward}
    if key is not None:
        body["idempotency_key"] = key
    return club.client.post("/api/v1/loyalty/redemptions", json=body, headers=club.auth)


def refund(club, code: str) -> Any:
    return club.client.post(f"/api/v1/loyalty/redemptions/{code}/refund",
                            headers=club.auth)


def test_a_fixed_reward_takes_its_points_and_issues_a_discount_code(club, db, member):
    answer = redeem(club, member, "five-off")

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert len(body["code"]) == 16
    assert {k: v for k, v in body.items() if k != "code"} == {
        "customer_id": member, "reward": "five-off", "points": 500, "kind": "discount",
        "discount_minor": 500, "percent_off": None, "product_sku": None, "currency": "USD",
        "status": "issued",
        "used_order_id": None, "expires_at": None, "points_balance": 500}
    assert club.points(member) == (500, 0, 0)
    newest = club.loyalty(member)["entries"][0]
    assert (newest["kind"], newest["points"], newest["balance_delta"], newest["source"]) == (
        "redeem", -500, -500, "reward")
    assert written(db)[1:] == (1, 1)


def test_a_percent_reward_issues_a_percentage_code_pushed_to_the_store(club, db, member):
    answer = redeem(club, member, "ten-pct")

    assert answer.status_code == 201, answer.text
    assert (answer.json()["percent_off"], answer.json()["discount_minor"],
            answer.json()["currency"]) == (10, None, None)
    assert club.points(member) == (700, 0, 0)
    with db.reading() as session:
        job = session.scalar(select(Job).where(Job.kind == outbound.PUBLISH_JOB))
        assert job is not None
        assert job.payload["event_type"] == "code.issued"
        assert job.payload["data"]["code"] == answer.json()["code"]
        assert job.payload["data"]["shopify"]["price_rule"]["value"] == "-10"
        redeemed = session.scalar(select(Event).where(
            Event.name == "loyalty.points_redeemed"))
        assert redeemed is not None
        assert redeemed.payload["points"] == 300
        assert redeemed.payload["reward"] == "ten-pct"
        assert redeemed.payload["points_balance"] == 700


def test_the_same_key_again_gives_the_same_code_and_takes_nothing(club, db, member):
    first = redeem(club, member, "five-off", key="once")

    again = redeem(club, member, "five-off", key="once")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert club.points(member) == (500, 0, 0)
    assert written(db) == (2, 1, 1)


def test_the_same_key_for_another_reward_is_a_conflict(club, db, member):
    redeem(club, member, "five-off", key="once")

    answer = redeem(club, member, "ten-pct", key="once")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "idempotency_key_reused"
    assert club.points(member) == (500, 0, 0)
    assert written(db) == (2, 1, 1)


def test_without_a_key_each_redemption_is_its_own(club, db, member):
    assert redeem(club, member, "ten-pct", key=None).status_code == 201
    assert redeem(club, member, "ten-pct", key=None).status_code == 201

    assert club.points(member) == (400, 0, 0)
    assert written(db) == (3, 2, 2)


def test_a_reward_beyond_the_balance_is_refused_and_nothing_is_written(club, db, member):
    assert redeem(club, member, "five-off", key="a").status_code == 201
    assert redeem(club, member, "five-off", key="b").status_code == 201

    answer = redeem(club, member, "ten-pct", key="c")

    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "insufficient_points",
                                      "message": "the points balance is too low",
                                      "field": "reward"}
    assert club.points(member) == (0, 0, 0)
    assert written(db) == (3, 2, 2)


def test_a_free_shipping_reward_issues_an_expiring_free_shipping_code(club, db, member):
    answer = redeem(club, member, "ship")

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["kind"], body["discount_minor"], body["percent_off"], body["product_sku"],
            body["points"], body["points_balance"]) == (
        "free_shipping", None, None, None, 200, 800)
    with db.reading() as session:
        code = codes.by_code(session, store_id=club.store.id, code=body["code"])
        assert code is not None and code.expires_at is not None
        assert round((code.expires_at - code.created_at).total_seconds()) == 30 * 86400
        job = session.scalar(select(Job).where(Job.kind == outbound.PUBLISH_JOB))
        assert job is not None
        rule = job.payload["data"]["shopify"]["price_rule"]
        assert (rule["target_type"], rule["value_type"], rule["value"]) == (
            "shipping_line", "percentage", "-100.0")
        assert rule["ends_at"] == code.expires_at.isoformat()
    assert written(db) == (2, 1, 1)


def test_a_free_product_reward_issues_a_code_for_its_sku(club, db, member):
    answer = redeem(club, member, "mug")

    assert answer.status_code == 201, answer.text
    assert (answer.json()["kind"], answer.json()["product_sku"],
            answer.json()["expires_at"]) == ("free_product", "MUG-1", None)
    with db.reading() as session:
        job = session.scalar(select(Job).where(Job.kind == outbound.PUBLISH_JOB))
        assert job is not None
        rule = job.payload["data"]["shopify"]["price_rule"]
        assert (rule["target_selection"], rule["entitled_skus"], rule["value"],
                rule["allocation_limit"]) == ("entitled", ["MUG-1"], "-100.0", 1)
    assert club.points(member) == (600, 0, 0)


def test_an_unknown_reward_is_refused(club, db, member):
    answer = redeem(club, member, "nope")

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "unknown_reward", "reward")
    assert club.points(member) == (1000, 0, 0)
    assert written(db) == (1, 0, 0)


def test_bad_bodies_are_refused(club, db, member):
    for body in ({"customer_id": member}, {"customer_id": member, "reward": ""},
                 {"customer_id": "x", "reward": "ten-pct"},
                 {"customer_id": member, "reward": "ten-pct", "extra": 1}):
        answer = club.client.post("/api/v1/loyalty/redemptions", json=body,
                                  headers=club.auth)
        assert answer.status_code == 422, body
    assert written(db) == (1, 0, 0)


def test_another_store_s_customer_is_not_found(club, client, db, member, make_store):
    other = make_store("other")

    answer = client.post("/api/v1/loyalty/redemptions", headers=other.auth, json={
        "customer_id": member, "reward": "ten-pct", "idempotency_key": "k"})

    assert answer.status_code == 404
    assert club.points(member) == (1000, 0, 0)
    assert written(db) == (1, 0, 0)


def test_an_unused_code_is_refunded_into_points_once(club, db, member):
    code = redeem(club, member, "five-off").json()["code"]

    answer = refund(club, code.lower())
    again = refund(club, code)

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["points"],
            answer.json()["points_balance"]) == ("cancelled", 500, 1000)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_status"
    assert club.points(member) == (1000, 0, 0)
    found = club.loyalty(member)
    assert [(e["kind"], e["points"]) for e in found["entries"]] == [
        ("redeem", 500), ("redeem", -500), ("adjust", 1000)]
    assert found["lifetime_points"] == 1000
    assert count(db, Job, Job.kind == outbound.PUBLISH_JOB) == 2


def test_a_used_code_cannot_be_refunded(club, db, member):
    code = redeem(club, member, "five-off").json()["code"]
    order_id, _ = club.order("1002")
    with db.transaction() as session:
        assert codes.mark_used(session, store_id=club.store.id, code=code,
                               order_id=order_id)

    answer = refund(club, code)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_status"
    assert club.points(member) == (500, 0, 0)
    assert written(db) == (2, 1, 1)


def test_another_store_s_code_or_a_code_not_from_points_is_not_found(
        club, client, db, member, make_store):
    code = redeem(club, member, "five-off").json()["code"]
    other = make_store("other")
    with db.transaction() as session:
        gift = codes.issue(session, store_id=club.store.id, kind="gift_card",
                           source="store_credit", value_minor=100, currency="EUR",
                           customer_id=member).code

    elsewhere = client.post(f"/api/v1/loyalty/redemptions/{code}/refund",
                            headers=other.auth)
    not_points = refund(club, gift)

    assert (elsewhere.status_code, not_points.status_code) == (404, 404)
    assert club.points(member) == (500, 0, 0)


def test_pending_points_cannot_be_redeemed(club, db):
    assert club.put_program(points_per_currency_unit=10, pending_days=30,
                            rewards=REWARDS).status_code == 200
    _, customer_id = club.order()
    club.consume()
    assert club.points(customer_id) == (0, 300, 0)

    answer = redeem(club, customer_id, "ten-pct")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "insufficient_points"
    assert club.points(customer_id) == (0, 300, 0)
    assert written(db)[1:] == (0, 0)
