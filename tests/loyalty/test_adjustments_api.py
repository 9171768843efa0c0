"""Adjustments by hand and a customer's loyalty: the same key once, a balance never
below zero, another store's customer unseen."""

from __future__ import annotations

from sqlalchemy import func, select

from afterward.loyalty.models import LoyaltyEntry


def entries(db) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LoyaltyEntry)) or 0)


def test_an_adjustment_adds_points_at_once(club):
    _, customer_id = club.order()

    answer = club.adjust(customer_id, 120, "sorry-1001", reason="late parcel")

    assert answer.status_code == 201
    body = answer.json()
    assert (body["customer_id"], body["kind"], body["points"], body["reason"],
            body["source"], body["idempotency_key"]) == (
        customer_id, "adjust", 120, "late parcel", "admin", "sorry-1001")
    assert club.points(customer_id) == (120, 0, 0)
    assert club.loyalty(customer_id)["lifetime_points"] == 120


def test_the_same_key_again_gives_the_same_entry_and_adds_nothing(club, db):
    _, customer_id = club.order()
    first = club.adjust(customer_id, 120, "k1")

    again = club.adjust(customer_id, 120, "k1")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert club.points(customer_id) == (120, 0, 0)
    assert entries(db) == 1


def test_the_same_key_for_another_change_is_a_conflict(club, db):
    _, customer_id = club.order()
    club.adjust(customer_id, 120, "k1")

    answer = club.adjust(customer_id, 99, "k1")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "idempotency_key_reused"
    assert club.points(customer_id) == (120, 0, 0)


def test_taking_more_than_the_balance_is_refused_and_changes_nothing(club, db):
    _, customer_id = club.order()
    club.adjust(customer_id, 100, "in")

    answer = club.adjust(customer_id, -101, "out")

    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "insufficient_points",
                                      "message": "the points balance is too low",
                                      "field": "points"}
    assert club.points(customer_id) == (100, 0, 0)
    assert entries(db) == 1


def test_taking_points_lowers_the_balance_not_the_lifetime_points(club):
    _, customer_id = club.order()
    club.adjust(customer_id, 100, "in")

    assert club.adjust(customer_id, -100, "out").status_code == 201

    found = club.loyalty(customer_id)
    assert (found["points_balance"], found["lifetime_points"]) == (0, 100)
    assert [e["points"] for e in found["entries"]] == [-100, 100]


def test_another_store_s_customer_is_not_found(club, client, db, make_store):
    _, customer_id = club.order()
    other = make_store("other")

    adjusted = client.post("/api/v1/loyalty/adjustments", headers=other.auth, json={
        "customer_id": customer_id, "points": 10, "reason": "x", "idempotency_key": "k"})
    read = client.get(f"/api/v1/customers/{customer_id}/loyalty", headers=other.auth)

    assert adjusted.status_code == 404
    assert read.status_code == 404
    assert entries(db) == 0


def test_bad_adjustments_are_refused(club, db):
    _, customer_id = club.order()
    for points in (0, 10**9 + 1, -(10**9) - 1):
        answer = club.adjust(customer_id, points, f"k{points}")
        assert answer.status_code == 422, points
    assert club.adjust(customer_id, "12", "k-text").status_code == 422
    assert entries(db) == 0


def test_a_customer_without_points_has_an_empty_account(club):
    _, customer_id = club.order()

    assert club.loyalty(customer_id) == {
        "customer_id": customer_id, "points_balance": 0, "points_pending": 0,
        "points_debt": 0, "lifetime_points": 0, "tier": None, "tier_name": None,
        "spend_12m_minor": 0, "referral_code": None, "referral_url": None, "entries": []}
