"""`afterward bench insights`: lifetime value and recommendations at scale.

- bgnbd_fit_seconds, lifetimes_fit_seconds, bgnbd_speedup_ratio,
  bgnbd_max_param_diff: BG/NBD fitted on CDNOW_master (calibration to 1997-09-30, as
  tests/insights/test_clv.py) by clv.fit_bgnbd and by `lifetimes` 0.11.3's
  BetaGeoFitter (the `bench` extra) on the same summary, each the best of 5 runs; the
  largest absolute difference between the two parameter sets; bgnbd_cpu_speedup_ratio:
  the same ratio of this process's CPU time (what a busy machine moves less). A quick
  run (`--orders` below 100,000) fits the CDNOW sample in tests/data once instead, as
  does any run without ../shared/data beside the project;
- clv_1m_seconds, clv_1m_peak_mib: N customers (default 1,000,000; `--orders`) drawn
  from the BG/NBD process with CDNOW-like parameters (seeded; whole days), fitted
  (BG/NBD, Pareto/NBD, Gamma-Gamma) and scored (both models' P(alive), expected orders
  in 90 days, a year's discounted value); the peak resident memory of this process so
  far (ru_maxrss: the CDNOW part and the drawing included); clv_1m_cpu_seconds: the
  process's CPU time for the same work;
- recs_train_1m_seconds: N order lines (same option; 4 a basket, 5 baskets a
  customer, 10,000 items of Zipf-like popularity, seeded) trained into what the pages
  use: recommend.Data, TIFU-KNN's vectors, personal_top's recencies and the co-purchase
  counts of every item pair (and recs_train_1m_cpu_seconds); then, for scale,
  recs_score_customers_per_s: TIFU-KNN's scores of the first 512 customers (their
  nearest neighbours among all: the all-pairs part, docs/recommendations.md);
- then `extra_figures` (the lead's hook for whole-store timings)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np

from afterward.bench.common import BenchError, BenchOptions, Figure
from afterward.insights import clv, recommend, transactions

SUITE = "insights"
DEFAULT_SIZE = 1_000_000
ROOT = Path(__file__).resolve().parents[3]
CDNOW_MASTER = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CDNOW_SAMPLE = ROOT / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
REPEATS = 5
QUICK = 100_000  # --orders below it: the CDNOW sample, fitted once
# BG/NBD on CDNOW_master; Gamma-Gamma on the CDNOW sample (p, q, gamma)
BGNBD_CDNOW = {"r": 0.25, "alpha": 4.8, "a": 0.72, "b": 2.16}
SPEND_CDNOW = {"p": 6.25, "q": 3.74, "v": 15.44}
BASKET_LINES, CUSTOMER_BASKETS, ITEMS = 4, 5, 10_000


def run(options: BenchOptions) -> Iterator[Figure]:
    size = options.orders or DEFAULT_SIZE

    def figure(metric: str, value: float, unit: str) -> Figure:
        return Figure(SUITE, metric, float(value), unit, options.backend)

    yield from (figure(*f) for f in cdnow_figures(quick=size < QUICK))
    yield from (figure(*f) for f in clv_figures(size))
    yield from (figure(*f) for f in recs_figures(size))
    yield from extra_figures(options)


def extra_figures(options: BenchOptions) -> Iterator[Figure]:
    """The demo store (`afterward demo`'s history, its replay shortened to a day: the
    replay adds nothing recompute reads but time) recomputed as `afterward insights
    recompute` does it: every step, recommendations included, in one transaction.
    Only at full size (the build takes about a minute)."""
    if (options.orders or DEFAULT_SIZE) < QUICK:
        return
    from afterward.bench.common import fresh_database, scratch_dir
    from afterward.demo.build import build_demo
    from afterward.insights import recompute
    from afterward.storage.db import Database
    from afterward.storage.migrate import upgrade

    with scratch_dir() as workdir, fresh_database(options.backend, workdir, "demo") as url:
        upgrade(url)
        db = Database(url)
        try:
            summary = build_demo(db, secret_key="bench-secret-key-0123456789", replay_days=1)
            started, cpu = time.perf_counter(), time.process_time()
            with db.transaction() as session:
                outcome = recompute.recompute(session, summary.store_id)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            db.dispose()
    yield Figure(SUITE, "recompute_demo_seconds", seconds, "s", options.backend)
    yield Figure(SUITE, "recompute_demo_cpu_seconds", cpu, "s", options.backend)
    yield Figure(SUITE, "recompute_demo_customers", outcome.customers, "count",
                 options.backend)


# ---------------------------------------------------------------- BG/NBD on CDNOW

def cdnow_figures(*, quick: bool = False) -> Iterator[tuple[str, float, str]]:
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        raise BenchError("the insights bench compares with lifetimes 0.11.3, which is "
                         "not installed: install the bench extra") from None
    source = CDNOW_SAMPLE if quick or not CDNOW_MASTER.exists() else CDNOW_MASTER
    summary, _ = transactions.summarise(transactions.read(source, "cdnow"), CALIBRATION_END)
    repeats = 1 if quick else REPEATS
    ours, ours_s, ours_cpu = _best_of(lambda: clv.fit_bgnbd(summary).params, repeats)
    theirs, theirs_s, theirs_cpu = _best_of(
        lambda: BetaGeoFitter().fit(summary.x, summary.t_x, summary.T).params_.to_dict(),
        repeats)
    yield "bgnbd_fit_seconds", ours_s, "s"
    yield "lifetimes_fit_seconds", theirs_s, "s"
    yield "bgnbd_speedup_ratio", theirs_s / ours_s, "ratio"
    yield "bgnbd_cpu_speedup_ratio", theirs_cpu / max(ours_cpu, 1e-6), "ratio"
    yield "bgnbd_max_param_diff", max(abs(ours[k] - theirs[k]) for k in ours), "abs"


def _best_of(fit: Callable[[], dict[str, float]], repeats: int
             ) -> tuple[dict[str, float], float, float]:
    """The result, and the least wall-clock and CPU seconds of `repeats` runs."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        params = fit()
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return params, best, best_cpu


# ---------------------------------------------------------------- CLV at scale

def synthetic_customers(n: int, seed: int = 16) -> clv.Summary:
    """n customers of the BG/NBD process (BGNBD_CDNOW), first purchases spread over 12
    weeks, calibration 39 weeks after the first day, times in whole days (as
    transactions.summarise gives them); spend per Gamma-Gamma (SPEND_CDNOW), in cents."""
    rng = np.random.default_rng(seed)
    p = BGNBD_CDNOW
    T = (273 - rng.integers(0, 84, n)) / 7
    rate = rng.gamma(p["r"], 1 / p["alpha"], n)
    drop = rng.beta(p["a"], p["b"], n)
    x, last, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.arange(n)
    while active.size:  # one more purchase for those still buying, until all stop
        now[active] += rng.exponential(1.0, active.size) / rate[active]
        active = active[now[active] <= T[active]]
        x[active] += 1
        last[active] = now[active]
        active = active[rng.random(active.size) >= drop[active]]
    t_x = np.floor(last * 7) / 7
    g = SPEND_CDNOW
    scale = rng.gamma(g["q"], 1 / g["v"], n)
    repeats = np.maximum(x, 1)
    m = np.where(x > 0, np.round(rng.gamma(g["p"] * repeats) / (scale * repeats), 2), 0.0)
    return clv.Summary(x, t_x, T, m)


def fit_and_score(s: clv.Summary) -> dict[str, np.ndarray]:
    """The three fits, then per customer what recompute would store."""
    bgnbd, pareto, spend_fit = clv.fit_bgnbd(s), clv.fit_pareto(s), clv.fit_gamma_gamma(s)
    pt = clv.patterns(s)  # the scores depend on (x, t_x, T) only: once per pattern
    rows = pt.summary
    spend = clv.expected_spend(spend_fit.params, s)
    year = clv.discounted_clv(bgnbd.params, rows, np.ones(len(rows)))
    return {"p_alive": pt.expand(clv.bgnbd_p_alive(bgnbd.params, rows)),
            "pareto_p_alive": pt.expand(clv.pareto_p_alive(pareto.params, rows)),
            "expected_90d": pt.expand(clv.bgnbd_expected(bgnbd.params, rows, 90 / 7)),
            "clv": pt.expand(year) * spend}


def clv_figures(n: int) -> Iterator[tuple[str, float, str]]:
    s = synthetic_customers(n)
    started, cpu = time.perf_counter(), time.process_time()
    scores = fit_and_score(s)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not all(np.isfinite(v).all() for v in scores.values()):
        raise BenchError("a CLV score is not finite")
    yield "clv_1m_seconds", elapsed, "s"
    yield "clv_1m_cpu_seconds", cpu, "s"
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield "clv_1m_peak_mib", peak_kib / 1024, "MiB"


# ---------------------------------------------------------------- recommendations

def synthetic_histories(lines: int, seed: int = 16) -> dict[str, list[frozenset[str]]]:
    """About `lines` order lines: customers of 5 baskets of 4 items, each item from the
    customer's own 20 favourites (70%) or the whole catalogue by popularity (Zipf)."""
    rng = np.random.default_rng(seed)
    customers = max(1, lines // (BASKET_LINES * CUSTOMER_BASKETS))
    weights = 1.0 / np.arange(1, ITEMS + 1)
    weights /= weights.sum()
    favourites = rng.choice(ITEMS, size=(customers, 20), p=weights)
    drawn = rng.choice(ITEMS, size=(customers, CUSTOMER_BASKETS, BASKET_LINES), p=weights)
    own = favourites[np.arange(customers)[:, None, None],
                     rng.integers(0, 20, drawn.shape)]
    items = np.where(rng.random(drawn.shape) < 0.7, own, drawn)
    names = [f"sku-{i:05d}" for i in range(ITEMS)]
    return {f"c{c:07d}": [frozenset(names[i] for i in basket) for basket in baskets]
            for c, baskets in enumerate(items.tolist())}


def train_recommenders(histories: dict[str, list[frozenset[str]]]) -> dict[str, object]:
    data = recommend.Data(histories)
    return {"tifu_knn": recommend.fit("tifu_knn", data),
            "personal_top": recommend.fit("personal_top", data),
            "copurchase": (data.lines.T @ data.lines).tocsr()}


def recs_figures(lines: int) -> Iterator[tuple[str, float, str]]:
    histories = synthetic_histories(lines)
    started, cpu = time.perf_counter(), time.process_time()
    models = train_recommenders(histories)
    yield "recs_train_1m_seconds", time.perf_counter() - started, "s"
    yield "recs_train_1m_cpu_seconds", time.process_time() - cpu, "s"
    tifu = models["tifu_knn"]
    assert isinstance(tifu, recommend.TifuKnn)
    rows = np.arange(min(recommend.BATCH, len(tifu.data.customers)))
    started = time.perf_counter()
    tifu.scores(rows)
    yield "recs_score_customers_per_s", len(rows) / (time.perf_counter() - started), \
        "customers/s"
