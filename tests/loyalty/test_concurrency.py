"""The balance under concurrent spends: the UPDATE's condition refuses what the
balance cannot cover, and the CHECK behind it refuses a negative balance however a
writer tries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from afterward.loyalty import ledger
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyAccount


def test_concurrent_spends_take_exactly_what_the_balance_allows(club, db, store):
    _, customer_id = club.order()
    assert club.adjust(customer_id, 70, "start").status_code == 201

    def spend(n: int) -> str:
        try:
            db.run(lambda session: ledger.adjust(session, store_id=store.id,
                                                 customer_id=customer_id, points=-10,
                                                 reason="spent", key=f"spend-{n}"))
            return "spent"
        except LoyaltyError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(spend, range(20)))

    assert (outcomes.count("spent"), outcomes.count("insufficient_points")) == (7, 13)
    assert club.points(customer_id) == (0, 0, 0)


def test_the_check_refuses_a_negative_balance_written_directly(club, db):
    _, customer_id = club.order()
    club.adjust(customer_id, 5, "start")

    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(update(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
                        .values(points_balance=LoyaltyAccount.points_balance - 6))

    assert club.points(customer_id) == (5, 0, 0)


def test_the_ledger_replays_exactly_to_the_account(club, db):
    from datetime import timedelta

    from sqlalchemy import func, select

    from afterward.loyalty.models import LoyaltyEntry
    from afterward.storage.types import utcnow

    order_id, customer_id = club.order()
    club.deliver(order_id, utcnow() - timedelta(days=40))
    club.consume()
    club.tick(utcnow())
    club.adjust(customer_id, -280, "spent")
    club.cancel(order_id)
    club.consume()
    club.adjust(customer_id, 500, "back")

    with db.reading() as session:
        sums = session.execute(select(func.sum(LoyaltyEntry.balance_delta),
                                      func.sum(LoyaltyEntry.pending_delta),
                                      func.sum(LoyaltyEntry.debt_delta))).one()
    assert tuple(sums) == club.points(customer_id) == (220, 0, 0)
