"""The sign-up bonus: a customer who opens an account on the store
(`customer.account_opened`, from Shopify's customers webhooks) earns the program's
`bonuses.signup` once, spendable at once, and is welcomed to the program; a program
without one, or an account opened before the program, earns nothing."""

from __future__ import annotations

import copy

from sqlalchemy import select

from afterward.events import Event
from afterward.journeys import builtins, service
from afterward.journeys.models import Enrolment
from afterward.loyalty.models import LoyaltyEntry
from tests.api.shopify_helpers import deliver, resource
from tests.journeys.helpers import consume as consume_journeys


def signed_up(client, *, state_before: str | None = None, customer_id: int = 207119551):
    """Bob's account opened through Shopify's webhooks (after an invitation when
    `state_before` is given)."""
    bob = copy.deepcopy(resource("customer"))
    bob["id"] = customer_id
    if state_before:
        assert deliver(client, "customers/create", {**bob, "state": state_before}
                       ).status_code == 200
    topic = "customers/update" if state_before else "customers/create"
    assert deliver(client, topic, {**bob, "state": "enabled"}).status_code == 200


def signup_entries(db):
    with db.reading() as session:
        return [(e.kind, e.points, e.balance_delta, e.source, e.idempotency_key)
                for e in session.scalars(select(LoyaltyEntry).where(
                    LoyaltyEntry.source == "signup").order_by(LoyaltyEntry.id))]


def bob_id(db):
    from afterward.commerce.models import Customer

    with db.reading() as session:
        found = session.scalar(select(Customer.id).where(Customer.external_id == "207119551"))
        assert found is not None
        return found


def test_opening_an_account_earns_the_signup_bonus_spendable_at_once(club, db):
    assert club.put_program(points_per_currency_unit=10,
                            bonuses={"signup": 200}).status_code == 200
    signed_up(club.client)

    club.consume()

    bob = bob_id(db)
    assert signup_entries(db) == [("earn", 200, 200, "signup", f"signup:{bob}")]
    assert club.points(bob) == (200, 0, 0)
    with db.reading() as session:
        earned = session.scalars(select(Event.payload).where(
            Event.name == "loyalty.points_earned")).all()
    assert [(p["points"], p["source"], p["lifetime_points"]) for p in earned] == [
        (200, "signup", 200)]


def test_the_bonus_is_given_once_however_often_the_account_opens(club, db):
    assert club.put_program(bonuses={"signup": 200}).status_code == 200
    signed_up(club.client, state_before="invited")
    club.consume()
    bob = copy.deepcopy(resource("customer"))
    for state, at in (("disabled", "2016-01-04T10:00:00Z"), ("enabled", "2016-02-01T10:00:00Z")):
        deliver(club.client, "customers/update", {**bob, "state": state, "updated_at": at})
    club.consume()

    with db.reading() as session:
        told = session.scalars(select(Event.id).where(
            Event.name == "customer.account_opened")).all()
    assert len(told) == 2  # opened after the invitation, and again after closing
    assert [e[1] for e in signup_entries(db)] == [200]
    assert club.points(bob_id(db)) == (200, 0, 0)


def test_without_a_signup_bonus_opening_an_account_earns_nothing(club, db):
    signed_up(club.client)

    club.consume()

    assert signup_entries(db) == []


def test_an_account_opened_before_the_program_earns_nothing(client, db, store):
    from tests.loyalty.conftest import Club

    signed_up(client)  # no program yet: loyalty's cursor starts with the first program
    club = Club(client, db, store)
    assert club.put_program(bonuses={"signup": 200}).status_code == 200

    club.consume()

    assert signup_entries(db) == []


def test_the_welcome_journey_greets_a_member_who_signed_up(club, db):
    with db.transaction() as session:
        builtins.install(session, store_id=club.store.id)
    assert club.put_program(bonuses={"signup": 150}).status_code == 200
    signed_up(club.client)
    club.consume()

    consume_journeys(db, club.store.id)

    with db.reading() as session:
        rows = session.execute(select(Enrolment.journey_id, Enrolment.customer_id)
                               .where(Enrolment.store_id == club.store.id)).all()
        keys = service.journey_keys(session, store_id=club.store.id,
                                    journey_ids={journey for journey, _ in rows})
    assert [(keys[journey], customer) for journey, customer in rows] == [
        ("loyalty_welcome", bob_id(db))]
