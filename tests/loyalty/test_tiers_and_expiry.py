"""Tiers on 12-month spend (up at once, down after the grace) and points expiring
first-in-first-out, with a reminder before."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from afterward.events import Event
from afterward.loyalty import consumer, ledger
from afterward.loyalty.models import LoyaltyEntry
from afterward.storage.types import utcnow
from tests.webhook_listeners import listening

TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000},
         {"key": "gold", "name": "Gold", "min_spend_minor": 5000, "multiplier_percent": 200}]


def events(db, name):
    with db.reading() as session:
        return [e.payload for e in session.scalars(
            select(Event).where(Event.name == name).order_by(Event.id))]


def test_spend_promotes_at_once_and_a_higher_tier_multiplies_later_orders(club, db):
    assert club.put_program(points_per_currency_unit=10, tiers=TIERS).status_code == 200
    _, customer_id = club.order("1001")
    club.consume()
    assert club.loyalty(customer_id)["tier"] == "silver"

    club.order("1002")
    club.consume()
    club.order("1003")  # placed in gold: 2 x
    club.consume()

    found = club.loyalty(customer_id)
    assert (found["tier"], found["tier_name"], found["spend_12m_minor"]) == (
        "gold", "Gold", 9000)
    assert found["points_pending"] == 300 + 300 + 600
    assert [(p["from"], p["to"]) for p in events(db, "loyalty.tier_changed")] == [
        (None, "silver"), ("silver", "gold")]


def test_reaching_a_tier_gives_its_entry_points_once_ever_spendable_at_once(club, db):
    tiers = [{**TIERS[0], "entry_points": 100}, {**TIERS[1], "entry_points": 400}]
    assert club.put_program(points_per_currency_unit=10, tiers=tiers,
                            tier_grace_days=0).status_code == 200
    _, customer_id = club.order("1001")
    club.consume()
    second, _ = club.order("1002")
    club.consume()
    club.cancel(second)  # back to 30.00: silver at once (no grace)
    club.consume()
    assert club.loyalty(customer_id)["tier"] == "silver"

    club.order("1003")  # gold again: nothing more
    club.consume()

    found = club.loyalty(customer_id)
    assert [(p["from"], p["to"]) for p in events(db, "loyalty.tier_changed")] == [
        (None, "silver"), ("silver", "gold"), ("gold", "silver"), ("silver", "gold")]
    assert [(e["source"], e["points"], e["reason"]) for e in reversed(found["entries"])
            if e["source"] == "tier"] == [("tier", 100, "Silver"), ("tier", 400, "Gold")]
    assert (found["tier"], found["points_balance"]) == ("gold", 500)
    assert [p["points"] for p in events(db, "loyalty.points_earned")
            if p["source"] == "tier"] == [100, 400]


def test_consumers_running_at_once_give_each_tier_s_entry_points_once(club, db, store):
    tiers = [{**TIERS[0], "entry_points": 100}, {**TIERS[1], "entry_points": 400}]
    assert club.put_program(points_per_currency_unit=10, tiers=tiers).status_code == 200
    customers = [club.order(f"10{n}", email=f"c{n}@example.com")[1] for n in range(6)]
    club.order("2000", email="c0@example.com")  # c0 reaches gold too

    def work(_: int) -> int:
        handled = 0
        for _ in range(50):
            events, caught_up = db.run(lambda session: consumer.consume(
                session, store_id=store.id, limit=3))
            handled += events
            if caught_up:
                break
        return handled

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    club.consume()

    with db.reading() as session:
        rewarded = sorted(session.execute(
            select(LoyaltyEntry.idempotency_key, LoyaltyEntry.points)
            .where(LoyaltyEntry.source == "tier")).tuples())
    assert rewarded == sorted([(f"tier:silver:{c}", 100) for c in customers]
                              + [(f"tier:gold:{customers[0]}", 400)])


def test_a_tier_is_kept_through_the_grace_before_a_demotion(club, db):
    assert club.put_program(points_per_currency_unit=10, tiers=TIERS,
                            tier_grace_days=30).status_code == 200
    first, customer_id = club.order("1001")
    club.order("1002")
    club.consume()
    assert club.loyalty(customer_id)["tier"] == "gold"

    club.cancel(first)  # 30.00 left: silver's spend
    club.consume()
    assert club.loyalty(customer_id)["tier"] == "gold"
    club.tick(utcnow() + timedelta(days=29))
    assert club.loyalty(customer_id)["tier"] == "gold"
    assert club.tick(utcnow() + timedelta(days=31))["tier_changes"] == 1

    assert club.loyalty(customer_id)["tier"] == "silver"
    assert [(p["from"], p["to"]) for p in events(db, "loyalty.tier_changed")][-1] == (
        "gold", "silver")


def test_points_expire_first_in_first_out(club, db, store):
    assert club.put_program(points_per_currency_unit=10, expiry_days=365).status_code == 200
    _, customer_id = club.order()
    start = utcnow()

    def adjust(points, key, days):
        db.run(lambda session: ledger.adjust(session, store_id=store.id,
                                             customer_id=customer_id, points=points,
                                             reason="test", key=key,
                                             now=start + timedelta(days=days)))

    adjust(100, "a", 0)
    adjust(50, "b", 200)
    adjust(-120, "c", 250)  # all of the first 100, 20 of the next 50

    assert club.tick(start + timedelta(days=366))["expired"] == 0
    assert club.points(customer_id) == (30, 0, 0)
    assert club.tick(start + timedelta(days=566))["expired"] == 30
    assert club.tick(start + timedelta(days=567))["expired"] == 0
    assert club.points(customer_id) == (0, 0, 0)
    assert club.loyalty(customer_id)["entries"][0]["kind"] == "expire"


def test_a_reminder_goes_out_once_before_points_expire(club, db, store):
    assert club.put_program(expiry_days=365, expiry_reminder_days=14).status_code == 200
    _, customer_id = club.order()
    start = utcnow()
    db.run(lambda session: ledger.adjust(session, store_id=store.id, customer_id=customer_id,
                                         points=80, reason="test", key="a", now=start))

    club.tick(start + timedelta(days=350))
    assert events(db, "loyalty.points_expiring") == []
    club.tick(start + timedelta(days=352))
    club.tick(start + timedelta(days=353))

    assert events(db, "loyalty.points_expiring") == [{
        "customer_id": customer_id, "points": 80,
        "expires_at": (start + timedelta(days=365)).isoformat()}]


def test_the_expiry_pass_holds_only_the_accounts_it_changes(club, db, store):
    from afterward.loyalty import expiry, programs

    assert club.put_program(expiry_days=365, expiry_reminder_days=14).status_code == 200
    start = utcnow()
    members = {}
    for number, name in enumerate(("due", "reminded", "spent", "recent", "soon"), 1001):
        _, members[name] = club.order(str(number), email=f"{name}@example.com")

    def adjust(name, points, key, days):
        db.run(lambda session: ledger.adjust(session, store_id=store.id,
                                             customer_id=members[name], points=points,
                                             reason="test", key=key,
                                             now=start + timedelta(days=days)))

    adjust("due", 40, "due", 0)  # 366 days old at the pass: expires
    adjust("reminded", 25, "reminded", 10)  # expires within 14 days: its reminder
    club.tick(start + timedelta(days=362))  # sends due's and reminded's reminders
    adjust("spent", 30, "spent-in", 0)
    adjust("spent", 5, "spent-more", 300)
    adjust("spent", -30, "spent-out", 301)  # the old points all went: nothing due
    adjust("recent", 60, "recent", 200)  # far from expiring
    adjust("soon", 15, "soon", 5)  # expires within 14 days, no reminder yet
    now = start + timedelta(days=366)

    with db.reading() as session:
        program = programs.load(session, store_id=store.id)
        acting = expiry.acting(session, store_id=store.id, program=program, now=now)
    assert acting == [members["due"], members["soon"]]
    assert club.tick(now)["expired"] == 40
    assert [p["customer_id"] for p in events(db, "loyalty.points_expiring")] == [
        members["due"], members["reminded"], members["soon"]]


def test_a_birthday_bonus_is_given_once_a_year(club, db, store):
    from sqlalchemy import update

    from afterward.commerce.models import Customer

    assert club.put_program(bonuses={"birthday": 250}).status_code == 200
    _, customer_id = club.order()
    club.consume()
    today = utcnow()
    with db.transaction() as session:
        session.execute(update(Customer).where(Customer.id == customer_id)
                        .values(birthday=today.date().replace(year=1990)))

    assert club.tick(today)["birthdays"] == 1
    assert club.tick(today + timedelta(minutes=15))["birthdays"] == 0
    assert club.points(customer_id) == (250, 30, 0)


def test_a_tier_change_is_pushed_to_the_store_platform_with_its_benefits_and_tags(club, db):
    from afterward.commerce.models import Customer
    from afterward.jobs import Job

    tiers = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000,
              "free_shipping": True},
             {"key": "gold", "name": "Gold", "min_spend_minor": 5000, "free_shipping": True,
              "early_access": True, "multiplier_percent": 150}]
    listening(db, club.store.id, events=["loyalty.tier_changed"])
    assert club.put_program(points_per_currency_unit=10, tiers=tiers).status_code == 200
    _, customer_id = club.order("1001")
    club.consume()
    club.consume()  # the promotion to silver pushed (a customer without a Shopify id)
    with db.transaction() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.external_id = "207119551"
    club.order("1002")
    club.consume()
    club.consume()  # reads the tier change the last pass recorded

    with db.reading() as session:
        pushed = [j.payload for j in session.scalars(select(Job).where(
            Job.kind == "webhooks.publish").order_by(Job.id))
            if j.payload["event_type"] == "loyalty.tier_changed"]
    assert [p["data"]["to"] for p in pushed] == ["silver", "gold"]
    first, second = (p["data"] for p in pushed)
    assert (first["tags_add"], first["tags_remove"], "shopify" in first) == (
        ["afterward-tier-silver", "afterward-free-shipping"], [], False)
    assert second == {
        "customer_id": customer_id, "customer_external_id": "207119551",
        "email": "ada@example.com", "from": "silver", "to": "gold", "direction": "up",
        "benefits": {"free_shipping": True, "early_access": True, "multiplier_percent": 150},
        "tags_add": ["afterward-tier-gold", "afterward-early-access"],
        "tags_remove": ["afterward-tier-silver"],
        "shopify": {
            "tagsAdd": {"id": "gid://shopify/Customer/207119551",
                        "tags": ["afterward-tier-gold", "afterward-early-access"]},
            "tagsRemove": {"id": "gid://shopify/Customer/207119551",
                           "tags": ["afterward-tier-silver"]}}}
    assert len({p["event_id"] for p in pushed}) == 2
