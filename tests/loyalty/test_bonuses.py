"""The review bonus hook for the reviews module: the program's bonus once per review
and kind, spendable at once, whatever the rating; nothing without a program or with
a bonus of 0; another store's customer refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.events import Event
from afterward.loyalty import bonuses
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyEntry


def award(db, store_id: int, customer_id: int, kind: str, review_id: int):
    return db.run(lambda session: (lambda e: None if e is None else (e.kind, e.points,
                                                                     e.source, e.source_id,
                                                                     e.idempotency_key))(
        bonuses.award(session, store_id=store_id, customer_id=customer_id, kind=kind,
                      source_id=review_id)))


@pytest.fixture
def reviewer(club) -> int:
    assert club.put_program(bonuses={"review": 50, "review_photo": 100}).status_code == 200
    _, customer_id = club.order()
    return customer_id


def test_a_review_earns_the_review_bonus_spendable_at_once(club, db, reviewer):
    assert award(db, club.store.id, reviewer, "review", 7) == (
        "earn", 50, "review", 7, "review:7")
    assert club.points(reviewer) == (50, 0, 0)
    with db.reading() as session:
        earned = session.scalars(select(Event).where(
            Event.name == "loyalty.points_earned")).all()
        assert [(e.payload["points"], e.payload["source"]) for e in earned] == [(50, "review")]


def test_a_photo_earns_its_bonus_on_top_once_per_review(club, db, reviewer):
    award(db, club.store.id, reviewer, "review", 7)
    assert award(db, club.store.id, reviewer, "review_photo", 7) == (
        "earn", 100, "review", 7, "review_photo:7")

    assert award(db, club.store.id, reviewer, "review", 7) is None
    assert award(db, club.store.id, reviewer, "review_photo", 7) is None
    assert club.points(reviewer) == (150, 0, 0)


def test_each_review_earns_its_own_bonus(club, db, reviewer):
    award(db, club.store.id, reviewer, "review", 7)
    award(db, club.store.id, reviewer, "review", 8)

    assert club.points(reviewer) == (100, 0, 0)


def test_the_bonus_takes_no_rating_so_it_cannot_depend_on_one():
    import inspect

    assert "rating" not in inspect.signature(bonuses.award).parameters


def test_a_bonus_of_zero_or_no_program_gives_nothing(club, db, make_store):
    assert club.put_program(bonuses={"review": 0, "review_photo": 30}).status_code == 200
    _, customer_id = club.order()

    assert award(db, club.store.id, customer_id, "review", 1) is None
    other = make_store("no-program")
    with db.transaction() as session:
        from afterward.commerce.models import Customer
        session.add(Customer(store_id=other.id, email="x@example.com"))
    with db.reading() as session:
        from afterward.commerce.models import Customer
        stranger = session.scalar(select(Customer.id).where(Customer.store_id == other.id))
    assert award(db, other.id, stranger, "review", 1) is None
    with db.reading() as session:
        assert session.scalars(select(LoyaltyEntry)).all() == []


def test_an_unknown_kind_or_another_stores_customer_is_refused(club, db, reviewer,
                                                             make_store):
    other = make_store("other")

    with pytest.raises(LoyaltyError) as unknown:
        award(db, club.store.id, reviewer, "five_stars", 1)
    with pytest.raises(LoyaltyError) as elsewhere:
        award(db, other.id, reviewer, "review", 1)

    assert (unknown.value.code, elsewhere.value.code) == ("invalid", "not_found")
    assert club.points(reviewer) == (0, 0, 0)
