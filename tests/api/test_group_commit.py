"""Orders that arrive together share a commit; a refused one never takes the others down."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from afterward.api.group_commit import GroupCommitter
from afterward.commerce import service
from afterward.commerce.models import Order
from afterward.commerce.schemas import OrderIn
from afterward.commerce.service import CommerceError
from tests.factories import order_body


def orders_in(db) -> list[str]:
    with db.reading() as session:
        return sorted(session.scalars(select(Order.number)))


def creating(store_id: int, number: str):
    data = OrderIn.model_validate(order_body(number))
    return lambda session: service.write_order(session, store_id=store_id, data=data)[0]


async def submit(committer: GroupCommitter, works):
    return await asyncio.gather(*(committer.run(w) for w in works), return_exceptions=True)


def test_orders_that_arrive_together_are_all_written(db, store):
    committer = GroupCommitter(db)

    results = asyncio.run(submit(committer, [creating(store.id, f"G{i}") for i in range(5)]))

    assert all(isinstance(r, int) for r in results)
    assert orders_in(db) == ["G0", "G1", "G2", "G3", "G4"]


def test_a_refused_order_fails_alone_and_the_rest_are_written(db, store):
    committer = GroupCommitter(db)
    works = [creating(store.id, "A1"), creating(store.id, "DUP"), creating(store.id, "DUP"),
             creating(store.id, "A2")]

    results = asyncio.run(submit(committer, works))

    refused = [r for r in results if isinstance(r, CommerceError)]
    assert [r.code for r in refused] == ["duplicate_order_number"]
    assert orders_in(db) == ["A1", "A2", "DUP"]
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 3


def test_an_unexpected_error_reaches_only_its_own_request(db, store):
    committer = GroupCommitter(db)

    def broken(session):
        raise RuntimeError("bug")

    results = asyncio.run(submit(committer, [creating(store.id, "B1"), broken]))

    assert isinstance(results[0], int)
    assert isinstance(results[1], RuntimeError)
    assert orders_in(db) == ["B1"]


@pytest.mark.parametrize("count", [1, 40])
def test_batches_of_any_size_are_written(db, store, count):
    committer = GroupCommitter(db)

    asyncio.run(submit(committer, [creating(store.id, f"S{i:02d}") for i in range(count)]))

    assert len(orders_in(db)) == count
