"""Offline evaluation of the recommenders (`afterward insights eval-recs`).

Customers' files: each customer's last order is held out; the models learn from
everything else (customers with a single order too: they count for popularity and as
neighbours, but are not scored). Recall@k = hits in the top k / items in the held-out
basket; NDCG@k with binary gains, ideal DCG over min(k, basket size); both averaged
over customers. TIFU-KNN's parameters are chosen on a validation split made the same
way inside the training part (each customer's second-to-last order), never on the
held-out orders. `exclude="none"` (the default) lets a model suggest what the customer
bought before: the next-basket task on groceries; `new_items=True` scores only the
held-out items the customer never bought and leaves their past items out of every list
(`exclude="bought"`), the "you may also like" task.

Files without customers (`baskets`): the first 80% of baskets (file order) train,
each later basket of two or more items loses its last item, which `popular` and
`copurchase` (the same ranking as recommend.complementary) must find from the rest."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict
from itertools import product
from typing import Any

import numpy as np
import scipy.sparse as sp

from afterward.insights.recommend import (
    Basket,
    Data,
    Histories,
    Model,
    TifuKnn,
    TifuParams,
    fit,
    top_k,
)

Progress = Callable[[str, int, int], None]  # (label, done, total)
TIFU_DECAYS: dict[str, tuple[Any, ...]] = {
    "within_decay": (0.8, 0.9, 1.0), "group_decay": (0.6, 0.8, 1.0), "groups": (3, 7)}
NEIGHBOURS, ALPHAS = (5, 10, 25, 100, 300), (0.5, 0.7, 0.9, 1.0)


def recall_at_k(ranked: Sequence[Any], truth: Collection[Any], k: int) -> float:
    if not truth:
        return 0.0
    return sum(1 for item in ranked[:k] if item in truth) / len(truth)


def ndcg_at_k(ranked: Sequence[Any], truth: Collection[Any], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in truth)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(truth))))
    return dcg / ideal if ideal else 0.0


def split_last(histories: Histories) -> tuple[dict[str, list[Basket]], dict[str, Basket]]:
    """(training histories, held-out last basket per customer with two or more)."""
    train, test = {}, {}
    for customer, baskets in histories.items():
        if len(baskets) >= 2:
            train[customer], test[customer] = list(baskets[:-1]), baskets[-1]
        elif baskets:
            train[customer] = list(baskets)
    return train, test


class Holdout:
    """Held-out baskets as column indexes of a fitted Data, with what to leave out."""

    def __init__(self, data: Data, test: Mapping[str, Basket], *, new_items: bool) -> None:
        self.data, self.rows, self.truth, self.sizes = data, [], [], []
        for customer in sorted(test):
            row = data.row[customer]
            known = {data.column[item] for item in test[customer] if item in data.column}
            unknown = sum(1 for item in test[customer] if item not in data.column)
            if new_items:
                known -= set(data.counts[row].indices)
            if known or unknown:
                self.rows.append(row)
                self.truth.append(known)
                self.sizes.append(len(known) + unknown)
        self.new_items = new_items

    def score(self, scorer: Callable[[np.ndarray], np.ndarray], k: int) -> tuple[float, float]:
        """Mean Recall@k and NDCG@k over the customers."""
        recall, ndcg = self.per_customer(scorer, k)
        return (float(recall.mean()), float(ndcg.mean())) if len(recall) else (0.0, 0.0)

    def per_customer(self, scorer: Callable[[np.ndarray], np.ndarray], k: int
                     ) -> tuple[np.ndarray, np.ndarray]:
        recall, ndcg = np.zeros(len(self.rows)), np.zeros(len(self.rows))
        rows = np.asarray(self.rows, dtype=np.int64)
        for start in range(0, len(rows), 512):
            batch = rows[start:start + 512]
            scores = scorer(batch)
            if self.new_items:
                bought = self.data.counts[batch].tocoo()
                scores[bought.row, bought.col] = -np.inf
            for i, ranked in enumerate(top_k(scores, k, self.data.popularity),
                                       start=start):
                hits = [j in self.truth[i] for j in ranked]
                recall[i] = sum(hits) / self.sizes[i]
                ideal = sum(1 / math.log2(n + 2) for n in range(min(k, self.sizes[i])))
                ndcg[i] = sum(1 / math.log2(n + 2) for n, hit in enumerate(hits) if hit) / ideal
        return recall, ndcg


def tune_tifu(histories: Histories, k: int, progress: Progress | None = None, *,
              new_items: bool = False, sample: int = 2000) -> TifuParams:
    """TIFU-KNN's parameters by Recall@k on each customer's second-to-last order
    (coordinate search: the decays and groups at the published defaults' blend, then
    neighbours x alpha for the best of those). Too little data: the defaults. Above
    `sample` validation customers, a seeded sample of them is scored (all of them
    still train), which bounds the search's time on big files."""
    train, valid = split_last(split_last(histories)[0])
    if len(valid) < 2:
        return TifuParams()
    if len(valid) > sample:
        picked = np.random.default_rng(0).choice(len(valid), sample, replace=False)
        ordered = sorted(valid)
        valid = {ordered[i]: valid[ordered[i]] for i in sorted(picked)}
    data = Data(train)
    holdout = Holdout(data, valid, new_items=new_items)
    if len(holdout.rows) < 2:
        return TifuParams()
    total = math.prod(map(len, TIFU_DECAYS.values())) + len(NEIGHBOURS) * len(ALPHAS)
    done, best = 0, (-1.0, TifuParams())
    for values in product(*TIFU_DECAYS.values()):
        params = TifuParams(**dict(zip(TIFU_DECAYS, values, strict=True)))
        recall, _ = holdout.score(TifuKnn(data, params).scores, k)
        best = max(best, (recall, params), key=lambda pair: pair[0])
        done += 1
        if progress:
            progress("tuning tifu_knn", done, total)
    model = TifuKnn(data, best[1])
    all_near = model.neighbours(np.asarray(holdout.rows), max(NEIGHBOURS))
    position = {row: i for i, row in enumerate(holdout.rows)}
    for neighbours, alpha in product(NEIGHBOURS, ALPHAS):

        def scorer(rows: np.ndarray, n: int = neighbours, a: float = alpha) -> np.ndarray:
            picked = all_near[[position[r] for r in rows], :n]
            return model.scores(rows, near=picked, alpha=a)

        params = TifuParams(**{**asdict(best[1]), "neighbours": neighbours, "alpha": alpha})
        recall, _ = holdout.score(scorer, k)
        best = max(best, (recall, params), key=lambda pair: pair[0])
        done += 1
        if progress:
            progress("tuning tifu_knn", done, total)
    return best[1]


def evaluate(histories: Histories, *, k: int = 10, methods: Sequence[str] = (
        "popular", "personal_top", "tifu_knn", "als", "copurchase"), new_items: bool = False,
        tifu: TifuParams | None = None, progress: Progress | None = None
        ) -> Iterator[dict[str, Any]]:
    """One result per method: {"method", "recall_at_k", "ndcg_at_k", "users"}, and
    for tifu_knn the parameters used ("params")."""
    train, test = split_last(histories)
    data = Data(train)
    holdout = Holdout(data, test, new_items=new_items)
    for step, method in enumerate(methods, start=1):
        if progress:
            progress(method, step - 1, len(methods))
        model: Model | Copurchase
        extra: dict[str, Any] = {}
        if method == "tifu_knn":
            params = tifu or tune_tifu(histories, k, progress, new_items=new_items)
            model = fit(method, data, **asdict(params))
            extra["params"] = asdict(params)
        elif method == "copurchase":
            model = Copurchase(data, {data.row[c]: train[c][-1] for c in test})
        else:
            model = fit(method, data)
        recall, ndcg = holdout.score(model.scores, k)
        yield {"method": method, "recall_at_k": round(recall, 6),
               "ndcg_at_k": round(ndcg, 6), "users": len(holdout.rows), **extra}
    if progress:
        progress("done", len(methods), len(methods))


class Copurchase:
    """recommend.complementary's ranking as a matrix product, for many queries: items
    sharing most training baskets with the query's items, then the more popular, then
    the lower index; the query's items themselves left out. The list goes on with the
    popular items (complementary() stops at the co-purchased ones)."""

    def __init__(self, data: Data, queries: Mapping[int, Basket]) -> None:
        self.data, self.queries = data, queries
        self.columns = data.lines.tocsc()
        self.binary = data.lines.copy()
        self.binary.data[:] = 1.0
        self.overall = data.popularity / (data.popularity.max(initial=0) + 1.0)

    def ranking(self, query: Collection[str]) -> np.ndarray:
        wanted = [self.data.column[item] for item in query if item in self.data.column]
        together = np.zeros(len(self.data.items))
        if wanted:
            touched = np.asarray(self.columns[:, wanted].sum(axis=1)).ravel() > 0
            if touched.any():
                together = (sp.csr_matrix(touched.astype(float)) @ self.binary
                            ).toarray().ravel()
        # co-purchased items first (count, then popularity); the popular ones after,
        # so that every list has k items as the other methods' have
        scores = together + self.overall
        scores[wanted] = -np.inf
        return scores

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.vstack([self.ranking(self.queries[int(r)]) for r in rows]) if len(rows) \
            else np.zeros((0, len(self.data.items)))


def evaluate_anonymous(baskets: Sequence[Sequence[str]], *, k: int = 10,
                       train_share: float = 0.8, progress: Progress | None = None
                       ) -> Iterator[dict[str, Any]]:
    """Leave-last-item-out on baskets without customers: `popular` and `copurchase`."""
    cut = int(len(baskets) * train_share)
    data = Data({str(i): [frozenset(b)] for i, b in enumerate(baskets[:cut])})
    cases = [(frozenset(b[:-1]), b[-1]) for b in baskets[cut:] if len(b) >= 2]
    copurchase = Copurchase(data, {})
    popular = np.where(data.popularity > 0, data.popularity, -np.inf).astype(float)
    for method in ("popular", "copurchase"):
        recall = ndcg = 0.0
        for done, (query, held) in enumerate(cases):
            if progress and done % 200 == 0:
                progress(method, done, len(cases))
            scores = popular.copy() if method == "popular" else copurchase.ranking(query)
            scores[[data.column[i] for i in query if i in data.column]] = -np.inf
            ranked = [data.items[j] for j in top_k(scores[None, :], k, data.popularity)[0]]
            recall += recall_at_k(ranked, {held}, k)
            ndcg += ndcg_at_k(ranked, {held}, k)
        users = max(len(cases), 1)
        yield {"method": method, "recall_at_k": round(recall / users, 6),
               "ndcg_at_k": round(ndcg / users, 6), "users": len(cases)}
