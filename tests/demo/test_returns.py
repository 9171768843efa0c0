"""The demo store's returns: about 8% of delivered orders, with the reasons of their
category, each put through the returns service (policy, events, money) as it happened."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from afterward.commerce.models import Order
from afterward.demo import history
from afterward.demo import returns as demo_returns
from afterward.demo.catalog import VARIANT_SETS
from afterward.events import Event
from afterward.returns.models import CreditEntry, Return
from afterward.tracking.statuses import Status
from tests.demo.conftest import BIG_BUILD, NOW

# The tests reading the one demo build run in one test process, which builds it once.
pytestmark = BIG_BUILD


def _trade() -> history.History:
    return history.generate(customers=900, orders=970, seed=20240917, now=NOW)


def test_about_eight_in_a_hundred_delivered_orders_come_back_in_part():
    trade = _trade()
    delivered = {s["order"] for s in trade.shipments if s["scans"][-1].status is Status.delivered}
    returned = {row["order"] for row in trade.returns}

    assert returned <= delivered
    assert 0.065 <= len(returned) / len(delivered) <= 0.095


def test_each_return_gives_a_reason_of_its_category_after_the_parcel_arrived():
    trade = _trade()
    category = {f"{spec.code}-{suffix}": spec.category for spec in trade.products
                for _, suffix, _ in VARIANT_SETS[spec.variants]}
    delivered = {s["order"]: s["scans"][-1].at for s in trade.shipments
                 if s["scans"][-1].status is Status.delivered}

    for row in trade.returns:
        assert delivered[row["order"]] < row["at"] <= NOW
        assert row["at"] - delivered[row["order"]] <= timedelta(days=25)
        for line in row["lines"]:
            allowed = {name for name, _ in demo_returns.REASONS[category[line["sku"]]]}
            assert line["reason"] in allowed
            assert line["quantity"] == 1
    reasons = Counter(line["reason"] for row in trade.returns for line in row["lines"])
    assert len(reasons) >= 6


def test_an_exchange_is_for_another_variant_of_the_same_product():
    trade = _trade()
    exchanges = [row for row in trade.returns if row["resolution"] == "exchange"]

    assert exchanges
    for row in exchanges:
        (line,) = row["lines"]
        stem = next(spec.code for spec in trade.products if line["sku"].startswith(f"{spec.code}-"))
        assert row["exchange_for_sku"] != line["sku"]
        assert row["exchange_for_sku"].startswith(f"{stem}-")


def test_the_next_size_keeps_the_colour_and_there_is_none_past_the_largest():
    trade = _trade()
    tee = next(spec for spec in trade.products if spec.variants == "tee")

    assert demo_returns._other_size(trade, f"{tee.code}-S-CHR", larger=True) == f"{tee.code}-M-CHR"
    assert demo_returns._other_size(trade, f"{tee.code}-L-OAT", larger=True) is None
    assert demo_returns._other_size(trade, f"{tee.code}-M-OAT", larger=False) == f"{tee.code}-S-OAT"


def test_every_return_in_the_built_store_went_through_the_returns_service(built):
    db, summary = built
    with db.reading() as session:
        returns = session.scalars(select(Return)).all()
        names = Counter(session.scalars(select(Event.name).where(Event.name.like("return.%"))))
        assert returns
        assert names["return.requested"] == len(returns)
        assert names["return.resolved"] == sum(1 for r in returns if r.status == "resolved")
        assert all(r.store_id == summary.store_id for r in returns)


def test_a_refund_a_return_asked_for_comes_back_once_as_the_platforms_refund(built):
    db, _ = built
    with db.reading() as session:
        refunded = session.scalars(select(Return).where(Return.status == "resolved",
                                                        Return.refund_minor > 0)).all()
        assert refunded
        for rma in refunded:
            events = session.scalars(select(Event).where(
                Event.name == "order.refunded", Event.subject_id == rma.order_id,
                Event.payload["refund_key"].as_string() == f"return-{rma.number}")).all()
            assert [e.payload["amount_minor"] for e in events] == [rma.refund_minor]


def test_store_credit_and_exchange_orders_match_the_resolved_returns(built):
    db, _ = built
    with db.reading() as session:
        credited = session.scalar(select(func.coalesce(func.sum(Return.credit_minor), 0)).where(
            Return.status == "resolved", Return.resolution == "store_credit"))
        ledger = session.scalar(select(func.coalesce(func.sum(CreditEntry.amount_minor), 0)))
        exchanged = session.scalars(select(Return.exchange_order_id).where(
            Return.status == "resolved", Return.resolution == "exchange")).all()
        exchange_orders = session.scalars(select(Order.id).where(
            Order.source == "exchange")).all()
    assert ledger == credited
    assert sorted(exchanged) == sorted(exchange_orders)
