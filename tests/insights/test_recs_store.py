"""Recommendations fitted for a store and written as a run: what goes with each SKU
(co-purchase, at least two orders together), each customer's TIFU-KNN list and the
store's popular list; a new run replaces the old one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from afterward.insights import recs_store
from afterward.insights.recs_models import (
    RecommendationItem,
    RecommendationPair,
    RecommendationRun,
)
from tests.insights import recs_scene

pytest.importorskip("scipy")
NOW = datetime(2026, 4, 1, 3, tzinfo=UTC)


@pytest.fixture
def shop(db, store):
    return recs_scene.build(db, store.id)


def recompute(db, store_id, now=NOW):
    with db.transaction() as session:
        return recs_store.recompute_recommendations(session, store_id=store_id, now=now)


def test_the_fit_on_a_tiny_shop_gives_exactly_the_products_bought_together(db, shop):
    outcome = recompute(db, shop.store_id)

    with db.reading() as session:
        pairs = session.execute(select(
            RecommendationPair.sku, RecommendationPair.other_sku, RecommendationPair.together,
            RecommendationPair.confidence, RecommendationPair.lift)
            .order_by(RecommendationPair.sku, RecommendationPair.position)).all()
    # 7 orders; tea in 5, cups, pots, beans and filters in 2 each; the whisk and the
    # mug were with others once only (below the minimum of 2 orders together)
    assert [tuple(p) for p in pairs] == [
        ("BEANS", "FILTER", 2, 1.0, 3.5), ("CUP", "TEA", 2, 1.0, 1.4),
        ("FILTER", "BEANS", 2, 1.0, 3.5), ("POT", "TEA", 2, 1.0, 1.4),
        ("TEA", "CUP", 2, 0.4, 1.4), ("TEA", "POT", 2, 0.4, 1.4)]
    assert outcome.as_dict() == {"run": outcome.run, "orders": 7, "customers": 4,
                                 "skus": 7, "pairs": 6, "lists": 4}


def test_the_pairs_rank_as_complementary_does_over_the_same_baskets(db, shop):
    from afterward.insights import recommend

    baskets = [frozenset(skus) for _, skus in recs_scene.ORDERS]
    found = recs_store.pairs_of({str(n): [b] for n, b in enumerate(baskets)}, min_together=1)

    for sku in recs_scene.TITLES:
        assert [p[0] for p in found.get(sku, [])] == recommend.complementary(
            baskets, [sku], limit=20), sku


def test_each_customer_gets_a_list_and_the_store_a_popular_one(db, shop):
    recompute(db, shop.store_id)

    with db.reading() as session:
        rows = session.execute(select(RecommendationItem.customer_id, RecommendationItem.sku)
                               .order_by(RecommendationItem.customer_id,
                                         RecommendationItem.position)).all()
    lists: dict[int | None, list[str]] = {}
    for customer_id, sku in rows:
        lists.setdefault(customer_id, []).append(sku)
    # popular: tea (5 orders), then 2 orders each by SKU, then the two bought once
    assert lists[None] == ["TEA", "BEANS", "CUP", "FILTER", "POT", "MUG", "WHISK"]
    ann = lists[shop.customers["ann"]]
    assert ann[:2] == ["TEA", "CUP"]  # her own first, tea bought twice
    assert sorted(ann) == sorted(recs_scene.TITLES)  # the neighbours' items after
    assert lists[shop.customers["dee"]][:2] == ["TEA", "POT"]  # neighbours buy tea too


def test_a_new_run_replaces_the_old_one(db, shop):
    first = recompute(db, shop.store_id)
    second = recompute(db, shop.store_id)

    with db.reading() as session:
        runs = session.execute(select(RecommendationRun.id, RecommendationRun.finished_at)).all()
        pair_runs = set(session.scalars(select(RecommendationPair.run_id)))
        item_runs = set(session.scalars(select(RecommendationItem.run_id)))
    assert second.run > first.run
    assert [tuple(r) for r in runs] == [(second.run, NOW)]
    assert pair_runs == item_runs == {second.run}


def test_a_store_without_orders_gets_an_empty_run(db, store):
    outcome = recompute(db, store.id)

    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(RecommendationItem)) == 0
    assert (outcome.orders, outcome.pairs, outcome.lists) == (0, 0, 0)


def test_the_job_recomputes_the_store(db, shop):
    from afterward.jobs import JobContext

    with db.transaction() as session:
        job_id = recs_store.enqueue(session, shop.store_id)
        assert job_id is not None
        recs_store.run_job(session, JobContext(job_id=job_id, store_id=shop.store_id,
                                               attempt=1,
                                               payload={"store_id": shop.store_id}))

    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(RecommendationPair)) == 6
