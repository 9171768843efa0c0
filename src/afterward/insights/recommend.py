"""Products for a customer ("you may also like", "time to buy again") and for an order
("goes with what you bought"), from baskets: each customer's orders, oldest first, each
a set of item ids. Pure numpy/scipy (ALS through `implicit`); no database.

Methods (one name each, as `afterward insights eval-recs` reports them):
- `popular`: the items in most baskets.
- `personal_top`: the customer's own most frequent items (in most of their baskets),
  ties to the one bought most recently, then popular ones to fill.
- `tifu_knn`: TIFU-KNN (Hu et al., SIGIR 2020): the customer's baskets summed with a
  time decay (`within_decay` per basket back in time, the history cut into `groups`
  parts each averaged and decayed by `group_decay` per part), blended with the mean of
  the `neighbours` nearest customers' vectors (Euclidean): alpha * own + (1 - alpha) *
  neighbours. Its parameters are chosen on a validation split (recs_eval.tune).
- `als`: implicit-feedback matrix factorisation (implicit's AlternatingLeastSquares on
  the customer x item basket counts), seeded, one thread.
- complementary(): co-purchase counts (copurchase.rank) for the items of an order.

What is never recommended (`Rules`): an item the `available` predicate refuses (out of
stock); and, by `exclude`, either nothing (`none`: next-basket evaluation on groceries,
where buying again is the point), the customer's latest order unless `replenishable`
says the item is bought again (`just_bought`: the pages' default), or everything the
customer ever bought (`bought`: "you may also like", and `eval-recs --new-items`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp

from afterward.insights import copurchase

Basket = frozenset[str]
Histories = Mapping[str, Sequence[Basket]]
METHODS = ("popular", "personal_top", "tifu_knn", "als")
EXCLUDE = ("none", "just_bought", "bought")
BATCH = 512  # customers scored at once: bounds memory at BATCH x items floats


@dataclass(frozen=True)
class TifuParams:
    within_decay: float = 0.9
    group_decay: float = 0.7
    groups: int = 3
    neighbours: int = 300
    alpha: float = 0.9


@dataclass(frozen=True)
class AlsParams:
    factors: int = 64
    regularization: float = 0.05
    iterations: int = 15
    alpha: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class Rules:
    available: Callable[[str], bool] | None = None
    exclude: str = "just_bought"
    replenishable: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        if self.exclude not in EXCLUDE:
            raise ValueError(f"exclude must be one of {', '.join(EXCLUDE)}")


class Data:
    """The histories as sparse matrices over an item vocabulary (sorted ids)."""

    def __init__(self, histories: Histories) -> None:
        self.customers = sorted(histories)
        self.row = {c: i for i, c in enumerate(self.customers)}
        self.items = sorted(set(chain.from_iterable(chain.from_iterable(
            histories.values()))))
        self.column = {item: j for j, item in enumerate(self.items)}
        owner, position, cols, indptr = [], [], [], [0]
        self.orders = np.zeros(len(self.customers), dtype=np.int64)
        for i, customer in enumerate(self.customers):
            baskets = histories[customer]
            self.orders[i] = len(baskets)
            for p, basket in enumerate(baskets):
                owner.append(i)
                position.append(p)
                cols.extend(sorted(self.column[item] for item in basket))
                indptr.append(len(cols))
        self.basket_owner = np.asarray(owner, dtype=np.int64)
        self.basket_position = np.asarray(position, dtype=np.int64)
        self.lines = sp.csr_matrix((np.ones(len(cols)), np.asarray(cols, dtype=np.int64),
                                    np.asarray(indptr)), shape=(len(owner), len(self.items)))
        self.owners = sp.csr_matrix((np.ones(len(owner)), (self.basket_owner,
                                                           np.arange(len(owner)))),
                                    shape=(len(self.customers), len(owner)))
        self.counts = (self.owners @ self.lines).tocsr()  # baskets per customer and item
        self.popularity = np.asarray(self.lines.sum(axis=0)).ravel()
        self.latest = {c: frozenset(histories[c][-1]) for c in self.customers
                       if histories[c]}

    def weighted(self, basket_weights: np.ndarray) -> sp.csr_matrix:
        return (self.owners @ sp.diags(basket_weights) @ self.lines).tocsr()


class Model(ABC):
    name = "model"

    def __init__(self, data: Data) -> None:
        self.data = data

    @abstractmethod
    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Each row's (customer's) score for every item."""


class Popular(Model):
    name = "popular"

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.data.popularity.astype(float), (len(rows), 1))


class PersonalTop(Model):
    name = "personal_top"

    def __init__(self, data: Data) -> None:
        super().__init__(data)
        # the latest position (1-based) at which each customer bought each item
        lines = self.data.lines.tocoo()
        owner = self.data.basket_owner[lines.row]
        key = owner * len(data.items) + lines.col
        position = self.data.basket_position[lines.row] + 1
        order = np.lexsort((position, key))
        key, position = key[order], position[order]
        last = np.r_[key[1:] != key[:-1], True] if len(key) else np.zeros(0, dtype=bool)
        n_items = max(len(data.items), 1)
        self.recency = sp.csr_matrix((position[last], (key[last] // n_items,
                                                       key[last] % n_items)),
                                     shape=(len(data.customers), len(data.items)))

    def scores(self, rows: np.ndarray) -> np.ndarray:
        # count first; among equal counts the later last purchase (a fraction below
        # 1/2); then popularity (below the gap between two recencies): one float sorts
        # all three keys
        gap = 0.5 / (self.data.orders[rows] + 1.0)[:, None]
        counts = self.data.counts[rows].toarray()
        recency = self.recency[rows].toarray() * gap
        pop = self.data.popularity / (self.data.popularity.max(initial=0) + 1.0)
        return counts + recency + 0.5 * gap * pop[None, :]


class TifuKnn(Model):
    name = "tifu_knn"

    def __init__(self, data: Data, params: TifuParams = TifuParams()) -> None:
        super().__init__(data)
        self.params = params
        self.vectors = data.weighted(tifu_weights(data.basket_owner, data.basket_position,
                                                  data.orders, params))
        self.norms = np.asarray(self.vectors.multiply(self.vectors).sum(axis=1)).ravel()

    def neighbours(self, rows: np.ndarray, k: int) -> np.ndarray:
        """The k nearest other customers of each row (Euclidean), nearest first."""
        k = min(k, len(self.data.customers) - 1)
        if k <= 0:
            return np.zeros((len(rows), 0), dtype=np.int64)
        dots = (self.vectors[rows] @ self.vectors.T).toarray()
        distance = self.norms[rows, None] + self.norms[None, :] - 2 * dots
        distance[np.arange(len(rows)), rows] = np.inf
        near = np.argpartition(distance, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(distance, near, axis=1), axis=1, kind="stable")
        return np.take_along_axis(near, order, axis=1)

    def scores(self, rows: np.ndarray, near: np.ndarray | None = None,
               alpha: float | None = None) -> np.ndarray:
        alpha = self.params.alpha if alpha is None else alpha
        own = self.vectors[rows].toarray()
        if near is None:
            near = self.neighbours(rows, self.params.neighbours)
        if near.shape[1] == 0:
            return own
        mean = sp.csr_matrix((np.full(near.size, 1.0 / near.shape[1]), near.ravel(),
                              np.arange(0, near.size + 1, near.shape[1])),
                             shape=(len(rows), len(self.data.customers)))
        return alpha * own + (1 - alpha) * (mean @ self.vectors).toarray()


def tifu_weights(owner: np.ndarray, position: np.ndarray, orders: np.ndarray,
                 params: TifuParams) -> np.ndarray:
    """Each basket's weight in its customer's vector: r_b^(baskets after it), times
    r_g^(groups after its group) / (groups x baskets in its group)."""
    n = orders[owner]
    groups = np.minimum(params.groups, n)
    group = position * groups // n
    # baskets in the basket's group: positions p with p * G // n == g
    size = (np.ceil((group + 1) * n / groups) - np.ceil(group * n / groups)).astype(float)
    return (params.within_decay ** (n - 1 - position)
            * params.group_decay ** (groups - 1 - group) / (groups * size))


class Als(Model):
    name = "als"

    def __init__(self, data: Data, params: AlsParams = AlsParams()) -> None:
        super().__init__(data)
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's advice; also keeps it exact
            model = AlternatingLeastSquares(
                factors=params.factors, regularization=params.regularization,
                iterations=params.iterations, alpha=params.alpha,
                random_state=params.seed, num_threads=1)
            model.fit(data.counts.astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors[rows] @ self.item_factors.T, dtype=float)


def fit(method: str, histories: Histories | Data, **params: Any) -> Model:
    data = histories if isinstance(histories, Data) else Data(histories)
    if method == "popular":
        return Popular(data)
    if method == "personal_top":
        return PersonalTop(data)
    if method == "tifu_knn":
        return TifuKnn(data, TifuParams(**params))
    if method == "als":
        return Als(data, AlsParams(**params))
    raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")


def top_k(scores: np.ndarray, k: int, tiebreak: np.ndarray | None = None
          ) -> list[np.ndarray]:
    """Column indexes of each row's k best scores, best first; ties (a list padded
    with zero scores, too) go to the higher `tiebreak` (popularity), then the lower
    index; -inf (excluded) never comes back, so a row may get fewer than k."""
    result = []
    k = min(k, scores.shape[1])
    if k <= 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(scores))]
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    for row, threshold in zip(scores, kth, strict=True):
        candidates = np.flatnonzero((row >= threshold) & np.isfinite(row))
        keys = [candidates, -row[candidates]] if tiebreak is None else [
            candidates, -tiebreak[candidates], -row[candidates]]
        result.append(candidates[np.lexsort(keys)][:k])
    return result


def recommend(model: Model, customer: str, *, k: int = 10, rules: Rules = Rules()
              ) -> list[tuple[str, float]]:
    """The customer's top k items with their scores; a customer the model has not
    seen gets the popular ones."""
    data = model.data
    row = data.row.get(customer)
    scores = (model if row is not None else Popular(data)).scores(
        np.asarray([row if row is not None else 0]))[0]
    bought = (set(data.counts[row].indices) if row is not None and rules.exclude == "bought"
              else set())
    if row is not None and rules.exclude == "just_bought":
        bought = {data.column[item] for item in data.latest.get(customer, ())
                  if rules.replenishable is None or not rules.replenishable(item)}
    for j in bought:
        scores[j] = -np.inf
    if rules.available is not None:
        for j, item in enumerate(data.items):
            if np.isfinite(scores[j]) and not rules.available(item):
                scores[j] = -np.inf
    return [(data.items[j], float(scores[j]))
            for j in top_k(scores[None, :], k, data.popularity)[0]]


def repeat_rates(histories: Histories, *, min_buyers: int = 5) -> dict[str, float]:
    """Per item, the share of its buyers who bought it in two or more orders (items
    with fewer than `min_buyers` buyers are left out: too few to tell)."""
    buyers: dict[str, int] = {}
    repeaters: dict[str, int] = {}
    for baskets in histories.values():
        seen: dict[str, int] = {}
        for basket in baskets:
            for item in basket:
                seen[item] = seen.get(item, 0) + 1
        for item, times in seen.items():
            buyers[item] = buyers.get(item, 0) + 1
            repeaters[item] = repeaters.get(item, 0) + (times > 1)
    return {item: repeaters[item] / count for item, count in buyers.items()
            if count >= min_buyers}


def replenishable_from(rates: Mapping[str, float], threshold: float = 0.3
                       ) -> Callable[[str], bool]:
    """An item is bought again when at least `threshold` of its buyers did."""
    return lambda item: rates.get(item, 0.0) >= threshold


def complementary(baskets: Iterable[Basket], bought: Collection[str], *, limit: int = 4,
                  available: Callable[[str], bool] | None = None) -> list[str]:
    """Items most often in the same baskets as `bought` (copurchase.rank: ties to the
    more popular item, then the lower id), none of `bought`, none unavailable."""
    baskets = list(baskets)
    names = sorted(set(chain.from_iterable(baskets)))
    column = {name: j for j, name in enumerate(names)}  # ids in name order: ties by name
    pairs = [(b, column[item]) for b, basket in enumerate(baskets) for item in basket]
    ranked = copurchase.rank(pairs, [column[item] for item in bought if item in column],
                             limit=len(names))
    picked = [names[j] for j in ranked if available is None or available(names[j])]
    return picked[:max(limit, 0)]
