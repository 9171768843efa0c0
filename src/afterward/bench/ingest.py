"""`afterward bench ingest`: how fast orders come in.

- http_orders_per_s (+ latency percentiles, http_errors): a real `afterward serve
  --no-worker` on a fresh database, driven by wrk (2 threads, 4 keep-alive
  connections) POSTing 3-line orders with unique numbers;
- bulk_import_orders_per_s: `import_orders` of a generated CSV into a fresh database;
- plain_insert_orders_per_s: the same orders and lines with a bare DB-API
  executemany into the same schema, the physical reference; bulk_import_ratio."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from afterward.bench.common import (
    Backend,
    BenchError,
    BenchOptions,
    Figure,
    cli,
    fresh_database,
    run_wrk,
    scratch_dir,
    serve_http,
    server_env,
    warm_up,
)
from afterward.bench.csvgen import write_orders_csv
from afterward.commerce import stores
from afterward.commerce.ingest.csv_format import decode
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.ingest.csv_orders import parse_orders
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade

SUITE = "ingest"
DEFAULT_ORDERS = 50_000

# A fresh order number per request: the run's tag, wrk's thread id and a per-thread counter.
WRK_SCRIPT = r"""
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  tag = args[1]
  non2xx = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

local body = '{"number": "%s", "placed_at": "2026-03-01T10:00:00Z", "currency": "EUR", '
  .. '"email": "%s", "customer": {"email": "%s", "first_name": "Ada", "last_name": "Bench"}, '
  .. '"lines": [{"sku": "TEA-1", "title": "Green tea", "quantity": 2, "unit_price_minor": 450}, '
  .. '{"sku": "MUG-1", "title": "Mug", "quantity": 1, "unit_price_minor": 1200}, '
  .. '{"sku": "CUP-1", "title": "Cup", "quantity": 3, "unit_price_minor": 300}], '
  .. '"shipping_minor": 495, "shipping_address": {"city": "Berlin", "postal_code": "10115", '
  .. '"country": "DE"}}'

function request()
  counter = counter + 1
  local number = tag .. "-" .. id .. "-" .. counter
  local email = "c" .. (counter % 500) .. "-" .. id .. "@example.com"
  return wrk.format(nil, "/api/v1/orders", nil, string.format(body, number, email, email))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local e, bad = summary.errors, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  io.write(string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run(options: BenchOptions) -> Iterator[Figure]:
    backend = options.backend
    with scratch_dir() as workdir:
        if options.seconds() > 0:
            yield from http_figures(backend, workdir, options.seconds())
        orders = options.orders or DEFAULT_ORDERS
        csv_path = write_orders_csv(workdir / "orders.csv", orders)
        bulk = bulk_import_rate(backend, workdir, csv_path)
        yield Figure(SUITE, "bulk_import_orders_per_s", bulk, "orders/s", backend)
        plain = plain_insert_rate(backend, workdir, csv_path)
        yield Figure(SUITE, "plain_insert_orders_per_s", plain, "orders/s", backend)
        yield Figure(SUITE, "bulk_import_ratio", bulk / plain, "ratio", backend)


# ---------------------------------------------------------------- bulk and plain

def _store(url: str) -> tuple[Database, int]:
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        store_id = stores.create_store(session, slug="bench", name="Bench", currency="EUR").id
    return db, store_id


def bulk_import_rate(backend: Backend, workdir: Path, csv_path: Path) -> float:
    with fresh_database(backend, workdir, "bulk") as url:
        db, store_id = _store(url)
        try:
            started = time.perf_counter()
            report = import_orders(db, store_id=store_id, source=csv_path)
            elapsed = time.perf_counter() - started
        finally:
            db.dispose()
    if report.errors:
        raise BenchError(f"the generated file did not import: {report.errors[0]}")
    return report.imported_orders / elapsed


_ORDER_SQL = ("INSERT INTO orders (id, store_id, number, source, customer_id, email, phone, "
              "currency, subtotal_minor, shipping_minor, tax_minor, discount_minor, total_minor, "
              "refunded_minor, status, placed_at, ship_name, ship_city, ship_postal_code, "
              "ship_country, created_at, updated_at) VALUES ({})")
_LINE_SQL = ("INSERT INTO order_lines (store_id, order_id, position, variant_id, product_id, "
             "sku, title, quantity, unit_price_minor, total_minor, refunded_quantity) "
             "VALUES ({})")


def plain_insert_rate(backend: Backend, workdir: Path, csv_path: Path) -> float:
    """The same orders and lines, prepared beforehand, then one executemany each and a
    commit: what the database alone costs, without parsing, customers, events or jobs."""
    drafts = parse_orders(decode(csv_path.read_bytes())).orders
    with fresh_database(backend, workdir, "plain") as url:
        db, store_id = _store(url)
        db.dispose()
        postgres = backend == "postgresql"
        now = _now(postgres)
        orders, lines = [], []
        for order_id, o in enumerate(drafts, start=1):
            subtotal = o.subtotal_minor
            orders.append((order_id, store_id, o.number, "csv", None, o.email, o.phone,
                           o.currency, subtotal, o.shipping_minor, o.tax_minor, o.discount_minor,
                           o.total_minor, 0, "open",
                           o.placed_at if postgres else _sqlite_time(o.placed_at),
                           None, o.ship_city, o.ship_postal_code, o.ship_country, now, now))
            lines += [(store_id, order_id, position, None, None, ln.sku, ln.title, ln.quantity,
                       ln.unit_price_minor, ln.quantity * ln.unit_price_minor, 0)
                      for position, ln in enumerate(o.lines)]
        elapsed = (_plain_postgres if postgres else _plain_sqlite)(url, orders, lines)
    return len(orders) / elapsed


def _now(postgres: bool) -> Any:
    from afterward.storage.types import utcnow

    return utcnow() if postgres else _sqlite_time(utcnow())


def _sqlite_time(value: Any) -> str:
    return str(value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds"))


def _plain_sqlite(url: str, orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> float:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_ORDER_SQL.format(", ".join("?" * 22)), orders)
        conn.executemany(_LINE_SQL.format(", ".join("?" * 11)), lines)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def _plain_postgres(url: str, orders: list[tuple[Any, ...]],
                    lines: list[tuple[Any, ...]]) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(_ORDER_SQL.format(", ".join(["%s"] * 22)), orders)
            cur.executemany(_LINE_SQL.format(", ".join(["%s"] * 11)), lines)
        conn.commit()
        return time.perf_counter() - started


# ---------------------------------------------------------------- HTTP

def http_figures(backend: Backend, workdir: Path, duration: float) -> Iterator[Figure]:
    """One HTTP process (`afterward serve`, the default) and, as a second figure, two
    processes on the two cores (`afterward serve --workers 2`)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk'); use --duration 0 "
                         "to skip the HTTP figures")
    script = workdir / "post_orders.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    for processes, prefix in ((1, "http"), (2, "http_2proc")):
        with fresh_database(backend, workdir, prefix) as url, _server(
                backend, url, workdir, processes) as (base, api_key):
            warm_up(wrk, script, base, ["warm", api_key], duration)
            result = _wrk(wrk, script, base, f"run{int(time.time())}", api_key, duration)
        seconds = result["duration_us"] / 1e6
        yield Figure(SUITE, f"{prefix}_orders_per_s", result["requests"] / seconds, "orders/s",
                     backend)
        for q in ("p50", "p95", "p99"):
            yield Figure(SUITE, f"{prefix}_{q}_ms", result[f"{q}_us"] / 1000, "ms", backend)
        yield Figure(SUITE, f"{prefix}_errors", result["non2xx"] + result["socket_errors"],
                     "count", backend)


@contextmanager
def _server(backend: Backend, url: str, workdir: Path,
            processes: int) -> Iterator[tuple[str, str]]:
    """A store on a fresh database and `afterward serve --no-worker` on a free port;
    yields the base URL and the store's API key."""
    env = server_env(url)
    created = subprocess.run(cli("store", "create", "--slug", "bench", "--name", "Bench",
                                 "--currency", "EUR", "--json"),
                             env=env, cwd=workdir, capture_output=True, text=True, timeout=120)
    if created.returncode != 0:
        raise BenchError(f"afterward store create failed: {created.stderr.strip()}")
    api_key = json.loads(created.stdout)["api_key"]
    with serve_http(env, workdir, processes) as (base, _pid):
        yield base, api_key


def _wrk(wrk: str, script: Path, base: str, tag: str, api_key: str,
         seconds: float) -> dict[str, Any]:
    return run_wrk(wrk, script, base, [tag, api_key], seconds, spare=60)
