"""The arithmetic of earning: goods kept, whole currency units, multipliers, the
split of points taken back, the tier a spend reaches."""

from __future__ import annotations

import base64
import re
import secrets

import pytest

from afterward.loyalty import ledger
from afterward.loyalty.earning import (
    Line,
    OrderValue,
    Split,
    kept_minor,
    kept_whole_minor,
    points_for,
    take_back,
    tier_for,
)


def order(lines, *, subtotal=3000, discount=0, refunded=0, cancelled=False):
    return OrderValue(subtotal_minor=subtotal, discount_minor=discount,
                      refunded_minor=refunded, cancelled=cancelled,
                      lines=[Line(*line) for line in lines])


LINES = [(900, 2, 0), (1200, 1, 0), (900, 3, 0)]


def test_an_order_keeps_its_goods_after_discount():
    assert kept_minor(order(LINES, discount=500)) == 2500


def test_units_gone_take_their_share_of_the_discounted_goods():
    # a mug of 12.00 of 30.00 gone, 10% off everything: 27.00 x 18/30
    assert kept_minor(order([(900, 2, 0), (1200, 1, 1), (900, 3, 0)], discount=300)) == 1620


def test_a_refund_without_lines_comes_off_the_goods():
    assert kept_minor(order(LINES, refunded=700)) == 2300


def test_a_cancelled_order_keeps_nothing():
    assert kept_minor(order(LINES, cancelled=True)) == 0


def test_whole_units_are_counted_then_multiplied_and_rounded_down():
    assert points_for(2999, exponent=2, per_unit=10, multiplier_percent=100) == 290
    assert points_for(2999, exponent=2, per_unit=3, multiplier_percent=150) == 130
    assert points_for(2999, exponent=0, per_unit=1, multiplier_percent=100) == 2999


def test_points_taken_back_come_from_pending_then_balance_then_debt():
    assert take_back(100, order_pending=30, account_pending=50, balance=40) == Split(30, 40, 30)
    assert take_back(20, order_pending=30, account_pending=50, balance=40) == Split(20, 0, 0)


def test_the_tier_is_the_highest_threshold_reached():
    thresholds = [("bronze", 0), ("silver", 2000), ("gold", 5000)]
    assert [tier_for(spend, thresholds) for spend in (0, 1999, 2000, 10**6)] == [
        "bronze", "bronze", "silver", "gold"]
    assert tier_for(10, [("silver", 2000)]) is None


@pytest.mark.parametrize(("subtotal", "discount", "refunded", "cancelled"), [
    (3000, 0, 0, False), (3000, 500, 0, False), (3000, 500, 700, False),
    (3000, 0, 3500, False), (300, 900, 0, False), (3000, 0, 0, True), (0, 0, 0, False)])
def test_the_whole_goods_shortcut_keeps_what_the_lines_would(subtotal, discount, refunded,
                                                             cancelled):
    whole = order(LINES, subtotal=subtotal, discount=discount, refunded=refunded,
                  cancelled=cancelled)

    assert kept_whole_minor(subtotal, discount, refunded, cancelled) == kept_minor(whole)
    assert kept_minor(whole._replace(lines=[])) == kept_minor(whole)


def test_referral_codes_made_together_are_made_as_one_is(monkeypatch):
    drawn = bytes(range(48))
    monkeypatch.setattr(secrets, "token_bytes", lambda n: drawn[:n])
    one = base64.urlsafe_b64encode(drawn[:16]).rstrip(b"=").decode("ascii")

    codes = ledger.new_referral_codes(3)

    assert codes[0] == one == ledger.new_referral_code()
    assert [len(code) for code in codes] == [22, 22, 22]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", code) for code in codes)
    assert len(set(codes)) == 3
    assert ledger.new_referral_codes(0) == []
