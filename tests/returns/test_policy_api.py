"""PUT and GET /api/v1/returns/policy: the defaults, a policy put whole, a bad one
refused with the stored one unchanged, and each store its own."""

from __future__ import annotations

from afterward.returns.policy import DEFAULT


def test_a_store_without_a_policy_gets_the_defaults(shop):
    answer = shop.get("/api/v1/returns/policy")

    assert answer.status_code == 200
    assert answer.json() == DEFAULT.model_dump(mode="json")
    assert (answer.json()["window_days"], answer.json()["store_credit_bonus_percent"],
            answer.json()["resolutions"]) == (30, 10, ["refund", "store_credit", "exchange"])


def test_a_policy_put_is_answered_and_read_back_with_defaults_for_the_rest(shop):
    body = {"window_days": 60, "resolutions": ["store_credit", "exchange"],
            "rules": [{"name": "holidays", "then": {"extend_window_days": 14}}]}

    put = shop.client.put("/api/v1/returns/policy", json=body, headers=shop.auth)
    got = shop.get("/api/v1/returns/policy")

    assert put.status_code == 200
    assert got.json() == put.json()
    assert (got.json()["window_days"], got.json()["resolutions"],
            got.json()["store_credit_bonus_percent"]) == (60, ["store_credit", "exchange"], 10)
    assert got.json()["rules"] == [{"name": "holidays", "when": {
        "reasons": [], "categories": [], "skus": [], "countries": [],
        "min_discount_percent": None, "min_order_value_minor": None,
        "max_order_value_minor": None, "min_customer_returns": None},
        "then": {"remove_resolutions": [], "fee_minor": 0, "waive_fee": False,
                 "extend_window_days": 14, "review": False, "require_photo": False}}]


def test_a_bad_policy_is_refused_and_the_stored_one_stays(shop):
    shop.put_policy(window_days=45)

    answer = shop.client.put("/api/v1/returns/policy", json={"window_days": -1},
                             headers=shop.auth)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "window_days"
    assert shop.get("/api/v1/returns/policy").json()["window_days"] == 45


def test_each_store_has_its_own_policy(shop, make_store):
    other = make_store("other")
    shop.put_policy(window_days=90)

    theirs = shop.client.get("/api/v1/returns/policy", headers=other.auth).json()

    assert theirs["window_days"] == 30
