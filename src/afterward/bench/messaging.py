"""`afterward bench messaging`: emails out through SMTP, and event-to-decision latency.

A store with N customers (email consent granted), an order each, and N order
confirmations queued and due at once (default 100,000; `--orders` sets N) is
bulk-loaded into a fresh, migrated database. A small asyncio SMTP sink (real SMTP
with PIPELINING; see SMTP_SERVER) runs on loopback in a process of its own and
counts what it accepts; then real `afterward worker` processes run with
AFTERWARD_SMTP_URL pointing at it (2 processes of 3 threads, on both databases;
see WORKERS).
Workers take due jobs in batches (messaging's batch handlers):

- emails_per_s (the headline, issue #4's figure): accepted messages / time from the
  workers' start (all N due then) to the last acceptance. Every message is
  policy-checked (consent, suppression list, holds), rendered (Jinja2 -> MJML ->
  inlined HTML + text, tracking links) and sent within that time;
- send_phase_emails_per_s: the same count / time from the first acceptance to the
  last. A worker sends each batch it prepared right after (jobs.run_next), so this
  differs from emails_per_s by the first batch's prepare only;
- emails_sent, emails_failed (messages not `sent` at the end), messages (N);
- worker_cpu_ms_per_email and smtp_server_cpu_ms_per_email (user + system), and on
  PostgreSQL, when its server runs on this machine, database_cpu_ms_per_email (the
  server's processes, over the same time);
- event_to_decision_p50_ms / _p95_ms: with the built-in journeys installed and the
  workers idle, orders are created one at a time (the `order.created` event is
  recorded in the order's transaction, as the API does) and each is timed from
  the event's recorded_at to its confirmation's policy decision (approved_at)."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.bench import smtp_sink
from afterward.bench.common import (
    Backend,
    BenchError,
    BenchOptions,
    Figure,
    cli,
    free_port,
    fresh_database,
    process_tree_cpu,
    scratch_dir,
)
from afterward.commerce import stores
from afterward.commerce.models import Consent, Customer, Order, OrderLine, Product, Variant
from afterward.events import Event
from afterward.jobs import Job
from afterward.journeys.models import Enrolment
from afterward.messaging.models import Message, MessageStatus
from afterward.messaging.service import PREPARE_JOB, SEND_MAX_ATTEMPTS
from afterward.storage import bulk
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade

SUITE = "messaging"
DEFAULT_MESSAGES = 100_000  # issue #4's figure; about 8 minutes a backend
PRODUCTS = 20
LATENCY_SAMPLES = 20
# Worker processes x threads per backend: two processes of three threads on both.
# SQLite's writes go one at a time, but much of a write is SQLite's own C code, which
# runs without the GIL, so a second process uses the second core. Measured
# 2026-11-22, 100,000 due: 2 x 3 402 emails/s, 1 x 4 352 and 359 (at 20,000 due 1 x 4
# was ahead, 564 and 528 against 535 and 497: the larger database costs SQLite more
# per write). PostgreSQL: while one thread waits for the database or the SMTP server,
# the others render and send.
WORKERS = {"sqlite": (2, 3), "postgresql": (2, 3)}
SECRET_KEY = "bench-secret-key-0123456789abcdef"

def run(options: BenchOptions) -> Iterator[Figure]:
    backend = options.backend
    count = options.orders or DEFAULT_MESSAGES
    processes, threads = WORKERS[backend]
    with scratch_dir() as workdir, fresh_database(backend, workdir, "messaging") as url:
        load_store(url, count)
        yield Figure(SUITE, "messages", count, "count", backend)
        with _smtp_server(workdir) as (smtp_url, status, smtp_pid):
            env = {**os.environ, "AFTERWARD_DATABASE_URL": url,
                   "AFTERWARD_LOG_LEVEL": "warning", "AFTERWARD_SECRET_KEY": SECRET_KEY,
                   "AFTERWARD_SMTP_URL": smtp_url}
            smtp_cpu0 = process_tree_cpu(smtp_pid)
            server = local_server_pid(url) if backend == "postgresql" else None
            server_cpu0 = process_tree_cpu(server, reaped=True) if server else 0.0
            started = time.time()
            with _workers(env, workdir, processes, threads) as pids:
                yield from _throughput(url, count, status, pids, smtp_pid, smtp_cpu0, started,
                                       backend)
                if server is not None:
                    sent = _sent(url)
                    yield Figure(SUITE, "database_cpu_ms_per_email", (process_tree_cpu(
                        server, reaped=True) - server_cpu0) * 1000 / max(1, sent), "ms/email",
                        backend)
                yield from _latency(url, backend)


# ---------------------------------------------------------------- the data

def load_store(url: str, count: int) -> int:
    """Migrate, create the store with its built-in journeys, and bulk-load `count`
    customers with consent, an order each and its queued confirmation."""
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            store = stores.create_store(session, slug="bench", name="Bench Tea",
                                        currency="EUR", timezone="Europe/Berlin")
            from afterward.journeys import builtins

            builtins.install(session, store_id=store.id)
            _bulk(session, store.id, count)
            store_id = store.id
        if db.engine.dialect.name == "postgresql":
            # A live database has planner statistics (autovacuum gathers them about a
            # minute after a bulk load); without them each batch's IN (...) look-ups
            # were sequential scans (20-40 ms each at 100,000 customers).
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        return store_id
    finally:
        db.dispose()


def _bulk(session: Session, store_id: int, count: int) -> None:
    rng = random.Random(5)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=1)
    product_ids = bulk.insert(session, Product, [
        {"store_id": store_id, "external_id": f"P{p}", "title": f"Tea no. {p}",
         "category": "tea", "image_url": None, "care_content": "Keep dry." if p % 3 else None,
         "howto_content": None, "replenishment_days": 30, "created_at": start}
        for p in range(PRODUCTS)], returning_ids=True)
    variant_ids = bulk.insert(session, Variant, [
        {"store_id": store_id, "product_id": pid, "external_id": None, "sku": f"TEA-{p}",
         "title": None, "price_minor": 450 + 10 * p, "currency": "EUR", "image_url": None}
        for p, pid in enumerate(product_ids)], returning_ids=True)
    customer_ids = bulk.insert(session, Customer, [
        {"store_id": store_id, "external_id": None, "email": f"c{c}@example.com",
         "phone": None, "first_name": "Ada", "last_name": f"Bench{c}", "locale": "en",
         "timezone": "Europe/Berlin", "birthday": None, "orders_count": 1,
         "total_spent_minor": 1000, "first_order_at": start, "last_order_at": start,
         "created_at": start, "updated_at": start} for c in range(count)], returning_ids=True)
    bulk.insert(session, Consent, [
        {"store_id": store_id, "customer_id": cid, "channel": "email", "purpose": purpose,
         "granted": True, "source": "bench", "updated_at": start}
        for cid in customer_ids for purpose in ("transactional", "marketing")])
    orders, chosen_lines = [], []
    for i in range(count):
        chosen = rng.sample(range(PRODUCTS), rng.choice((1, 2, 3)))
        subtotal = sum(450 + 10 * p for p in chosen)
        orders.append({"store_id": store_id, "number": str(100001 + i), "source": "api",
                       "external_id": None, "customer_id": customer_ids[i],
                       "email": f"c{i}@example.com", "phone": None, "currency": "EUR",
                       "subtotal_minor": subtotal, "shipping_minor": 495, "tax_minor": 0,
                       "discount_minor": 0, "total_minor": subtotal + 495, "refunded_minor": 0,
                       "status": "open", "placed_at": start, "ship_name": "Ada Bench",
                       "ship_city": "Berlin", "ship_postal_code": "10115",
                       "ship_country": "DE", "created_at": start, "updated_at": start})
        chosen_lines.append(chosen)
    order_ids = bulk.insert(session, Order, orders, returning_ids=True)
    bulk.insert(session, OrderLine, [
        {"store_id": store_id, "order_id": oid, "position": pos, "external_id": None,
         "variant_id": variant_ids[p], "product_id": product_ids[p], "sku": f"TEA-{p}",
         "title": f"Tea no. {p}", "quantity": 1, "unit_price_minor": 450 + 10 * p,
         "total_minor": 450 + 10 * p, "refunded_quantity": 0}
        for oid, chosen in zip(order_ids, chosen_lines, strict=True)
        for pos, p in enumerate(chosen)])
    message_ids = bulk.insert(session, Message, [
        {"store_id": store_id, "customer_id": customer_ids[i], "channel": "email",
         "transport": None, "purpose": "transactional", "category": "order_confirmation",
         "template_key": "order_confirmation", "template_id": None, "locale": None,
         "idempotency_key": f"bench:{order_ids[i]}", "enrolment_id": None, "step_key": None,
         "recipient": None, "subject": None,
         "payload": {"refs": {"order_id": order_ids[i]}, "data": {}}, "segments": None,
         "status": MessageStatus.queued.value, "status_reason": None,
         "message_id_header": None, "provider_message_id": None, "send_attempts": 0,
         "open_count": 0, "click_count": 0, "send_after": now, "approved_at": None,
         "sending_at": None, "sent_at": None, "delivered_at": None, "opened_at": None,
         "clicked_at": None, "bounced_at": None, "finished_at": None, "created_at": now,
         "updated_at": now} for i in range(count)], returning_ids=True)
    jobs.enqueue_many(session, PREPARE_JOB, [{"message_id": mid} for mid in message_ids],
                      store_id=store_id, run_at=now, max_attempts=SEND_MAX_ATTEMPTS)


# ---------------------------------------------------------------- the processes

@contextmanager
def _smtp_server(workdir: Path) -> Iterator[tuple[str, Path, int]]:
    port = free_port()
    status = workdir / "smtp-status.json"
    script = workdir / "smtp_server.py"
    script.write_text(smtp_sink.SCRIPT, encoding="utf-8")
    log = (workdir / "smtp.log").open("wb")
    process = subprocess.Popen([sys.executable, str(script), str(port), str(status)],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not Path(f"{status}.ready").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the SMTP server did not start: "
                                 + (workdir / "smtp.log").read_text(errors="replace")[-300:])
            time.sleep(0.05)
        yield f"smtp://127.0.0.1:{port}?from=shop%40bench.example", status, process.pid
    finally:
        _stop(process)
        log.close()


@contextmanager
def _workers(env: dict[str, str], workdir: Path, processes: int,
             threads: int) -> Iterator[list[int]]:
    started: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for k in range(processes):
            log = (workdir / f"worker{k}.log").open("wb")
            logs.append(log)
            started.append(subprocess.Popen(
                cli("worker", "--concurrency", str(threads)), env=env, cwd=workdir,
                stdout=log, stderr=subprocess.STDOUT))
        yield [p.pid for p in started]
    finally:
        for p in started:
            _stop(p)
        for log in logs:
            log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read_status(status: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(status.read_text())
        return data
    except (OSError, ValueError):
        return {"count": 0, "first": None, "last": None}


# ---------------------------------------------------------------- the figures

def _throughput(url: str, count: int, status: Path, pids: list[int], smtp_pid: int,
                smtp_cpu0: float, started: float, backend: Backend) -> Iterator[Figure]:
    db = Database(url)
    try:
        deadline = time.monotonic() + max(120.0, count / 10)
        last_count, stalled_since = -1, time.monotonic()
        while True:
            state = _read_status(status)
            if state["count"] >= count:
                break
            if state["count"] != last_count:
                last_count, stalled_since = state["count"], time.monotonic()
            elif time.monotonic() - stalled_since > 15:
                # No acceptance for 15 s (all are being prepared first, or the rest
                # failed): look at the queue, at most every 5 s (a count over 100,000
                # jobs costs the database ~40 ms it would take from the workers).
                if _unfinished(db) == 0:
                    break  # nothing left to send: some failed or were suppressed
                stalled_since += 5
            if time.monotonic() > deadline:
                raise BenchError(f"only {state['count']} of {count} emails arrived in time")
            time.sleep(0.2)
        time.sleep(0.3)  # the status file is written every 0.2 s
        state = _read_status(status)
        worker_cpu = sum(process_tree_cpu(pid) for pid in pids)
        smtp_cpu = process_tree_cpu(smtp_pid) - smtp_cpu0
        sent = int(state["count"])
        span = max(1e-6, float(state["last"] or 0) - float(state["first"] or 0))
        with db.reading() as session:
            not_sent = int(session.scalar(select(func.count(Message.id)).where(
                Message.status != MessageStatus.sent.value)) or 0)
    finally:
        db.dispose()
    # From due to accepted: render and policy included (the workers start with all due).
    yield Figure(SUITE, "emails_per_s",
                 sent / max(1e-6, float(state["last"] or started) - started), "emails/s",
                 backend)
    yield Figure(SUITE, "send_phase_emails_per_s", sent / span, "emails/s", backend)
    yield Figure(SUITE, "emails_sent", sent, "count", backend)
    yield Figure(SUITE, "emails_failed", not_sent, "count", backend)
    yield Figure(SUITE, "worker_cpu_ms_per_email", worker_cpu * 1000 / max(1, sent),
                 "ms/email", backend)
    yield Figure(SUITE, "smtp_server_cpu_ms_per_email", smtp_cpu * 1000 / max(1, sent),
                 "ms/email", backend)


def local_server_pid(url: str) -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (the parent
    of our connection's backend process), else None. The backend is read while its
    connection is open: once closed, its process may be gone before /proc is read."""
    db = Database(url)
    try:
        with db.reading() as session:
            backend = int(session.scalar(text("SELECT pg_backend_pid()")) or 0)
            return _postmaster_of(backend)
    finally:
        db.dispose()


def _postmaster_of(backend: int) -> int | None:
    try:
        stat = Path(f"/proc/{backend}/stat").read_text()
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        name = Path(f"/proc/{parent}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None
    return parent if name in ("postgres", "postmaster") else None


def _sent(url: str) -> int:
    db = Database(url)
    try:
        with db.reading() as session:
            return int(session.scalar(select(func.count(Message.id)).where(
                Message.status == MessageStatus.sent.value)) or 0)
    finally:
        db.dispose()


def _unfinished(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count(Job.id)).where(
            Job.status.in_(("queued", "running")), Job.kind.like("messaging.%"))) or 0)


def _latency(url: str, backend: Backend) -> Iterator[Figure]:
    from afterward.commerce import service as commerce
    from afterward.commerce.schemas import OrderIn

    db = Database(url)
    rng = random.Random(3)
    delays: list[float] = []
    try:
        with db.reading() as session:
            store = stores.get_by_slug(session, "bench")
            assert store is not None
            store_id = store.id
        time.sleep(1.0)  # let the workers go idle
        for i in range(LATENCY_SAMPLES):
            data = OrderIn.model_validate({
                "number": f"L{i}", "placed_at": datetime.now(UTC).isoformat(),
                "currency": "EUR", "email": f"latency{i}@example.com",
                "customer": {"email": f"latency{i}@example.com", "first_name": "Lat"},
                "lines": [{"title": "Tea", "quantity": 1, "unit_price_minor": 500}]})
            with db.transaction() as session:
                order, _ = commerce.save_order(session, store_id=store_id, data=data)
                order_id = order.id
            delays.append(_decision_delay(db, store_id, order_id))
            time.sleep(rng.uniform(0.2, 0.6))  # idle between orders
    finally:
        db.dispose()
    ordered = sorted(delays)
    yield Figure(SUITE, "event_to_decision_p50_ms", statistics.median(ordered) * 1000, "ms",
                 backend)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    yield Figure(SUITE, "event_to_decision_p95_ms", p95 * 1000, "ms", backend)


def _decision_delay(db: Database, store_id: int, order_id: int, timeout: float = 30.0) -> float:
    """Seconds from the order's order.created event to its confirmation's approval."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.reading() as session:
            recorded = session.scalar(select(Event.recorded_at).where(
                Event.store_id == store_id, Event.name == "order.created",
                Event.subject_id == order_id))
            decided = session.execute(
                select(Message.approved_at, Message.finished_at)
                .join(Enrolment, Enrolment.id == Message.enrolment_id)
                .where(Message.store_id == store_id, Enrolment.order_id == order_id,
                       Message.category == "order_confirmation")).first() \
                if recorded is not None else None
        at = (decided[0] or decided[1]) if decided is not None else None
        if recorded is not None and at is not None:
            return float((at - recorded).total_seconds())
        time.sleep(0.01)
    raise BenchError(f"order {order_id}: no send decision within {timeout:.0f} s")
