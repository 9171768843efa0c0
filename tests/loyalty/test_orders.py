"""Points from orders: pending until the order can no longer be returned, then
spendable once; refunds, returns and cancellations take back exactly what they
should, once, however often the events are told."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from afterward.events import Event
from afterward.loyalty.models import LoyaltyEntry
from afterward.storage.types import utcnow
from tests.loyalty.conftest import iso


def kinds(club, customer_id):
    return [(e["kind"], e["points"]) for e in reversed(club.loyalty(customer_id)["entries"])]


def test_an_order_earns_pending_points_on_its_goods_before_shipping(club):
    order_id, customer_id = club.order()

    assert club.consume() >= 1
    assert club.points(customer_id) == (0, 300, 0)  # 30.00 EUR x 10, shipping not
    found = club.loyalty(customer_id)
    assert found["lifetime_points"] == 300
    assert found["entries"][0]["kind"] == "earn"
    assert found["entries"][0]["source_id"] == order_id


def test_the_points_become_spendable_pending_days_after_delivery_once(club):
    order_id, customer_id = club.order()
    delivered = utcnow() - timedelta(days=2)
    club.deliver(order_id, delivered)
    club.consume()

    assert club.tick(delivered + timedelta(days=29))["released"] == 0
    assert club.points(customer_id) == (0, 300, 0)
    assert club.tick(delivered + timedelta(days=30, seconds=1))["released"] == 1
    assert club.tick(delivered + timedelta(days=31))["released"] == 0
    assert club.points(customer_id) == (300, 0, 0)
    assert kinds(club, customer_id) == [("earn", 300), ("release", 300)]


def test_an_order_never_delivered_waits_the_grace_as_well(club):
    placed = utcnow() - timedelta(days=3)
    _, customer_id = club.order(placed=placed)
    club.consume()

    club.tick(placed + timedelta(days=30 + 13))
    assert club.points(customer_id) == (0, 300, 0)
    club.tick(placed + timedelta(days=30 + 14, seconds=1))
    assert club.points(customer_id) == (300, 0, 0)


def test_a_partial_refund_takes_back_the_refunded_lines_points_once(club):
    order_id, customer_id = club.order()
    club.consume()

    club.refund(order_id, 1200, [("MUG-1", 1)])
    club.consume()
    club.consume()  # nothing new

    assert club.points(customer_id) == (0, 180, 0)
    assert kinds(club, customer_id) == [("earn", 300), ("clawback", -120)]


def test_replayed_events_change_nothing(club, db, store):
    order_id, customer_id = club.order()
    club.consume()
    club.refund(order_id, 1200, [("MUG-1", 1)])
    club.consume()
    with db.transaction() as session:  # the cursor back to the start: every event again
        session.execute(text("UPDATE event_consumers SET last_event_id = 0, last_txid = 0 "
                             "WHERE name = :n"), {"n": f"loyalty:{store.id}"})
    club.consume()

    assert club.points(customer_id) == (0, 180, 0)
    assert kinds(club, customer_id) == [("earn", 300), ("clawback", -120)]


def test_a_refund_after_release_comes_off_the_balance(club):
    order_id, customer_id = club.order()
    delivered = utcnow() - timedelta(days=40)
    club.deliver(order_id, delivered)
    club.consume()
    club.tick(utcnow())
    assert club.points(customer_id) == (300, 0, 0)

    club.refund(order_id, 900, [("CUP-1", 3)])
    club.consume()

    assert club.points(customer_id) == (210, 0, 0)


def test_points_taken_back_beyond_the_balance_become_debt_paid_from_the_next_points(club):
    order_id, customer_id = club.order()
    club.deliver(order_id, utcnow() - timedelta(days=40))
    club.consume()
    club.tick(utcnow())
    assert club.adjust(customer_id, -250, "spent").status_code == 201
    assert club.points(customer_id) == (50, 0, 0)

    club.cancel(order_id)  # the whole order: 300 back, 50 there
    club.consume()
    assert club.points(customer_id) == (0, 0, 250)
    assert club.loyalty(customer_id)["lifetime_points"] == 0

    assert club.adjust(customer_id, 400, "welcome-back").status_code == 201
    assert club.points(customer_id) == (150, 0, 0)


def test_an_accepted_return_takes_back_its_units(club, db, store):
    order_id, customer_id = club.order()
    club.consume()
    with db.transaction() as session:  # what returns writes, told by its event
        session.execute(text(
            "INSERT INTO returns (store_id, number, order_id, customer_id, status, resolution,"
            " currency, value_minor, refund_minor, credit_minor, fee_minor, bonus_minor,"
            " review_reasons, window_basis, label_token, created_at, updated_at) VALUES "
            "(:s, 'R1', :o, :c, 'resolved', 'refund', 'EUR', 900, 900, 0, 0, 0, '[]',"
            " 'delivery', :t, :now, :now)"),
            {"s": store.id, "o": order_id, "c": customer_id, "t": "x" * 43,
             "now": utcnow()})
        return_id = session.scalar(text("SELECT id FROM returns"))
        line_id = session.scalar(text("SELECT id FROM order_lines WHERE sku = 'TEA-1'"))
        session.execute(text(
            "INSERT INTO return_lines (store_id, return_id, order_line_id, sku, title, "
            "quantity, unit_paid_minor, reason, received_quantity, accepted) VALUES "
            "(:s, :r, :l, 'TEA-1', 'Green tea', 2, 450, 'damaged', 1, :yes)"),
            {"s": store.id, "r": return_id, "l": line_id, "yes": True})
        from afterward.events import record
        record(session, store_id=store.id, name="return.resolved",
               subject_type="return", subject_id=return_id, payload={"order_id": order_id})
    club.consume()

    assert club.points(customer_id) == (0, 250, 0)  # 25.50 EUR kept: 25 x 10


def test_a_first_order_bonus_comes_and_goes_with_the_order(club):
    assert club.put_program(points_per_currency_unit=10, bonuses={"first_order": 50}
                            ).status_code == 200
    first, customer_id = club.order("1001", placed=utcnow() - timedelta(days=5))
    club.order("1002", placed=utcnow() - timedelta(days=1))
    club.consume()
    assert club.points(customer_id) == (0, 650, 0)

    club.cancel(first)
    club.consume()
    assert club.points(customer_id) == (0, 300, 0)


def campaign(start, days: int, percent: int) -> dict[str, object]:
    return {"key": f"x{percent}", "name": f"{percent}% points", "starts_at": iso(start),
            "ends_at": iso(start + timedelta(days=days)), "multiplier_percent": percent}


def test_an_order_placed_during_a_campaign_earns_its_multiplier_and_one_at_its_end_does_not(
        club):
    start = utcnow() - timedelta(days=10)
    assert club.put_program(points_per_currency_unit=10, campaigns=[campaign(start, 7, 200)]
                            ).status_code == 200
    _, during = club.order("1001", placed=start, email="ada@example.com")
    _, at_end = club.order("1002", placed=start + timedelta(days=7), email="bo@example.com")
    club.consume()

    assert (club.points(during), club.points(at_end)) == ((0, 600, 0), (0, 300, 0))


def test_a_campaign_multiplies_the_tier_s_multiplier_rounded_down_to_whole_percent(club):
    start = utcnow() - timedelta(days=4)
    assert club.put_program(
        points_per_currency_unit=10, campaigns=[campaign(start, 2, 150)],
        tiers=[{"key": "silver", "name": "Silver", "min_spend_minor": 1,
                "multiplier_percent": 125}]).status_code == 200
    # the first order makes the customer silver; the second is placed in the campaign
    club.order("1001", placed=start - timedelta(days=1))
    _, customer_id = club.order("1002", placed=start + timedelta(hours=1))
    club.consume()

    # 300 without a tier, then 30 x 10 x 187% (125% x 150% = 187.5%, rounded down)
    assert club.points(customer_id) == (0, 300 + 561, 0)


def test_a_refund_takes_back_at_the_rate_the_order_earned_after_the_campaign_is_gone(club):
    start = utcnow() - timedelta(days=5)
    assert club.put_program(points_per_currency_unit=10, campaigns=[campaign(start, 3, 200)]
                            ).status_code == 200
    order_id, customer_id = club.order(placed=start + timedelta(days=1))
    club.consume()
    assert club.put_program(points_per_currency_unit=10).status_code == 200

    club.refund(order_id, 1200, [("MUG-1", 1)])
    club.consume()

    assert club.points(customer_id) == (0, 360, 0)
    assert kinds(club, customer_id) == [("earn", 600), ("clawback", -240)]


def test_orders_before_the_program_earn_nothing(client, db, store):
    from tests.loyalty.conftest import Club

    early = Club(client, db, store)
    _, customer_id = early.order()
    assert early.put_program(points_per_currency_unit=10).status_code == 200
    early.consume()

    assert early.points(customer_id) == (0, 0, 0)


def test_every_earned_point_is_an_event(club, db):
    _, customer_id = club.order()
    club.consume()

    with db.reading() as session:
        payloads = [e.payload for e in session.scalars(
            select(Event).where(Event.name == "loyalty.points_earned"))]
        entries = session.scalar(select(func.count()).select_from(LoyaltyEntry))
    assert [(p["customer_id"], p["points"], p["source"]) for p in payloads] == [
        (customer_id, 300, "order")]
    assert entries == 1
