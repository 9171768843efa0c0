"""What an order should have earned, from what the customer still keeps: pure
arithmetic, no database, no clock (loyalty/orders.py gathers the facts).

An order earns on what was paid for goods: its subtotal after discounts, before tax
and shipping. Each line's share of that is kept in proportion to the units not gone
(gone = the larger of the units refunded and the units in accepted returns), and an
amount refunded without lines is taken from the goods first. Whole currency units x
points_per_currency_unit, rounded down, then x the tier multiplier, rounded down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple


class Line(NamedTuple):  # tuples: a batch of history makes thousands (loyalty/bulk.py)
    total_minor: int
    quantity: int
    gone: int  # units refunded or returned: max(refunded, returned)


class OrderValue(NamedTuple):
    subtotal_minor: int
    discount_minor: int
    refunded_minor: int
    cancelled: bool
    lines: Sequence[Line]


def kept_minor(order: OrderValue) -> int:
    """What the customer still pays for the goods they keep, in minor units."""
    if order.cancelled:
        return 0
    goods = max(0, order.subtotal_minor - order.discount_minor)
    if all(line.gone == 0 and line.quantity for line in order.lines):
        by_lines = goods  # every unit kept: each line's whole share (the exact sum below)
    elif (lines_total := sum(max(0, line.total_minor) for line in order.lines)) and goods:
        share = sum((Fraction(max(0, line.total_minor) * (line.quantity - min(line.gone,
                     line.quantity)), line.quantity) for line in order.lines if line.quantity),
                    Fraction(0))
        by_lines = int(share * goods / lines_total)
    else:
        by_lines = goods
    return max(0, min(by_lines, goods - order.refunded_minor))


def kept_whole_minor(subtotal_minor: int, discount_minor: int, refunded_minor: int,
                     cancelled: bool) -> int:
    """`kept_minor` of an order whose every unit is kept (no line with units gone):
    what bulk earning computes for most of an import without building its lines."""
    if cancelled:
        return 0
    goods = max(0, subtotal_minor - discount_minor)
    return max(0, min(goods, goods - refunded_minor))


def points_for(kept: int, *, exponent: int, per_unit: int, multiplier_percent: int) -> int:
    """Whole currency units x per_unit, rounded down; x the multiplier, rounded down."""
    units = kept // (10 ** exponent)
    return units * per_unit * multiplier_percent // 100


@dataclass(frozen=True)
class Split:
    """How points taken back come off an account: pending first, then the balance,
    and what neither covers becomes debt."""

    pending: int
    balance: int
    debt: int


def take_back(points: int, *, order_pending: int, account_pending: int,
              balance: int) -> Split:
    from_pending = min(points, order_pending, account_pending)
    from_balance = min(points - from_pending, balance)
    return Split(from_pending, from_balance, points - from_pending - from_balance)


def tier_for(spend_minor: int, thresholds: Sequence[tuple[str, int]]) -> str | None:
    """The highest tier whose threshold the spend reaches (thresholds lowest first)."""
    reached = [key for key, minimum in thresholds if spend_minor >= minimum]
    return reached[-1] if reached else None
