"""Goes with what you bought: the co-purchase ranking (pure) and its query."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.commerce import service as commerce
from afterward.commerce import stores
from afterward.commerce.schemas import CustomerIn, OrderIn, OrderLineIn, ProductIn, VariantIn
from afterward.insights import copurchase
from tests.web.tracking_scenes import at


def baskets(*orders: tuple[int, ...]) -> list[tuple[int, int]]:
    return [(order_id, product) for order_id, items in enumerate(orders, 1) for product in items]


def test_products_bought_together_most_often_come_first():
    pairs = baskets((1, 2), (1, 2), (1, 3), (1, 2, 3), (4, 5), (1, 4))

    assert copurchase.rank(pairs, {1}) == [2, 3, 4]


def test_what_was_bought_and_what_is_excluded_never_appear():
    pairs = baskets((1, 2), (1, 2), (1, 3), (2, 3, 4))

    assert copurchase.rank(pairs, {1, 2}) == [3, 4]
    assert copurchase.rank(pairs, {1}, exclude={2}) == [3]


def test_an_order_counts_once_however_many_lines_it_has():
    pairs = [(1, 1), (1, 2), (1, 2), (1, 2), (2, 1), (2, 3), (3, 1), (3, 3)]

    assert copurchase.rank(pairs, {1}) == [3, 2]


def test_ties_go_to_the_more_popular_product_then_the_lower_id():
    pairs = baskets((1, 7), (1, 5), (5, 9), (1, 6), (6, 8))
    # 5, 6 and 7 each share one order with 1; 5 and 6 are in two orders overall.

    assert copurchase.rank(pairs, {1}) == [5, 6, 7]


def test_the_top_is_cut_at_the_limit():
    pairs = baskets(*[(1, p) for p in range(2, 12)])

    assert copurchase.rank(pairs, {1}) == [2, 3, 4, 5]
    assert copurchase.rank(pairs, {1}, limit=2) == [2, 3]
    assert copurchase.rank(pairs, {1}, limit=0) == []


def test_nothing_in_common_gives_nothing():
    assert copurchase.rank(baskets((2, 3), (4, 5)), {1}) == []
    assert copurchase.rank([], {1}) == []


@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 12)), max_size=120),
       st.sets(st.integers(1, 12), min_size=1, max_size=3))
def test_the_ranking_does_not_depend_on_row_order(pairs, bought):
    ranked = copurchase.rank(pairs, bought)

    assert ranked == copurchase.rank(list(reversed(pairs)), bought)
    assert not set(ranked) & bought
    assert len(ranked) == len(set(ranked)) <= copurchase.TOP


# -- the query -----------------------------------------------------------------------

SKUS = ("A", "B", "C", "D", "E")


@pytest.fixture
def shops(db):
    """Two stores with the same catalogue; in the other store everyone buys A with E."""
    ids: dict[str, dict[str, int]] = {}
    with db.transaction() as session:
        for slug in ("one", "two"):
            store = stores.create_store(session, slug=slug, name=slug)
            ids[slug] = {"store": store.id}
            for sku in SKUS:
                product, _ = commerce.upsert_product(session, store_id=store.id, data=ProductIn(
                    title=f"Product {sku}",
                    variants=[VariantIn(sku=f"{sku}-1", price_minor=100, currency="EUR"),
                              VariantIn(sku=f"{sku}-2", price_minor=200, currency="EUR")]))
                ids[slug][sku] = product.id
        history = {"one": [("A-1", "B-1"), ("A-2", "B-2"), ("A-1", "C-1"), ("B-1", "D-1")],
                   "two": [("A-1", "E-1")] * 6}
        for slug, orders in history.items():
            for n, skus in enumerate(orders):
                commerce.save_order(session, store_id=ids[slug]["store"], data=OrderIn(
                    number=f"{slug}-{n}", placed_at=at(1, 9), currency="EUR",
                    customer=CustomerIn(email=f"c{n}@example.com"),
                    lines=[OrderLineIn(sku=s, title=s, quantity=1, unit_price_minor=100)
                           for s in skus]))
    return ids


def test_recommend_counts_this_stores_orders_through_every_variant(db, shops):
    one = shops["one"]
    with db.reading() as session:
        found = copurchase.recommend(session, store_id=one["store"], product_ids={one["A"]})

    assert found == [one["B"], one["C"]]


def test_recommend_leaves_out_the_excluded_and_handles_nothing_bought(db, shops):
    one = shops["one"]
    with db.reading() as session:
        assert copurchase.recommend(session, store_id=one["store"], product_ids={one["A"]},
                                    exclude={one["B"]}) == [one["C"]]
        assert copurchase.recommend(session, store_id=one["store"], product_ids=set()) == []


def test_bought_before_lists_a_customers_products_in_this_store_only(db, shops):
    one = shops["one"]
    with db.reading() as session:
        customer = commerce.find_customer(session, store_id=one["store"],
                                          email="c0@example.com")
        assert customer is not None
        found = copurchase.bought_before(session, store_id=one["store"],
                                         customer_id=customer.id)

    assert found == {one["A"], one["B"]}
