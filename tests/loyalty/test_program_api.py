"""The program document: the defaults until one is put, replaced whole, and every bad
document refused with a 422 that changes nothing."""

from __future__ import annotations

import pytest

from afterward.loyalty.models import LoyaltyProgramRow

GOLD = {"key": "gold", "name": "Gold", "min_spend_minor": 50000, "multiplier_percent": 150,
        "free_shipping": True}
SILVER = {"key": "silver", "name": "Silver", "min_spend_minor": 20000}
FIVE_OFF = {"key": "five-off", "name": "5 EUR off", "points": 500, "discount_minor": 500}
DOUBLE = {"key": "double", "name": "Double points weekend", "starts_at": "2026-12-11T00:00:00Z",
          "ends_at": "2026-12-14T00:00:00Z", "multiplier_percent": 200}
TRIPLE = {"key": "triple", "name": "Triple points day", "starts_at": "2026-12-13T00:00:00Z",
          "ends_at": "2026-12-14T00:00:00Z", "multiplier_percent": 300}


def test_the_program_is_the_defaults_until_one_is_put(client, store):
    answer = client.get("/api/v1/loyalty/program", headers=store.auth)

    assert answer.status_code == 200
    assert answer.json() == {
        "points_per_currency_unit": 1, "pending_days": 30, "delivery_grace_days": 14,
        "expiry_days": None, "expiry_reminder_days": 14, "tier_grace_days": 30,
        "tiers": [], "rewards": [],
        "referral": {"enabled": False, "referrer_points": 0, "friend_discount_minor": 0,
                     "friend_code_days": None, "review_after": 5, "review_window_hours": 24},
        "bonuses": {"first_order": 0, "birthday": 0, "review": 0, "review_photo": 0,
                    "late_parcel": 0, "signup": 0},
        "refund_expired_rewards": False, "campaigns": []}


def test_a_program_put_is_what_is_read_back(client, store):
    document = {"points_per_currency_unit": 5, "pending_days": 14, "expiry_days": 365,
                "tiers": [GOLD, SILVER], "rewards": [FIVE_OFF],
                "referral": {"enabled": True, "referrer_points": 200,
                             "friend_discount_minor": 1000}}
    put = client.put("/api/v1/loyalty/program", json=document, headers=store.auth)
    got = client.get("/api/v1/loyalty/program", headers=store.auth)

    assert put.status_code == 200
    assert got.json() == put.json()
    assert got.json()["tiers"][0] == {**GOLD, "early_access": False, "entry_points": 0}
    assert got.json()["rewards"][0] == {**FIVE_OFF, "percent_off": None,
                                        "free_shipping": False, "product_sku": None,
                                        "expiry_days": None}


def test_campaign_moments_are_kept_in_utc_whatever_offset_they_were_written_with(client, store):
    document = {"campaigns": [{**DOUBLE, "starts_at": "2026-12-11T01:00:00+01:00",
                               "ends_at": "2026-12-13T19:00:00-05:00"}]}

    answer = client.put("/api/v1/loyalty/program", json=document, headers=store.auth)

    assert answer.status_code == 200, answer.text
    assert answer.json()["campaigns"] == [DOUBLE]


@pytest.mark.parametrize("document, field", [
    ({"points_per_currency_unit": 1, "colour": "red"}, "colour"),
    ({"points_per_currency_unit": -1}, "points_per_currency_unit"),
    ({"points_per_currency_unit": 10**9}, "points_per_currency_unit"),
    ({"tiers": [SILVER, {**GOLD, "min_spend_minor": 20000}]}, None),
    ({"tiers": [SILVER, {**GOLD, "key": "silver"}]}, None),
    ({"rewards": [{**FIVE_OFF, "points": 0}]}, "rewards.0.points"),
    ({"rewards": [{**FIVE_OFF, "percent_off": 10}]}, None),
    ({"rewards": [{"key": "x", "name": "Nothing", "points": 10}]}, None),
    ({"tiers": [{**GOLD, "multiplier_percent": 50}]}, "tiers.0.multiplier_percent"),
    ({"tiers": [{**GOLD, "entry_points": -1}]}, "tiers.0.entry_points"),
    ({"tiers": [{**GOLD, "entry_points": 10**9 + 1}]}, "tiers.0.entry_points"),
    ({"expiry_days": 0}, "expiry_days"),
    ({"campaigns": [DOUBLE, TRIPLE]}, None),
    ({"campaigns": [DOUBLE, {**TRIPLE, "key": "double", "starts_at": "2026-12-20T00:00:00Z",
                             "ends_at": "2026-12-21T00:00:00Z"}]}, None),
    ({"campaigns": [{**DOUBLE, "ends_at": DOUBLE["starts_at"]}]}, "campaigns.0"),
    ({"campaigns": [{**DOUBLE, "starts_at": "2026-12-11T00:00:00"}]},
     "campaigns.0.starts_at"),
    ({"campaigns": [{**DOUBLE, "ends_at": "next week"}]}, "campaigns.0.ends_at"),
    ({"campaigns": [{**DOUBLE, "starts_at": "0001-01-01T00:30:00+01:00"}]},
     "campaigns.0.starts_at"),
    ({"campaigns": [{**DOUBLE, "starts_at": "1969-12-31T23:59:59Z"}]}, "campaigns.0.starts_at"),
    ({"campaigns": [{**DOUBLE, "ends_at": "9999-12-31T23:30:00-01:00"}]},
     "campaigns.0.ends_at"),
    ({"campaigns": [{**DOUBLE, "multiplier_percent": 100}]}, "campaigns.0.multiplier_percent"),
    ({"campaigns": [{**DOUBLE, "multiplier_percent": 1001}]},
     "campaigns.0.multiplier_percent"),
])
def test_a_bad_program_is_refused_and_nothing_is_written(client, db, store, document, field):
    answer = client.put("/api/v1/loyalty/program", json=document, headers=store.auth)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"
    if field is not None:
        assert answer.json()["error"]["field"] == field
    with db.reading() as session:
        assert session.get(LoyaltyProgramRow, store.id) is None


def test_another_store_sees_its_own_program(client, store, make_store):
    other = make_store("other")
    client.put("/api/v1/loyalty/program", json={"points_per_currency_unit": 7},
               headers=store.auth)

    answer = client.get("/api/v1/loyalty/program", headers=other.auth)

    assert answer.json()["points_per_currency_unit"] == 1
