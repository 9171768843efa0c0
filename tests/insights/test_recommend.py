"""The recommenders on three shoppers' groceries, ranked by hand: popular, the
customer's own top items (ties to the more recent), TIFU-KNN's decayed vectors and
neighbours, ALS seeded; what is out of stock or just bought never comes back (unless
it is bought again), and "goes with" is copurchase.rank over baskets."""

from __future__ import annotations

import numpy as np
import pytest

from afterward.insights import recommend
from afterward.insights.recommend import Rules, TifuParams

HISTORIES = {
    "ann": [frozenset({"milk", "bread"}), frozenset({"milk", "eggs"}),
            frozenset({"milk", "bread", "jam"})],
    "bob": [frozenset({"eggs", "tea"}), frozenset({"tea"})],
    "cy": [frozenset({"milk", "tea"})],
}


def ranked(model: recommend.Model, customer: str, **rules: object) -> list[str]:
    return [item for item, _ in recommend.recommend(
        model, customer, k=10, rules=Rules(**{"exclude": "none", **rules}))]  # type: ignore[arg-type]


def test_popular_ranks_items_by_baskets_ties_to_the_lower_id():
    model = recommend.fit("popular", HISTORIES)

    assert ranked(model, "ann") == ["milk", "tea", "bread", "eggs", "jam"]


def test_personal_top_counts_the_customers_baskets_breaks_ties_by_recency_then_fills_with_popular():
    model = recommend.fit("personal_top", HISTORIES)

    # ann: milk 3, bread 2, then jam and eggs once each (jam later), then tea
    assert ranked(model, "ann") == ["milk", "bread", "jam", "eggs", "tea"]
    assert ranked(model, "bob") == ["tea", "eggs", "milk", "bread", "jam"]


def test_a_customer_the_model_has_not_seen_gets_the_popular_items():
    model = recommend.fit("personal_top", HISTORIES)

    assert ranked(model, "dora") == ["milk", "tea", "bread", "eggs", "jam"]


def test_tifu_weights_decay_within_the_history_and_across_its_groups():
    # five baskets in two groups (3 + 2), r_b = 0.5, r_g = 0.1
    weights = recommend.tifu_weights(
        np.zeros(5, dtype=np.int64), np.arange(5), np.asarray([5]),
        TifuParams(within_decay=0.5, group_decay=0.1, groups=2))

    expected = [0.5**4 * 0.1 / 6, 0.5**3 * 0.1 / 6, 0.5**2 * 0.1 / 6, 0.5 / 4, 1 / 4]
    assert weights.tolist() == pytest.approx(expected, rel=1e-12)


def test_tifu_knn_blends_the_customers_decayed_vector_with_the_nearest_customer():
    # ann's vector: milk 1.75/3, bread 1.25/3, eggs 0.5/3, jam 1/3; her nearest
    # customer is bob (eggs 0.25, tea 0.75); scores = 0.7 ann + 0.3 bob
    model = recommend.fit("tifu_knn", HISTORIES, within_decay=0.5, group_decay=1.0,
                          groups=1, neighbours=1, alpha=0.7)

    result = recommend.recommend(model, "ann", k=10, rules=Rules(exclude="none"))

    assert [item for item, _ in result] == ["milk", "bread", "jam", "tea", "eggs"]
    assert [score for _, score in result] == pytest.approx(
        [0.7 * 1.75 / 3, 0.7 * 1.25 / 3, 0.7 / 3, 0.3 * 0.75, 0.7 * 0.5 / 3 + 0.3 * 0.25],
        rel=1e-12)


def test_tifu_knn_with_alpha_one_is_the_customers_own_decayed_frequency_then_popular():
    model = recommend.fit("tifu_knn", HISTORIES, within_decay=0.5, group_decay=1.0,
                          groups=1, neighbours=1, alpha=1.0)

    assert ranked(model, "ann") == ["milk", "bread", "jam", "eggs", "tea"]


def test_als_is_seeded_and_ranks_the_customers_own_cluster_first():
    clusters = {f"g{i}": [frozenset({"milk", "bread"}), frozenset({"milk", "jam"})]
                for i in range(4)}
    clusters |= {f"t{i}": [frozenset({"tea", "honey"}), frozenset({"tea", "lemon"})]
                 for i in range(4)}
    clusters["g9"] = [frozenset({"milk"})]

    first = recommend.fit("als", clusters, factors=2, iterations=8, regularization=0.01)
    again = recommend.fit("als", clusters, factors=2, iterations=8, regularization=0.01)
    result = ranked(first, "g9")

    assert np.array_equal(first.scores(np.arange(9)), again.scores(np.arange(9)))
    assert set(result[:3]) == {"milk", "bread", "jam"}
    assert set(result[3:]) == {"tea", "honey", "lemon"}


def test_out_of_stock_items_are_never_recommended():
    model = recommend.fit("personal_top", HISTORIES)

    assert ranked(model, "ann", available=lambda item: item not in {"bread", "tea"}) == [
        "milk", "jam", "eggs"]


def test_the_latest_order_is_left_out_unless_its_items_are_bought_again():
    model = recommend.fit("personal_top", HISTORIES)

    assert ranked(model, "ann", exclude="just_bought") == ["eggs", "tea"]
    assert ranked(model, "ann", exclude="just_bought",
                  replenishable=lambda item: item == "milk") == ["milk", "eggs", "tea"]


def test_you_may_also_like_leaves_out_everything_the_customer_bought():
    model = recommend.fit("personal_top", HISTORIES)

    assert ranked(model, "ann", exclude="bought") == ["tea"]


def test_an_unknown_exclusion_rule_is_refused():
    with pytest.raises(ValueError, match="exclude must be one of"):
        Rules(exclude="everything")


def test_repeat_rates_are_the_share_of_buyers_who_bought_again():
    rates = recommend.repeat_rates(HISTORIES, min_buyers=1)
    bought_again = recommend.replenishable_from(rates, threshold=0.5)

    assert rates == {"milk": 0.5, "bread": 1.0, "eggs": 0.0, "jam": 0.0, "tea": 0.5}
    assert [bought_again(i) for i in ("milk", "eggs", "caviar")] == [True, False, False]
    assert recommend.repeat_rates(HISTORIES, min_buyers=2) == {
        "milk": 0.5, "eggs": 0.0, "tea": 0.5}


def test_top_k_breaks_ties_by_popularity_then_index_and_drops_excluded_items():
    scores = np.asarray([[1.0, 3.0, 3.0, -np.inf, 0.0, 0.0]])
    popularity = np.asarray([0.0, 1.0, 2.0, 9.0, 1.0, 5.0])

    assert [r.tolist() for r in recommend.top_k(scores, 3)] == [[1, 2, 0]]
    assert [r.tolist() for r in recommend.top_k(scores, 6)] == [[1, 2, 0, 4, 5]]
    assert [r.tolist() for r in recommend.top_k(scores, 6, popularity)] == [
        [2, 1, 0, 5, 4]]


def test_complementary_items_are_those_most_often_bought_with_the_order():
    baskets = [frozenset({"a", "b"}), frozenset({"a", "c"}), frozenset({"c", "d"}),
               frozenset({"c", "e"}), frozenset({"a", "b"})]

    assert recommend.complementary(baskets, {"a"}) == ["b", "c"]
    assert recommend.complementary(baskets, {"a"}, available=lambda i: i != "b") == ["c"]
    assert recommend.complementary(baskets, {"d", "e"}) == ["c"]
    assert recommend.complementary(baskets, {"zzz"}) == []


def test_complementary_ties_go_to_the_more_popular_item():
    baskets = [frozenset({"a", "b"}), frozenset({"a", "c"}), frozenset({"c", "d"}),
               frozenset({"c", "e"})]

    assert recommend.complementary(baskets, {"a"}, limit=1) == ["c"]
