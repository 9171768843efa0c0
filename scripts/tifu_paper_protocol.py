"""Score TIFU-KNN on an Instacart-style order file the way the TIFU-KNN paper's code
does, next to `eval-recs`' own way, for docs/recommendations.md ("Against the
published TIFU-KNN figures").

    python scripts/tifu_paper_protocol.py ORDERS.csv [WITHIN,GROUP,GROUPS,NEIGHBOURS,ALPHA]

Without a setting, TIFU-KNN's is chosen as `eval-recs` chooses it. Prints:
- every customer scored on the last order (as `eval-recs`): personal_top and TIFU-KNN
  with the chosen setting and the paper's Dunnhumby setting (0.9, 0.6, 3, 900, 0.2),
  TIFU-KNN's paired difference to personal_top with a 95% interval;
- the paper's protocol: customers in id order, neighbours only among the first 72%,
  the last 20% scored; TIFU-KNN both as `eval-recs` blends (group vectors) and as the
  published code does (group vectors to find neighbours, within-decayed basket sums
  divided by the number of baskets to blend).
NDCG@10 is printed twice: ideal DCG over min(10, basket size) places (`eval-recs`) and
over the whole basket (the published code's `get_NDCG1`)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from afterward.insights import basket_files, recs_eval
from afterward.insights.recommend import TifuKnn, TifuParams, fit

K = 10
PAPER_DUNNHUMBY = TifuParams(within_decay=0.9, group_decay=0.6, groups=3, neighbours=900,
                             alpha=0.2)
Scorer = Callable[[np.ndarray], np.ndarray]


def report(name: str, holdout: recs_eval.Holdout, scorer: Scorer,
           base: tuple[np.ndarray, np.ndarray] | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    recall, ndcg = holdout.per_customer(scorer, K)
    sizes = np.asarray(holdout.sizes, dtype=np.int64)
    capped = np.array([sum(1 / math.log2(n + 2) for n in range(min(K, s))) for s in sizes])
    whole = np.array([sum(1 / math.log2(n + 2) for n in range(s)) for s in sizes])
    line = (f"{name:>26}  R@{K} {recall.mean():.4f}  N@{K} {ndcg.mean():.4f}  "
            f"N@{K} whole-basket ideal {(ndcg * capped / whole).mean():.4f}")
    if base is not None:
        for label, ours, theirs in (("R", recall, base[0]), ("N", ndcg, base[1])):
            d = ours - theirs
            half = 1.96 * d.std(ddof=1) / math.sqrt(len(d))
            line += f"  {label} vs personal_top {d.mean():+.4f} ({d.mean() - half:+.4f} to " \
                    f"{d.mean() + half:+.4f})"
    print(line)
    return recall, ndcg


def restricted(model: TifuKnn, pool: np.ndarray, blend: sp.csr_matrix | None) -> Scorer:
    """Scores with neighbours only from `pool`; `blend` the vectors averaged and blended
    (the model's own group vectors, or another customer x item matrix)."""
    params = model.params
    vectors = model.vectors if blend is None else blend

    def scorer(rows: np.ndarray) -> np.ndarray:
        dots = (model.vectors[rows] @ model.vectors[pool].T).toarray()
        distance = model.norms[rows, None] + model.norms[pool][None, :] - 2 * dots
        k = min(params.neighbours, len(pool))
        near = pool[np.argpartition(distance, k - 1, axis=1)[:, :k]]
        mean = sp.csr_matrix((np.full(near.size, 1.0 / k), near.ravel(),
                              np.arange(0, near.size + 1, k)),
                             shape=(len(rows), vectors.shape[0])) @ vectors
        return params.alpha * vectors[rows].toarray() + (1 - params.alpha) * mean.toarray()

    return scorer


def main(argv: list[str]) -> None:
    if len(argv) not in (1, 2):
        sys.exit(__doc__)
    histories = basket_files.read(Path(argv[0]), "instacart").histories
    if len(argv) == 2:
        w, g, groups, n, a = argv[1].split(",")
        chosen = TifuParams(float(w), float(g), int(groups), int(n), float(a))
    else:
        chosen = recs_eval.tune_tifu(histories, K)
    print("chosen setting:", asdict(chosen))
    train, test = recs_eval.split_last(histories)
    data = recs_eval.Data(train)

    everyone = recs_eval.Holdout(data, test, new_items=False)
    print(f"every customer ({len(everyone.rows)}), neighbours among all:")
    base = report("personal_top", everyone, fit("personal_top", data).scores)
    for name, params in (("tifu_knn chosen", chosen), ("tifu_knn paper", PAPER_DUNNHUMBY)):
        report(name, everyone, fit("tifu_knn", data, **asdict(params)).scores, base)

    users = sorted(histories, key=lambda u: (len(u), u))
    pool = np.array([data.row[u] for u in users[:int(0.72 * len(users))]])
    tested = {u: test[u] for u in users[int(0.8 * len(users)):] if u in test}
    holdout = recs_eval.Holdout(data, tested, new_items=False)
    print(f"paper's protocol: {len(holdout.rows)} test customers, {len(pool)} neighbours' pool:")
    report("personal_top", holdout, fit("personal_top", data).scores)
    baskets = data.orders[data.basket_owner]
    for name, params in (("chosen", chosen), ("paper", PAPER_DUNNHUMBY)):
        model = TifuKnn(data, params)
        sums = data.weighted(params.within_decay ** (baskets - 1 - data.basket_position)
                             / baskets)
        report(f"tifu_knn {name}", holdout, restricted(model, pool, None))
        report(f"tifu_knn {name}, code's blend", holdout, restricted(model, pool, sums))


if __name__ == "__main__":
    main(sys.argv[1:])
