"""Replenishment dates: the customer's own median interval once they have two, one of
their own blended with the product's, the product's alone, counted from delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from afterward.insights import replenish
from afterward.insights.replenish import Due, Purchase

DAY0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def bought(*days: float, delivered_after: float | None = None) -> list[Purchase]:
    return [Purchase(DAY0 + timedelta(days=d),
                     DAY0 + timedelta(days=d + delivered_after)
                     if delivered_after is not None else None) for d in days]


def test_two_intervals_of_their_own_give_their_median():
    due = replenish.next_due(bought(0, 28, 58, 86), typical=45.0)

    assert due == Due(DAY0 + timedelta(days=86 + 28), 28.0, "own")


def test_one_interval_of_their_own_is_blended_with_the_products():
    assert replenish.next_due(bought(0, 20), typical=30.0) == Due(
        DAY0 + timedelta(days=45), 25.0, "blended")
    assert replenish.next_due(bought(0, 20), typical=None) == Due(
        DAY0 + timedelta(days=40), 20.0, "own")


def test_a_first_purchase_waits_the_products_typical_interval_from_its_delivery():
    due = replenish.next_due(bought(0, delivered_after=3), typical=30.0)

    assert due == Due(DAY0 + timedelta(days=33), 30.0, "product")


def test_nothing_to_go_by_gives_no_date():
    assert replenish.next_due(bought(0), typical=None) is None
    assert replenish.next_due([], typical=30.0) is None


def test_the_typical_interval_needs_three_and_ignores_same_day_repeats():
    assert replenish.typical_interval([bought(0, 30), bought(0, 0.5, 40)]) is None
    assert replenish.typical_interval([bought(0, 30), bought(0, 40), bought(5, 55)]) == 40.0


def test_intervals_count_from_delivery_where_known():
    assert replenish.intervals(bought(0, 30, delivered_after=2)) == [30.0]
    late_second = [Purchase(DAY0), Purchase(DAY0 + timedelta(days=30),
                                            DAY0 + timedelta(days=36))]
    assert replenish.intervals(late_second) == [36.0]
