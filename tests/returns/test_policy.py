"""The policy engine, pure: the same facts give the same decision, to the minor unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from afterward.returns.policy import (
    DEFAULT,
    Fraud,
    History,
    LineFacts,
    OrderFacts,
    Policy,
    Requested,
    Rule,
    Then,
    When,
    decide,
    discount_percent,
    fraud_signals,
)

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
DELIVERED = OrderFacts(placed_at=NOW - timedelta(days=20), shipped_at=NOW - timedelta(days=18),
                       delivered_at=NOW - timedelta(days=15), value_minor=5000, country="DE")
SHIRT = LineFacts(sku="SHIRT-M", category="apparel", returnable=2, claimed=0, paid_minor=2000,
                  list_price_minor=2500)


def asking(quantity: int = 1, reason: str = "too_small", line: LineFacts = SHIRT) -> Requested:
    return Requested(line, quantity, reason)


def test_the_defaults_offer_refund_credit_and_exchange_for_thirty_days():
    decision = decide(DEFAULT, DELIVERED, [asking(2)], History(), NOW)

    assert decision.refusal is None
    assert decision.offered == ("refund", "store_credit", "exchange")
    assert (decision.value_minor, decision.bonus_minor) == (4000, 400)
    assert decision.deadline == DELIVERED.delivered_at + timedelta(days=30)
    assert decision.window_basis == "delivered"
    assert decision.amounts("refund") == (4000, 0)
    assert decision.amounts("store_credit") == (0, 4400)
    assert decision.review == ()


def test_the_window_closes_after_its_last_day():
    late = NOW + timedelta(days=15, seconds=1)

    assert decide(DEFAULT, DELIVERED, [asking()], History(), NOW + timedelta(days=15)).refusal \
        is None
    refused = decide(DEFAULT, DELIVERED, [asking()], History(), late).refusal
    assert refused is not None
    assert (refused.code, refused.message, refused.index) == (
        "return_window_closed", "the return window closed on 2026-07-15", 0)


def test_without_a_delivery_the_window_counts_from_shipping_plus_the_grace():
    unknown = OrderFacts(placed_at=DELIVERED.placed_at, shipped_at=DELIVERED.shipped_at,
                         delivered_at=None, value_minor=5000, country="DE")

    decision = decide(DEFAULT, unknown, [asking()], History(), NOW)

    assert decision.window_basis == "shipped"
    assert decision.deadline == DELIVERED.shipped_at + timedelta(days=37)


def test_without_shipping_either_it_counts_from_the_order_plus_the_grace():
    unshipped = OrderFacts(placed_at=DELIVERED.placed_at, shipped_at=None, delivered_at=None,
                           value_minor=5000, country="DE")
    policy = Policy(unknown_delivery_grace_days=3)

    decision = decide(policy, unshipped, [asking()], History(), NOW)

    assert (decision.window_basis, decision.deadline) == (
        "placed", DELIVERED.placed_at + timedelta(days=33))


def test_a_holiday_rule_extends_the_window():
    policy = Policy(window_days=10, rules=[Rule(name="holidays", when=When(),
                                                then=Then(extend_window_days=30))])

    decision = decide(policy, DELIVERED, [asking()], History(), NOW)

    assert decision.refusal is None
    assert decision.deadline == DELIVERED.delivered_at + timedelta(days=40)


def test_non_returnable_categories_skus_and_final_sales_are_refused():
    for policy in (Policy(non_returnable_categories=["apparel"]),
                   Policy(non_returnable_skus=["SHIRT-M"]), Policy(final_sale_skus=["SHIRT-M"]),
                   Policy(final_sale_discount_percent=20)):
        refused = decide(policy, DELIVERED, [asking()], History(), NOW).refusal
        assert refused is not None and refused.code == "item_not_returnable"


def test_a_discount_below_the_final_sale_depth_is_returnable():
    assert discount_percent(SHIRT) == 20
    policy = Policy(final_sale_discount_percent=21)

    assert decide(policy, DELIVERED, [asking()], History(), NOW).refusal is None


def test_quantities_are_bounded_by_what_is_left_and_a_second_return_is_named():
    claimed = LineFacts(sku="SHIRT-M", category="apparel", returnable=0, claimed=2,
                        paid_minor=2000, list_price_minor=2500)

    too_many = decide(DEFAULT, DELIVERED, [asking(3)], History(), NOW).refusal
    again = decide(DEFAULT, DELIVERED, [asking(1, line=claimed)], History(), NOW).refusal

    assert too_many is not None and (too_many.code, too_many.message) == (
        "quantity_exceeds_returnable", "at most 2 of SHIRT-M can be returned")
    assert again is not None and again.code == "already_returned"


def test_a_reason_the_store_does_not_list_is_refused():
    refused = decide(Policy(reasons=["damaged"]), DELIVERED, [asking()], History(), NOW).refusal

    assert refused is not None and refused.code == "unknown_reason"


def test_rules_match_on_reason_category_discount_value_country_and_history():
    when = When(reasons=["too_small"], categories=["apparel"], min_discount_percent=20,
                min_order_value_minor=5000, max_order_value_minor=5000, countries=["de"],
                min_customer_returns=2)
    policy = Policy(rules=[Rule(name="sizing", when=when, then=Then(
        remove_resolutions=["refund"], fee_minor=150, review=True))])

    matched = decide(policy, DELIVERED, [asking()], History(returns=2), NOW)
    unmatched = decide(policy, DELIVERED, [asking()], History(returns=1), NOW)

    assert matched.offered == ("store_credit", "exchange")
    assert matched.fees_minor == {"store_credit": 150, "exchange": 150}
    assert matched.review == ("rule: sizing",)
    assert unmatched.offered == ("refund", "store_credit", "exchange")
    assert unmatched.fees_minor == {"refund": 0, "store_credit": 0, "exchange": 0}


def test_the_resolution_fee_is_waived_only_when_every_line_is():
    policy = Policy(fees_minor={"refund": 500})
    damaged = asking(reason="damaged")
    cup = LineFacts(sku="CUP", category="home", returnable=1, claimed=0, paid_minor=800,
                    list_price_minor=800)

    only_damaged = decide(policy, DELIVERED, [damaged], History(), NOW)
    mixed = decide(policy, DELIVERED, [damaged, asking(line=cup, reason="changed_mind")],
                   History(), NOW)

    assert only_damaged.amounts("refund") == (2000, 0)
    assert mixed.amounts("refund") == (2300, 0)


def test_the_fee_never_makes_an_amount_negative():
    policy = Policy(fees_minor={"refund": 5000, "store_credit": 5000})

    decision = decide(policy, DELIVERED, [asking()], History(), NOW)

    assert decision.amounts("refund") == (0, 0)
    assert decision.amounts("store_credit") == (0, 0)


def test_keep_is_offered_only_for_items_worth_no_more_than_the_limit():
    policy = Policy(resolutions=["refund", "keep"], keep_max_value_minor=2000)

    assert decide(policy, DELIVERED, [asking()], History(), NOW).offered == ("refund", "keep")
    assert decide(Policy(resolutions=["refund", "keep"], keep_max_value_minor=1999), DELIVERED,
                  [asking()], History(), NOW).offered == ("refund",)


def test_fraud_signals_send_to_review_and_never_refuse():
    fraud = Fraud(max_returns_90d=3, max_return_rate_percent=50, min_orders_for_rate=4,
                  high_value_minor=3000, max_high_value_returns_90d=1)
    busy = History(orders=4, returns=2, returns_90d=3, high_value_returns_90d=1)

    decision = decide(Policy(fraud=fraud), DELIVERED, [asking(2)], busy, NOW)

    assert decision.refusal is None
    assert decision.review == ("fraud: return count", "fraud: return rate",
                               "fraud: serial high-value returns")


def test_a_return_rate_at_the_limit_is_not_a_signal():
    fraud = Fraud(max_return_rate_percent=50, min_orders_for_rate=4)

    assert fraud_signals(fraud, History(orders=4, returns=1), 100) == []
    assert fraud_signals(fraud, History(orders=4, returns=2), 100) == ["fraud: return rate"]
    assert fraud_signals(fraud, History(orders=3, returns=3), 100) == []


def test_without_auto_approval_every_request_is_reviewed():
    decision = decide(Policy(auto_approve=False), DELIVERED, [asking()], History(), NOW)

    assert decision.review == ("policy: every return is reviewed",)


def test_a_policy_document_refuses_unknown_fields_and_resolutions():
    with pytest.raises(ValidationError):
        Policy.model_validate({"window_days": 30, "windows": 2})
    with pytest.raises(ValidationError):
        Policy.model_validate({"resolutions": ["refund", "cash"]})


def test_twenty_rules_that_all_match_add_their_fees_for_each_line():
    # (how fast a decision is: `afterward bench returns`, policy_decision_20rules_us_per_line)
    policy = Policy(rules=[Rule(name=f"rule {n}", when=When(reasons=["damaged"],
                                                             categories=["apparel"]),
                                then=Then(fee_minor=n)) for n in range(20)])
    lines = [asking(1, reason="damaged", line=SHIRT) for _ in range(10)]

    decision = decide(policy, DELIVERED, lines, History(orders=5, returns=1), NOW)

    assert decision.refusal is None
    assert decision.fee("refund") == 10 * sum(range(20)) == 1900


def test_a_blocklisted_email_or_postal_code_sends_to_review():
    fraud = Fraud(blocked_emails=["Mallory@Example.com"], blocked_postal_codes=["SW1A 1AA"])
    by_email = OrderFacts(placed_at=NOW, shipped_at=None, delivered_at=NOW, value_minor=1,
                          country="GB", email="mallory@example.com", postal_code="E1 6AN")
    by_code = OrderFacts(placed_at=NOW, shipped_at=None, delivered_at=NOW, value_minor=1,
                         country="GB", email="ada@example.com", postal_code="sw1a1aa")

    for order in (by_email, by_code):
        decision = decide(Policy(fraud=fraud), order, [asking()], History(), NOW)
        assert (decision.refusal, decision.review) == (None, ("fraud: blocklisted address",))
    assert decide(Policy(fraud=fraud), DELIVERED, [asking()], History(), NOW).review == ()
