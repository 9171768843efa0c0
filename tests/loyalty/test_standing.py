"""Where a customer stands, pure: the next tier and the spend still needed, and the
rewards that fit them first (affordable now, then the closest; those for what they
buy before others of their group)."""

from __future__ import annotations

from afterward.loyalty.program import Program
from afterward.loyalty.standing import fitting, next_tier

PROGRAM = Program.model_validate({
    "tiers": [{"key": "gold", "name": "Gold", "min_spend_minor": 50000},
              {"key": "silver", "name": "Silver", "min_spend_minor": 20000}],
    "rewards": [
        {"key": "big", "name": "20 off", "points": 2000, "discount_minor": 2000},
        {"key": "small", "name": "5 off", "points": 500, "discount_minor": 500},
        {"key": "mid", "name": "10 off", "points": 1000, "discount_minor": 1000},
        {"key": "pct", "name": "10%", "points": 900, "percent_off": 10},
        {"key": "mug", "name": "Free mug", "points": 100, "product_sku": "MUG-1"},
        {"key": "ship", "name": "Free shipping", "points": 50, "free_shipping": True},
    ]})


def keys(balance: int, **bought: object) -> list[str]:
    return [f.reward.key for f in fitting(PROGRAM, balance, **bought)]  # type: ignore[arg-type]


def test_the_next_tier_is_the_lowest_not_reached_with_the_spend_still_needed():
    below = next_tier(PROGRAM, 5000)
    between = next_tier(PROGRAM, 35000)

    assert below is not None and between is not None
    assert (below.tier.key, below.needed_minor, below.progress) == ("silver", 15000, 0.25)
    assert (between.tier.key, between.needed_minor, between.progress) == ("gold", 15000, 0.5)
    assert next_tier(PROGRAM, 50000) is None
    assert next_tier(Program(), 0) is None


def test_affordable_rewards_come_first_most_valuable_first_then_the_closest():
    assert keys(1000) == ["mid", "pct", "small", "mug", "ship", "big"]


def test_with_nothing_affordable_the_closest_comes_first():
    assert keys(0) == ["ship", "mug", "small", "pct", "mid", "big"]


def test_a_reward_for_what_the_customer_buys_comes_before_the_others_of_its_group():
    program = PROGRAM.model_copy(update={"rewards": [
        *PROGRAM.rewards, PROGRAM.rewards[1].model_copy(update={
            "key": "cup-deal", "product_sku": None, "points": 600})]})
    fits = fitting(program, 0, skus={"MUG-1"})

    assert [f.reward.key for f in fits] == ["mug", "ship", "small", "cup-deal", "pct",
                                            "mid", "big"]
    assert [f.fits_purchases for f in fits if f.reward.key == "mug"] == [True]


def test_a_category_bought_makes_a_product_reward_fit():
    by_sku = fitting(PROGRAM, 0, skus={"TEA-1"}, categories={"kitchen"},
                     sku_categories={"MUG-1": "kitchen"})
    other = fitting(PROGRAM, 0, skus={"TEA-1"}, categories={"tea"},
                    sku_categories={"MUG-1": "kitchen"})

    assert [f.fits_purchases for f in by_sku if f.reward.key == "mug"] == [True]
    assert [f.fits_purchases for f in other if f.reward.key == "mug"] == [False]
    assert [(f.affordable, f.short_by, f.redeemable) for f in by_sku
            if f.reward.key == "small"] == [(False, 500, True)]
