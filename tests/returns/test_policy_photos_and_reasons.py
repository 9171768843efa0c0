"""The policy's photo rules and reasons per category, pure: a rule may ask a photo of
the lines it matches (the default rule does for damaged, defective and wrong items),
and a product category may have its own list of reasons."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from afterward.returns.policy import (
    DEFAULT,
    History,
    LineFacts,
    Policy,
    Rule,
    Then,
    When,
    decide,
    reasons_for,
)
from tests.returns.test_policy import DELIVERED, NOW, asking

MUG = LineFacts(sku="MUG-1", category="home", returnable=1, claimed=0, paid_minor=1200,
                list_price_minor=1200)


def test_the_default_rule_asks_a_photo_of_a_damaged_line_and_waives_its_fee():
    policy = DEFAULT.model_copy(update={"fees_minor": {"refund": 300}})

    decision = decide(policy, DELIVERED, [asking(reason="too_small"),
                                          asking(line=MUG, reason="damaged")], History(), NOW)
    only_damaged = decide(policy, DELIVERED, [asking(line=MUG, reason="damaged")],
                          History(), NOW)

    assert decision.photo_lines == (1,)
    assert decision.fee("refund") == 300
    assert (only_damaged.photo_lines, only_damaged.fee("refund")) == ((0,), 0)


def test_no_photo_is_asked_when_no_rule_requires_one():
    decision = decide(Policy(rules=[]), DELIVERED, [asking(reason="damaged")], History(), NOW)

    assert decision.photo_lines == ()


def test_a_rule_can_ask_a_photo_for_a_category():
    policy = Policy(rules=[Rule(name="home goods", when=When(categories=["home"]),
                                then=Then(require_photo=True))])

    decision = decide(policy, DELIVERED, [asking(), asking(line=MUG)], History(), NOW)

    assert decision.photo_lines == (1,)


def test_a_category_has_its_own_reasons_and_others_keep_the_store_list():
    policy = Policy(reasons=["changed_mind", "other"],
                    reasons_by_category={"apparel": ["too_small", "too_large"]})

    assert reasons_for(policy, "apparel") == ["too_small", "too_large"]
    assert reasons_for(policy, "home") == ["changed_mind", "other"]
    assert reasons_for(policy, None) == ["changed_mind", "other"]
    assert decide(policy, DELIVERED, [asking(reason="too_small")], History(), NOW).refusal \
        is None
    assert decide(policy, DELIVERED, [asking(line=MUG, reason="changed_mind")], History(),
                  NOW).refusal is None


def test_a_reason_of_another_category_is_unknown_for_the_line():
    policy = Policy(reasons=["changed_mind", "too_small"],
                    reasons_by_category={"apparel": ["too_large"]})

    refused = decide(policy, DELIVERED, [asking(line=MUG, reason="too_large")], History(),
                     NOW).refusal
    refused_shirt = decide(policy, DELIVERED, [asking(reason="too_small")], History(),
                           NOW).refusal

    assert refused is not None and refused_shirt is not None
    assert (refused.code, refused.index) == ("unknown_reason", 0)
    assert (refused_shirt.code, refused_shirt.message) == (
        "unknown_reason", "'too_small' is not a return reason of this store")


def test_gift_returns_are_on_by_default_and_can_be_switched_off():
    assert DEFAULT.gift_returns is True
    assert Policy.model_validate({"gift_returns": False}).gift_returns is False


def test_reasons_by_category_refuses_a_malformed_list():
    with pytest.raises(ValidationError):
        Policy.model_validate({"reasons_by_category": {"apparel": "too_small"}})
    with pytest.raises(ValidationError):
        Policy.model_validate({"rules": [{"name": "x", "then": {"require_photo": "yes"}}]})


