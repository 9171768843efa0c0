"""`afterward bench returns`: the policy's decision, returns asked for over the API,
and the shopper's portal pages.

- policy_decision_us_per_line: `returns.policy.decide` in this process on a 3-line
  request, with the default policy and with twenty rules (`_20rules`), per line;
- with a store of N orders (default 100,000, the tracking suite's loader; every parcel
  delivered yesterday, so every order can still be returned) and a real
  `afterward serve --no-worker` driven by wrk (2 threads, 4 connections):
  - returns_create_per_s (+ p50/p95/p99, server CPU per return): POST /api/v1/returns,
    each request for another order, each with its own Idempotency-Key; only a 201
    counts; with one HTTP process, then two (`_2proc`: the HTTP work runs on both
    cores, SQLite still takes one write at a time);
  - portal_lookup, portal_choose, portal_status (_2proc, + p50/p95/p99): GET /returns,
    GET /returns/o/{order token} (the order, what each line can still return, the
    reasons and the exchange variants) and GET /returns/r/{status token} of the returns
    just made, with two HTTP processes, as a shop on SQLite would serve its pages."""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from afterward.bench import tracking as tracking_bench
from afterward.bench.common import (
    LUA_REQUEST_FILE,
    SERVER_SECRET,
    WARMUP_SECONDS,
    Backend,
    BenchError,
    BenchOptions,
    Figure,
    fresh_database,
    process_tree_cpu,
    run_wrk,
    scratch_dir,
    serve_http,
    server_env,
    warm_up,
)
from afterward.commerce import stores
from afterward.commerce.models import ApiKey, Order, OrderLine
from afterward.returns import policy as rules
from afterward.returns.links import signed_return
from afterward.returns.models import Return
from afterward.storage.db import Database
from afterward.tracking.models import Shipment
from afterward.web.pages.returns_links import signed_order

SUITE = "returns"
DEFAULT_ORDERS = 100_000
CREATE_MAX_PER_S = 1500  # sizes the request file: one order per request
PAGE_URLS = 20_000
API_KEY = "aw_bench_returns_0123456789abcdefghijklmnopqrstuv"
DECISIONS = 20_000

# Each line: "PATH" (a GET) or "KEY<TAB>BODY" (a POST /api/v1/returns with that
# Idempotency-Key).
WRK_SCRIPT = LUA_REQUEST_FILE + r"""
function make(line, args)
  local key, body = line:match("^([^\t]*)\t(.*)$")
  if key then
    return wrk.format("POST", "/api/v1/returns", {["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. args[3], ["Idempotency-Key"] = key}, body)
  end
  return wrk.format("GET", line)
end

function started()
  bad = 0
  created = 0
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local e, wrong, made = summary.errors, 0, 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("bad")
    made = made + thread:get("created")
  end
  io.write(string.format('{"requests": %d, "duration_us": %d, "bad": %d, "created": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, wrong, made, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run(options: BenchOptions) -> Iterator[Figure]:
    backend = options.backend
    yield from policy_figures(backend)
    if options.seconds() <= 0:
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk')")
    duration = options.seconds()
    with scratch_dir() as workdir, fresh_database(backend, workdir, "returns") as url:
        script = workdir / "returns.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        tracking_bench.load_store(url, options.orders or DEFAULT_ORDERS)
        store_id, orders = _prepare(url)
        random.Random(5).shuffle(orders)
        env, first = server_env(url), 0
        for processes, infix in ((1, ""), (2, "_2proc")):
            warm = workdir / f"create{infix}-warm.txt"
            run_file = workdir / f"create{infix}-run.txt"
            first += _create_file(warm, orders, first, duration, WARMUP_SECONDS)
            made = _create_file(run_file, orders, first, duration, duration)
            first += made
            if made == 0:
                raise BenchError("no order left to return: give more --orders")
            with serve_http(env, workdir, processes) as (base, pid):
                warm_up(wrk, script, base, [str(warm), "2", API_KEY], duration)
                yield from _load(wrk, script, base, pid, run_file, duration,
                                 f"returns_create{infix}", backend, per="return")
        pages = _page_files(workdir, url, store_id, orders)
        with serve_http(env, workdir, 2) as (base, pid):
            for name, path in pages.items():
                warm_up(wrk, script, base, [str(path), "2", API_KEY], duration)
                yield from _load(wrk, script, base, pid, path, duration,
                                 f"portal_{name}_2proc", backend, per="request")


# ---------------------------------------------------------------- the policy

def policy_figures(backend: Backend) -> Iterator[Figure]:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    order = rules.OrderFacts(placed_at=now - timedelta(days=10),
                             shipped_at=now - timedelta(days=9),
                             delivered_at=now - timedelta(days=7), value_minor=12_000,
                             country="DE", email="ada@example.com", postal_code="10115")
    lines = [rules.Requested(rules.LineFacts(sku=f"SKU-{n}", category="tea", returnable=3,
                                             claimed=0, paid_minor=1000 + n,
                                             list_price_minor=1200), 1, "changed_mind")
             for n in range(3)]
    history = rules.History(orders=4, returns=1, returns_90d=1)
    twenty = rules.Policy(rules=[rules.Rule(name=f"rule {n}", when=rules.When(
        reasons=["damaged"] if n % 2 else [], categories=[f"cat{n}"] if n % 3 else [],
        min_order_value_minor=100 * n), then=rules.Then(fee_minor=n)) for n in range(20)])
    for infix, policy in (("", rules.DEFAULT), ("_20rules", twenty)):
        started = time.perf_counter()
        for _ in range(DECISIONS):
            rules.decide(policy, order, lines, history, now)
        seconds = time.perf_counter() - started
        yield Figure(SUITE, f"policy_decision{infix}_us_per_line",
                     seconds / (DECISIONS * len(lines)) * 1e6, "us/line", backend)


# ---------------------------------------------------------------- the data

def _prepare(url: str) -> tuple[int, list[tuple[str, str]]]:
    """Every parcel delivered yesterday, an API key; the orders' numbers and first SKUs."""
    db = Database(url)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    try:
        with db.transaction() as session:
            store = stores.get_by_slug(session, "bench")
            assert store is not None
            session.execute(update(Shipment).values(status="delivered",
                                                    delivered_at=yesterday))
            session.add(ApiKey(store_id=store.id, name="bench", prefix=API_KEY[:10],
                               key_hash=stores.hash_key(API_KEY)))
            first_sku = dict(session.execute(
                select(OrderLine.order_id, OrderLine.sku).where(OrderLine.position == 0)
            ).tuples().all())
            rows = session.execute(select(Order.id, Order.number)).all()
            return store.id, [(number, first_sku[oid] or "") for oid, number in rows]
    finally:
        db.dispose()


def _create_file(path: Path, orders: list[tuple[str, str]], first: int, duration: float,
                 seconds: float) -> int:
    """Requests for orders[first:...], one order each, at most a fifth of the orders
    (two loads of a warm-up and a run; the last fifth is left for the portal pages);
    returns how many."""
    count = min(len(orders) // 5, len(orders) - first,
                CREATE_MAX_PER_S * max(1, round(min(seconds, duration))))
    with path.open("w", encoding="utf-8") as out:
        for number, sku in orders[first:first + count]:
            body = {"order_number": number, "resolution": "refund",
                    "lines": [{"sku": sku, "quantity": 1, "reason": "changed_mind"}]}
            out.write(f"bench-{number}\t{json.dumps(body, separators=(',', ':'))}\n")
    return count


def _page_files(workdir: Path, url: str, store_id: int,
                orders: list[tuple[str, str]]) -> dict[str, Path]:
    db = Database(url)
    try:
        with db.reading() as session:
            number_to_id = dict(session.execute(select(Order.number, Order.id)).tuples().all())
            return_ids = list(session.scalars(select(Return.id)))
    finally:
        db.dispose()
    rng = random.Random(11)
    untouched = [number_to_id[number] for number, _ in orders[-PAGE_URLS:]]
    paths = {"lookup": ["/returns"] * 100,
             "choose": [f"/returns/o/{signed_order(SERVER_SECRET, store_id, oid)}"
                        for oid in untouched],
             "status": [f"/returns/r/{signed_return(SERVER_SECRET, store_id, rid)}"
                        for rid in rng.sample(return_ids, min(PAGE_URLS, len(return_ids)))]}
    files = {}
    for name, lines in paths.items():
        files[name] = workdir / f"page-{name}.txt"
        files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files


# ---------------------------------------------------------------- the load

def _load(wrk: str, script: Path, base: str, pid: int, requests: Path, duration: float,
          metric: str, backend: Backend, *, per: str) -> Iterator[Figure]:
    cpu_before = process_tree_cpu(pid)
    result = _wrk(wrk, script, base, requests, duration)
    cpu_ms = (process_tree_cpu(pid) - cpu_before) * 1000
    # A POST counts when it made a return (201): a request file that ran out starts
    # over, and its Idempotency-Keys then answer 200 with the return made before.
    good = result["created"] if per == "return" else result["requests"] - result["bad"]
    yield Figure(SUITE, f"{metric}_per_s", good / (result["duration_us"] / 1e6), f"{per}s/s",
                 backend)
    for q in ("p50", "p95", "p99"):
        yield Figure(SUITE, f"{metric}_{q}_ms", result[f"{q}_us"] / 1000, "ms", backend)
    yield Figure(SUITE, f"{metric}_cpu_ms_per_{per}", cpu_ms / max(1, result["requests"]),
                 f"ms/{per}", backend)
    yield Figure(SUITE, f"{metric}_errors", result["bad"] + result["socket_errors"], "count",
                 backend)


def _wrk(wrk: str, script: Path, base: str, requests: Path, seconds: float) -> dict[str, Any]:
    return run_wrk(wrk, script, base, [str(requests), "2", API_KEY], seconds)
