"""`afterward bench loyalty`: points earned from imported history, a balance read
among a million entries, and redemptions through the API.

- earn_bulk_entries_per_s: a store with a program (a tier with a multiplier, a
  first-order bonus) imports N orders (default 50,000, `--orders`; the CSV import,
  not timed), then the loyalty consumer catches up on their `order.created` events,
  timed: batches of up to 2,000 events (consumer.READ_BATCH) whose new orders are
  opened together (loyalty/bulk.py), in a process set up as a worker's (its imports,
  its heap frozen: cli/bench.py; SQLite checkpointed by a thread of its own);
  ledger entries written per second, and this process's CPU per entry, its
  checkpoint thread's included (earn_bulk_cpu_us_per_entry: what the rate would be
  on an idle core);
- earn_plain_insert_entries_per_s: every row the consumer wrote (accounts, entries,
  loyalty_orders and its `loyalty.*` events) deleted and written again with a bare
  DB-API executemany per table in one transaction, on a connection of the app's
  engine (the same PRAGMAs), the physical reference; earn_bulk_ratio against it;
  earn_plain_insert_ledger_only_entries_per_s and earn_bulk_ratio_ledger_only: the
  same without the events (the reference before 2026-12-06); earn_bulk_cpu_ratio:
  the reference's CPU over the bulk path's, both this process's (on SQLite, all the
  work: a ratio a busy machine moves less than the one of wall times);
- earn_per_event_entries_per_s: for comparison, the first 1,000 events again
  through `orders.recompute` one event at a time (the path updates, refunds and
  returns take);
- with 20 x N entries stored (default 1,000,000; 10 per member, so N x 2 members,
  written with bulk inserts, not timed):
  - balance_read_service (p50/p99): what GET /api/v1/customers/{id}/loyalty reads
    (the customer, the account row, the program, the 12-month spend, the newest 100
    entries) and its response model, in this process, one read after another (2,000
    members at random), and this process's CPU per read;
  - balance_read_http (per_s, p50/p95/p99, errors): that GET on a real `afterward
    serve --no-worker`, driven by wrk (2 threads, 4 connections), another member per
    request;
  - redeem (per_s, p50/p95/p99, CPU per redemption, errors): POST
    /api/v1/loyalty/redemptions without an idempotency key (each request redeems),
    another member per request, every member with points to spare; only a 201
    counts."""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from afterward.api import loyalty as loyalty_api
from afterward.bench.common import (
    LUA_DONE_COUNTING_BAD,
    LUA_REQUEST_FILE,
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
from afterward.bench.csvgen import write_orders_csv
from afterward.commerce import stores
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.models import ApiKey, Customer
from afterward.event_cursors import EventConsumer
from afterward.loyalty import consumer, programs
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program
from afterward.loyalty.schemas import LoyaltyOut
from afterward.storage import bulk
from afterward.storage.db import Base, Database
from afterward.storage.migrate import upgrade

SUITE = "loyalty"
DEFAULT_ORDERS = 50_000
ENTRIES_PER_ORDER = 20  # the read store holds --orders x 20 entries
ENTRIES_PER_MEMBER = 10
PER_EVENT_SAMPLE = 1_000
SERVICE_READS = 2_000
REQUEST_LINES = 20_000
API_KEY = "aw_bench_loyalty_0123456789abcdefghijklmnopqrstuv"
# Earning as of a month after the generated history (2025-01-01 on, 3 minutes apart):
# all of it inside the 12 months that tiers look at.
EARN_NOW = datetime(2025, 1, 1, tzinfo=UTC)
PROGRAM = Program.model_validate({
    "points_per_currency_unit": 1, "pending_days": 30,
    "tiers": [{"key": "silver", "name": "Silver", "min_spend_minor": 10_000,
               "multiplier_percent": 125},
              {"key": "gold", "name": "Gold", "min_spend_minor": 50_000,
               "multiplier_percent": 150}],
    "rewards": [{"key": "five-off", "name": "5 EUR off", "points": 100,
                 "discount_minor": 500}],
    "bonuses": {"first_order": 50}})

# Each line: a GET path, or "BODY" after a tab (a POST of a redemption).
WRK_SCRIPT = LUA_REQUEST_FILE + r"""
function make(line, args)
  local headers = {["Authorization"] = "Bearer " .. args[3]}
  local body = line:match("^\t(.*)$")
  if body then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/v1/loyalty/redemptions", headers, body)
  end
  return wrk.format("GET", line, headers)
end

function started()
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 and status ~= 201 then
    bad = bad + 1
  end
end

""" + LUA_DONE_COUNTING_BAD


def run(options: BenchOptions) -> Iterator[Figure]:
    backend = options.backend
    orders = options.orders or DEFAULT_ORDERS
    with scratch_dir() as workdir:
        yield from earning_figures(backend, workdir, orders)
        yield from stored_figures(backend, workdir, orders * ENTRIES_PER_ORDER,
                                  options.seconds())


# ---------------------------------------------------------------- earning

def earning_figures(backend: Backend, workdir: Path, orders: int) -> Iterator[Figure]:
    csv_path = write_orders_csv(workdir / "history.csv", orders)
    with fresh_database(backend, workdir, "earn") as url:
        upgrade(url)
        db = Database(url)
        db.checkpoint_in_background()  # as a worker's (`afterward worker`, `serve`)
        try:
            with db.transaction() as session:
                store_id = stores.create_store(session, slug="bench", name="Bench",
                                               currency="EUR").id
                programs.save(session, store_id=store_id, program=PROGRAM)
                start = session.get(EventConsumer, f"{consumer.PREFIX}{store_id}")
                assert start is not None
                cursor_at = (start.last_event_id, start.last_txid)
            report = import_orders(db, store_id=store_id, source=csv_path)
            if report.errors:
                raise BenchError(f"the generated history did not import: {report.errors[0]}")
            started, cpu = time.perf_counter(), time.process_time()
            _catch_up(db, store_id, use_bulk=True)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            entries = _count(db, LoyaltyEntry)
            if entries == 0:
                raise BenchError("the history earned no points")
            bulk_rate = entries / seconds
            yield Figure(SUITE, "earn_bulk_entries_per_s", bulk_rate, "entries/s", backend)
            yield Figure(SUITE, "earn_bulk_cpu_us_per_entry", cpu / entries * 1e6, "us/entry",
                         backend)
            plain, plain_cpu, ledger_only = _plain_insert(db, backend)
            yield Figure(SUITE, "earn_plain_insert_entries_per_s", entries / plain,
                         "entries/s", backend)
            yield Figure(SUITE, "earn_bulk_ratio", bulk_rate * plain / entries, "ratio",
                         backend)
            yield Figure(SUITE, "earn_bulk_cpu_ratio", plain_cpu / cpu, "ratio", backend)
            yield Figure(SUITE, "earn_plain_insert_ledger_only_entries_per_s",
                         entries / ledger_only, "entries/s", backend)
            yield Figure(SUITE, "earn_bulk_ratio_ledger_only",
                         bulk_rate * ledger_only / entries, "ratio", backend)
            _forget(db, store_id, cursor_at)
            started = time.perf_counter()
            db.run(partial(consumer.consume, store_id=store_id, now=EARN_NOW,
                           limit=PER_EVENT_SAMPLE, use_bulk=False))
            seconds = time.perf_counter() - started
            yield Figure(SUITE, "earn_per_event_entries_per_s",
                         _count(db, LoyaltyEntry) / seconds, "entries/s", backend)
        finally:
            db.dispose()


def _catch_up(db: Database, store_id: int, *, use_bulk: bool) -> None:
    while True:
        _, caught_up = db.run(partial(consumer.consume, store_id=store_id, now=EARN_NOW,
                                      use_bulk=use_bulk))
        if caught_up:
            return


def _count(db: Database, model: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


_TABLES = ("loyalty_accounts", "loyalty_entries", "loyalty_orders")
# Every row the consumer wrote: its tables, and the events it recorded.
_WRITTEN = {**{table: "" for table in _TABLES},
            "events": " WHERE substr(name, 1, 8) = 'loyalty.'"}  # no %: psycopg's placeholder


def _plain_insert(db: Database, backend: Backend) -> tuple[float, float, float]:
    """Every row the consumer wrote (accounts, entries, loyalty_orders and its
    `loyalty.*` events), read back as the driver stores them, deleted, and written
    again with one executemany per table in one transaction, on a connection of the
    app's engine (its PRAGMAs on SQLite) without SQLAlchemy's statements: (seconds,
    this process's CPU seconds, seconds of the ledger's tables alone, written,
    committed and deleted before)."""
    with db.transaction() as session:
        conn = session.connection()
        rows = {table: [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT {_columns(table, backend)} FROM {table}{where}")]
            for table, where in _WRITTEN.items()}
        for table, where in reversed(_WRITTEN.items()):
            conn.exec_driver_sql(f"DELETE FROM {table}{where}")
    raw: Any = db.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def written(tables: tuple[str, ...]) -> tuple[float, float]:
            started, cpu = time.perf_counter(), time.process_time()
            if backend == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")  # the driver leaves transactions to us
            for table in tables:
                if rows[table]:
                    cursor.executemany(_insert_sql(table, backend), rows[table])
            raw.commit()
            return time.perf_counter() - started, time.process_time() - cpu

        ledger, _ = written(_TABLES)
        if backend == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        for table in reversed(_TABLES):
            cursor.execute(f"DELETE FROM {table}")
        raw.commit()
        seconds, cpu = written(tuple(_WRITTEN))
        return seconds, cpu, ledger
    finally:
        raw.close()


def _columns(table: str, backend: Backend) -> str:
    """The table's columns, JSON as its text on PostgreSQL (as the driver is given it)."""
    names = [c.name for c in Base.metadata.tables[table].columns]
    if backend != "postgresql":
        return ", ".join(names)
    return ", ".join(f"CAST({n} AS TEXT)" if n == "payload" else n for n in names)


def _insert_sql(table: str, backend: Backend) -> str:
    names = [c.name for c in Base.metadata.tables[table].columns]
    if backend == "sqlite":
        marks = ["?"] * len(names)
    else:
        marks = ["CAST(%s AS JSONB)" if n == "payload" else "%s" for n in names]
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})"


def _forget(db: Database, store_id: int, cursor_at: tuple[int, int | None]) -> None:
    """Back to before loyalty saw the history: its rows and events gone, the cursor
    where the program started it."""
    with db.transaction() as session:
        for table, where in reversed(_WRITTEN.items()):
            session.execute(text(f"DELETE FROM {table}{where}"))
        session.execute(update(EventConsumer)
                        .where(EventConsumer.name == f"{consumer.PREFIX}{store_id}")
                        .values(last_event_id=cursor_at[0], last_txid=cursor_at[1]))


# ---------------------------------------------------------------- a million entries

def stored_figures(backend: Backend, workdir: Path, entries: int,
                   duration: float) -> Iterator[Figure]:
    with fresh_database(backend, workdir, "read") as url:
        upgrade(url)
        db = Database(url)
        try:
            store_id, members = _members(db, entries)
        finally:
            db.dispose()
        db = Database(url)
        try:
            yield from _service_reads(db, backend, store_id, members)
        finally:
            db.dispose()
        if duration <= 0:
            return
        wrk = shutil.which("wrk")
        if wrk is None:
            raise BenchError("wrk is not installed (Debian package 'wrk'); use --duration 0 "
                             "to skip the HTTP figures")
        script = workdir / "loyalty.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        rng = random.Random(3)
        reads = workdir / "reads.txt"
        reads.write_text("".join(f"/api/v1/customers/{rng.choice(members)}/loyalty\n"
                                 for _ in range(REQUEST_LINES)), encoding="utf-8")
        redeems = workdir / "redeems.txt"
        redeems.write_text("".join(
            "\t" + json.dumps({"customer_id": rng.choice(members), "reward": "five-off"},
                              separators=(",", ":")) + "\n" for _ in range(REQUEST_LINES)),
            encoding="utf-8")
        with serve_http(server_env(url), workdir, 1) as (base, pid):
            for name, requests in (("balance_read_http", reads), ("redeem", redeems)):
                warm_up(wrk, script, base, [str(requests), "2", API_KEY], duration)
                yield from _load(wrk, script, base, pid, requests, duration, name, backend)


def _members(db: Database, entries: int) -> tuple[int, list[int]]:
    """A store with the program, an API key, and entries / 10 members with 10 entries
    each: a spendable adjustment big enough for every redemption of the run, then
    nine pending earns; each account's counters are what its entries add up to."""
    count = max(1, entries // ENTRIES_PER_MEMBER)
    now = datetime.now(UTC).replace(microsecond=0)
    with db.transaction() as session:
        store_id = stores.create_store(session, slug="bench", name="Bench",
                                       currency="EUR").id
        programs.save(session, store_id=store_id, program=PROGRAM)
        session.add(ApiKey(store_id=store_id, name="bench", prefix=API_KEY[:10],
                           key_hash=stores.hash_key(API_KEY)))
        session.flush()
        customers = bulk.insert_values(
            session, Customer, ("store_id", "email", "first_name", "created_at", "updated_at"),
            [(store_id, f"m{n}@example.com", "Ada", now, now) for n in range(count)],
            returning_ids=True)
        spare, earn = 1_000_000, 120
        pending = earn * (ENTRIES_PER_MEMBER - 1)
        accounts = bulk.insert_values(
            session, LoyaltyAccount,
            ("store_id", "customer_id", "points_balance", "points_pending", "points_debt",
             "lifetime_points", "created_at", "updated_at"),
            [(store_id, c, spare, pending, 0, spare + pending, now, now) for c in customers],
            returning_ids=True)
        columns = ("store_id", "account_id", "kind", "points", "balance_delta",
                   "pending_delta", "debt_delta", "reason", "source", "source_id",
                   "idempotency_key", "pending_until", "created_at")
        for first in range(0, len(accounts), 10_000):
            rows: list[tuple[Any, ...]] = []
            for account_id in accounts[first:first + 10_000]:
                rows.append((store_id, account_id, "adjust", spare, spare, 0, 0, "welcome",
                             "admin", None, f"welcome:{account_id}", None, now))
                rows += [(store_id, account_id, "earn", earn, 0, earn, 0, "order", "order", n,
                          f"order:{account_id}-{n}:1", now + timedelta(days=30), now)
                         for n in range(1, ENTRIES_PER_MEMBER)]
            bulk.insert_values(session, LoyaltyEntry, columns, rows)
    return store_id, customers


def _service_reads(db: Database, backend: Backend, store_id: int,
                   members: list[int]) -> Iterator[Figure]:
    rng = random.Random(9)
    took: list[float] = []
    cpu = time.process_time()
    for _ in range(SERVICE_READS):
        started = time.perf_counter()
        with db.reading() as session:
            read_balance(session, store_id, rng.choice(members))
        took.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    took.sort()
    for q in (50, 99):
        yield Figure(SUITE, f"balance_read_service_p{q}_ms",
                     took[min(len(took) - 1, len(took) * q // 100)] * 1000, "ms", backend)
    yield Figure(SUITE, "balance_read_service_cpu_ms_per_read", cpu / SERVICE_READS * 1000,
                 "ms/read", backend)


def read_balance(session: Session, store_id: int, customer_id: int) -> LoyaltyOut:
    """What GET /api/v1/customers/{id}/loyalty reads and answers (api/loyalty.py)."""
    found = loyalty_api.member_of(session, store_id=store_id, customer_id=customer_id,
                                  public_url="http://127.0.0.1")
    if found is None or not found.entries:
        raise BenchError(f"customer {customer_id} is missing or has no account")
    return found


def _load(wrk: str, script: Path, base: str, pid: int, requests: Path, duration: float,
          metric: str, backend: Backend) -> Iterator[Figure]:
    cpu_before = process_tree_cpu(pid)
    result = run_wrk(wrk, script, base, [str(requests), "2", API_KEY], duration)
    cpu_ms = (process_tree_cpu(pid) - cpu_before) * 1000
    per = "redemption" if metric == "redeem" else "read"
    good = result["requests"] - result["bad"]
    yield Figure(SUITE, f"{metric}_per_s", good / (result["duration_us"] / 1e6), f"{per}s/s",
                 backend)
    for q in ("p50", "p95", "p99"):
        yield Figure(SUITE, f"{metric}_{q}_ms", result[f"{q}_us"] / 1000, "ms", backend)
    yield Figure(SUITE, f"{metric}_cpu_ms_per_{per}", cpu_ms / max(1, result["requests"]),
                 f"ms/{per}", backend)
    yield Figure(SUITE, f"{metric}_errors", result["bad"] + result["socket_errors"], "count",
                 backend)

