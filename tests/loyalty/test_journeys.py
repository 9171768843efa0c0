"""Loyalty in the journeys: the `loyalty` root their conditions and messages see
(declared through Module.facts, so journeys never import loyalty), and the built-in
journeys welcome, points earned, tier up and points about to expire, whose messages
show the balance and what it buys in every language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from afterward import modules
from afterward.commerce.models import Store
from afterward.journeys import builtins, conditions, facts
from afterward.journeys.models import Enrolment
from afterward.loyalty import journey_facts, message_part
from afterward.loyalty.program import Program
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateSource
from afterward.storage.types import utcnow
from tests.journeys.helpers import consume as consume_journeys
from tests.journeys.helpers import emit, messages, step
from tests.test_modules import imports_of, package_files

KEYS = ("loyalty_welcome", "loyalty_points_earned", "loyalty_tier_up",
        "loyalty_points_expiring")
LOCALES = ("en", "de", "fr", "pt_BR")
TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000},
         {"key": "gold", "name": "Gold", "min_spend_minor": 10000}]
REWARDS = [{"key": "five-off", "name": "5 off", "points": 200, "discount_minor": 500},
           {"key": "ten-off", "name": "10 off", "points": 1000, "discount_minor": 1000}]


def test_journeys_import_nothing_of_loyalty():
    offenders = [f"{path.name}: {name}" for path in package_files("afterward.journeys")
                 for name in imports_of(path) if name.startswith("afterward.loyalty")]

    assert offenders == []


def test_the_loyalty_root_is_declared_by_the_loyalty_module():
    assert "afterward.loyalty.journey_facts" in list(modules.each("facts"))
    assert conditions.FIELDS["loyalty"] == journey_facts.FIELDS
    assert {"points_balance", "points_pending", "tier", "tier_name", "points_expiring",
            "points_expiring_at", "next_tier", "spend_to_next_tier_minor"} <= \
        journey_facts.FIELDS


def test_a_condition_may_name_a_loyalty_field_but_not_an_unknown_one():
    problems: list = []
    conditions.parse({"gte": ["loyalty.points_balance", 500]}, "filter", problems)
    assert problems == []
    conditions.parse({"gte": ["loyalty.points_balanse", 500]}, "filter", problems)
    assert len(problems) == 1


@pytest.fixture
def member(club) -> int:
    assert club.put_program(points_per_currency_unit=10, pending_days=30, expiry_days=365,
                            expiry_reminder_days=30, tiers=TIERS,
                            rewards=REWARDS).status_code == 200
    _, customer_id = club.order(placed=utcnow() - timedelta(days=3))
    club.consume()
    assert club.adjust(customer_id, 250, "gift").status_code == 201
    return customer_id


def loyalty_facts(db, store_id: int, customer_id: int, now=None) -> dict:
    with db.reading() as session:
        gathered = facts.gather(session, store_id=store_id, refs=facts.Refs(customer_id),
                                event=None, now=now or utcnow())
        return dict(gathered["loyalty"])


def test_conditions_see_the_members_points_tier_and_next_tier(club, db, member):
    found = loyalty_facts(db, club.store.id, member)

    assert {k: found[k] for k in ("member", "points_balance", "points_pending", "tier",
                                  "tier_name", "next_tier", "spend_to_next_tier_minor",
                                  "points_expiring", "points_expiring_at")} == {
        "member": True, "points_balance": 250, "points_pending": 300, "tier": "silver",
        "tier_name": "Silver", "next_tier": "gold", "spend_to_next_tier_minor": 7000,
        "points_expiring": 0, "points_expiring_at": None}


def test_conditions_see_points_about_to_expire(club, db, member):
    later = utcnow() + timedelta(days=350)

    found = loyalty_facts(db, club.store.id, member, now=later)

    assert found["points_expiring"] == 250
    assert found["points_expiring_at"] is not None
    assert later < found["points_expiring_at"] <= later + timedelta(days=30)


def test_a_customer_of_a_store_without_a_program_has_an_empty_root(client, db, store):
    order = client.post("/api/v1/orders", headers=store.auth, json={
        "number": "1", "placed_at": "2026-03-01T10:00:00Z", "currency": "EUR",
        "email": "a@example.com", "customer": {"email": "a@example.com"},
        "lines": [{"sku": "A", "title": "A", "quantity": 1, "unit_price_minor": 100}]})

    assert loyalty_facts(db, store.id, order.json()["customer_id"]) == {}


def test_the_message_part_says_what_the_balance_buys_now_and_next(club, db, member):
    with db.reading() as session:
        part = message_part.load(session, store_id=club.store.id, id=member,
                                 public_url="https://shop.example", secret_key="k")

    assert part is not None
    assert (part["points_balance"], part["best_reward"]["key"], part["next_reward"]["key"],
            part["next_reward"]["points_needed"], part["currency"]) == (
        250, "five-off", "ten-off", 750, "USD")
    assert part["referral_url"] is None  # referrals are off


def test_what_the_balance_buys_when_it_buys_nothing_yet():
    bought = message_part.buys(Program.model_validate({"rewards": REWARDS}), 150)

    assert (bought["best_reward"], bought["next_reward"]["points_needed"]) == (None, 50)


def a_store() -> Store:
    return Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
                 currency="EUR", timezone="Europe/Berlin", locale="en",
                 support_email="help@acme.example")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", KEYS)
def test_every_loyalty_message_renders_in_every_language(key, locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example",
                             data={"points": 120})

    email = templates.validate("email", TemplateSource(*template_registry.source(
        key, "email", locale)), context)

    assert email.subject and "640" in email.text and "5 off" in email.text


def test_the_tier_up_message_says_what_reaching_the_tier_brings_in_german():
    context = sample_context(a_store(), locale="de", data={})

    rendered = templates.render("email", TemplateSource(*template_registry.source(
        "loyalty_tier_up", "email", "de")), context)

    assert "Dafür erhalten Sie 150 Bonuspunkte." in rendered.text


def test_the_points_earned_message_shows_the_balance_and_what_it_buys():
    context = sample_context(a_store(), data={"points": 120})

    rendered = templates.render("email", TemplateSource(*template_registry.source(
        "loyalty_points_earned", "email", "en")), context)

    assert rendered.subject == "You earned 120 points"
    assert "Your balance: 640 points" in rendered.text
    assert "120 more points become yours once your orders can no longer be returned." \
        in rendered.text
    assert "Your points buy you: 5 off." in rendered.text
    assert "Spend €180.00 more to reach Gold." in rendered.text
    assert "Double points weekend: orders placed until " in rendered.text
    assert " earn 200% of the points." in rendered.text


def journey_keys_of(db, store_id: int) -> list[str]:
    from afterward.journeys import service
    with db.reading() as session:
        rows = list(session.scalars(select(Enrolment).where(Enrolment.store_id == store_id)
                                    .order_by(Enrolment.id)))
        keys = service.journey_keys(session, store_id=store_id,
                                    journey_ids={r.journey_id for r in rows})
        return [keys[r.journey_id] for r in rows]


def test_first_points_welcome_a_member_and_later_points_tell_the_new_balance(club, db):
    with db.transaction() as session:
        builtins.install(session, store_id=club.store.id)
    assert club.put_program(points_per_currency_unit=10, rewards=REWARDS).status_code == 200
    _, customer_id = club.order(placed=utcnow())
    club.consume()
    consume_journeys(db, club.store.id)

    welcome = [k for k in journey_keys_of(db, club.store.id) if k.startswith("loyalty_")]
    assert welcome == ["loyalty_welcome"]
    with db.reading() as session:
        enrolment_id = session.scalar(select(Enrolment.id).order_by(Enrolment.id.desc()))
    step(db, enrolment_id)
    assert [m.template_key for m in messages(db, club.store.id)][-1] == "loyalty_welcome"

    club.adjust(customer_id, 50, "later")
    consume_journeys(db, club.store.id)

    assert [k for k in journey_keys_of(db, club.store.id) if k.startswith("loyalty_")] == [
        "loyalty_welcome", "loyalty_points_earned"]


def test_only_a_tier_going_up_starts_the_tier_up_journey(club, db, member):
    with db.transaction() as session:
        builtins.install(session, store_id=club.store.id)
    before = len(journey_keys_of(db, club.store.id))

    emit(db, club.store.id, "loyalty.tier_changed", "customer", member, customer_id=member,
         to="silver", direction="down", spend_minor=100)
    emit(db, club.store.id, "loyalty.tier_changed", "customer", member, customer_id=member,
         to="gold", direction="up", spend_minor=10000)
    consume_journeys(db, club.store.id)

    assert journey_keys_of(db, club.store.id)[before:] == ["loyalty_tier_up"]
