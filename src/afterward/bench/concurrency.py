"""`afterward bench concurrency`: many clients writing at once.

A real `afterward serve` (API and its in-process worker, built-in journeys on, so
each order sets the worker going) on a fresh database; CLIENTS threads, each with
its own keep-alive connection, send a mix of every write route for the duration:
new orders, conflicting upserts of a few shared orders, cancels, customers and
products told twice, parcels, Shopify and carrier webhooks (some redelivered),
messages with repeated idempotency keys, suppressions, templates, settings,
webhook endpoints, journeys switched on and off, erasures.

Figures: requests per second, errors (5xx, timeouts, broken connections: should be
0), refusals that the mix does not expect (should be 0), latency p50/p95/p99, and
the worker's jobs done during the run (the API never waits for it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from afterward.bench.common import (
    BenchError,
    BenchOptions,
    Figure,
    fresh_database,
    scratch_dir,
    serve_http,
    server_env,
)
from afterward.commerce import stores
from afterward.journeys import builtins
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade
from afterward.tls import client_context

SUITE = "concurrency"
CLIENTS = 16
DEFAULT_SECONDS = 60.0
TIMEOUT = 10.0
SHOPIFY_SECRET, CARRIER_SECRET = "shpss_bench", "carrier-bench"
SHARED_ORDERS = 8  # numbers every client upserts: conflicting writes of one order


@dataclass(frozen=True)
class Request:
    route: str
    method: str
    path: str
    options: dict[str, Any]
    expected: frozenset[int]  # the statuses this request may get


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request, seconds: float, status: int | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if status is None or status >= 500:
                self.errors += 1
            elif status not in request.expected:
                key = f"{request.route} {status}"
                self.unexpected[key] = self.unexpected.get(key, 0) + 1


def run(options: BenchOptions) -> Iterator[Figure]:
    seconds = options.seconds(DEFAULT_SECONDS)
    if options.backend != "sqlite":
        raise BenchError("the concurrency suite runs on SQLite (the issue's figure)")
    with scratch_dir() as workdir, fresh_database("sqlite", workdir, "concurrency") as url:
        auth = _prepare(url)
        with serve_http(server_env(url), workdir, 1, with_worker=True) as (base, _pid):
            done_before = _jobs_done(url)
            tally, elapsed = _load(base, auth, seconds)
            done = _jobs_done(url) - done_before
    yield from _figures(tally, elapsed, done)


def _prepare(url: str) -> dict[str, str]:
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            store = stores.create_store(session, slug="bench", name="Bench", currency="EUR")
            key = stores.issue_api_key(session, store=store)
            stores.set_webhook_secret(session, store=store, provider="shopify",
                                      secret=SHOPIFY_SECRET)
            stores.set_webhook_secret(session, store=store, provider="generic",
                                      secret=CARRIER_SECRET)
            builtins.install(session, store_id=store.id)
    finally:
        db.dispose()
    return {"Authorization": f"Bearer {key}"}


def _jobs_done(url: str) -> int:
    from afterward.jobs import Job

    db = Database(url)
    try:
        with db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(Job).where(
                Job.status == "done")) or 0)
    finally:
        db.dispose()


def _load(base: str, auth: dict[str, str], seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    threads = [threading.Thread(target=_client, args=(base, auth, n, stop_at, tally))
               for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def _client(base: str, auth: dict[str, str], n: int, stop_at: float, tally: Tally) -> None:
    mix = Mix(n, auth)
    with httpx.Client(base_url=base, timeout=TIMEOUT, verify=client_context()) as client:
        while time.monotonic() < stop_at:
            request = mix.next()
            started = time.perf_counter()
            try:
                status: int | None = client.request(request.method, request.path,
                                                    **request.options).status_code
            except httpx.HTTPError:
                status = None
            tally.add(request, time.perf_counter() - started, status)
            if status is not None and request.route == "create_order" and status == 201:
                mix.created += 1


def _figures(tally: Tally, elapsed: float, jobs_done: int) -> Iterator[Figure]:
    ordered = sorted(tally.latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    yield Figure(SUITE, "write_requests_per_s", len(ordered) / elapsed, "requests/s", "sqlite")
    yield Figure(SUITE, "write_errors", float(tally.errors), "requests", "sqlite")
    yield Figure(SUITE, "write_unexpected_refusals", float(sum(tally.unexpected.values())),
                 "requests", "sqlite")
    for p in (50, 95, 99):
        yield Figure(SUITE, f"write_latency_p{p}_ms", percentile(p), "ms", "sqlite")
    yield Figure(SUITE, "worker_jobs_done_per_s", jobs_done / elapsed, "jobs/s", "sqlite")
    if tally.unexpected:
        raise BenchError(f"unexpected answers: {json.dumps(tally.unexpected)}")


OK, CREATED, OK_OR_CREATED = frozenset({200}), frozenset({201}), frozenset({200, 201})


class Mix:
    """One client's stream of requests: each route in turn, with data that makes some
    requests repeat or contradict other clients' (shared numbers, emails, keys)."""

    def __init__(self, client: int, auth: dict[str, str]) -> None:
        self.client, self.auth, self.count, self.created = client, auth, 0, 0
        self.random = random.Random(client)
        self.routes: list[Callable[[], Request]] = [
            self.create_order, self.upsert_shared_order, self.cancel_shared_order,
            self.customer, self.product, self.shipment, self.shopify_order,
            self.carrier_update, self.message, self.suppression, self.unsuppression,
            self.template, self.settings, self.webhook_endpoint, self.journey_switch,
            self.erasure, self.create_order, self.create_order]

    def next(self) -> Request:
        self.count += 1
        return self.routes[self.count % len(self.routes)]()

    def _api(self, route: str, method: str, path: str, expected: frozenset[int],
             **options: Any) -> Request:
        return Request(route, method, path, {**options, "headers": self.auth}, expected)

    def create_order(self) -> Request:
        return self._api("create_order", "POST", "/api/v1/orders", CREATED,
                         json=_order(f"C{self.client}-{self.count}", self._email()))

    def upsert_shared_order(self) -> Request:
        number = f"SHARED-{self.random.randrange(SHARED_ORDERS)}"
        return self._api("upsert_order", "POST", "/api/v1/orders?upsert=true", OK_OR_CREATED,
                         json=_order(number, self._email(), lines=self.random.randint(1, 3)))

    def cancel_shared_order(self) -> Request:
        # By number through the upsert: cancelling an order some other client upserts.
        number = f"SHARED-{self.random.randrange(SHARED_ORDERS)}"
        return self._api("cancel_order_by_upsert", "POST", "/api/v1/orders?upsert=true",
                         OK_OR_CREATED, json=_order(number, self._email(),
                                                     financial_status="refunded"))

    def customer(self) -> Request:
        return self._api("customer", "POST", "/api/v1/customers", OK_OR_CREATED,
                         json={"email": self._email(), "first_name": f"C{self.count}"})

    def product(self) -> Request:
        sku = f"SKU-{self.random.randrange(50)}"
        return self._api("product", "POST", "/api/v1/products", OK_OR_CREATED, json={
            "external_id": f"p-{sku}", "title": f"Product {sku}", "category": "tea",
            "variants": [{"sku": sku, "price_minor": 450, "currency": "EUR"}]})

    def shipment(self) -> Request:
        # order ids 1..: the first orders of the run exist once any client created one
        return self._api("shipment", "POST", "/api/v1/shipments",
                         frozenset({200, 201, 422}), json={
                             "order_id": self.random.randint(1, 20), "carrier": "dhl",
                             "tracking_number": f"BENCH{self.random.randrange(40):05d}"})

    def shopify_order(self) -> Request:
        # half of them redeliveries of another client's delivery
        ident = self.random.randrange(10_000) if self.count % 2 else self.random.randrange(20)
        body = json.dumps({"id": 9_000_000 + ident, "name": f"#S{ident}",
                           "email": self._email(), "currency": "EUR",
                           "created_at": "2026-03-01T10:00:00Z", "line_items": [
                               {"id": 1, "title": "Tea", "quantity": 1, "price": "4.50",
                                "sku": "TEA-1"}]}).encode()
        digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body,
                                           hashlib.sha256).digest()).decode()
        return Request("shopify", "POST", "/api/v1/webhooks/shopify/bench", {
            "content": body, "headers": {"X-Shopify-Topic": "orders/create",
                                         "X-Shopify-Hmac-Sha256": digest,
                                         "Content-Type": "application/json"}},
            frozenset({200, 202}))

    def carrier_update(self) -> Request:
        body = json.dumps({"tracking_number": f"BENCH{self.random.randrange(40):05d}",
                           "carrier": "dhl", "events": [{
                               "occurred_at": "2026-03-02T09:14:00Z", "status": "in_transit",
                               "provider_status": "OR", "message": "Origin scan"}]}).encode()
        digest = hmac.new(CARRIER_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return Request("carrier", "POST", "/api/v1/webhooks/carriers/generic/bench", {
            "content": body, "headers": {"X-Afterward-Signature": f"sha256={digest}",
                                         "Content-Type": "application/json"}},
            frozenset({200, 202}))

    def message(self) -> Request:
        return self._api("message", "POST", "/api/v1/messages", OK_OR_CREATED, json={
            "channel": "email", "category": "note", "template_key": "order_confirmation",
            "idempotency_key": f"bench-{self.random.randrange(200)}",
            "recipient": self._email()})

    def suppression(self) -> Request:
        return self._api("suppress", "POST", "/api/v1/suppressions", CREATED,
                         json={"channel": "email", "address": self._email()})

    def unsuppression(self) -> Request:
        return self._api("unsuppress", "DELETE", "/api/v1/suppressions", OK,
                         params={"channel": "email", "address": self._email()})

    def template(self) -> Request:
        return self._api("template", "PUT", "/api/v1/templates/bench_note/sms/en",
                         OK_OR_CREATED, json={"body": f"Note {self.random.randrange(5)}"})

    def settings(self) -> Request:
        start = self.random.choice(["20:00", "21:00", "22:00"])
        return self._api("settings", "PUT", "/api/v1/messaging/settings", OK,
                         json={"quiet_start": start, "quiet_end": "08:00"})

    def webhook_endpoint(self) -> Request:
        return self._api("webhook_endpoint", "POST", "/api/v1/webhook-endpoints",
                         OK_OR_CREATED, json={"url": "https://hooks.example.com/bench",
                                              "events": ["order.created"]})

    def journey_switch(self) -> Request:
        action = "enable" if self.random.random() < 0.7 else "disable"
        return self._api("journey", "POST", f"/api/v1/journeys/review_request/{action}", OK)

    def erasure(self) -> Request:
        return self._api("erase", "POST", f"/api/v1/customers/{self.random.randint(1, 30)}"
                         "/erase", frozenset({200, 404}))

    def _email(self) -> str:
        return f"shopper{self.random.randrange(300)}@example.com"


def _order(number: str, email: str, *, lines: int = 2,
           financial_status: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": number, "placed_at": "2026-03-01T10:00:00Z", "currency": "EUR",
        "email": email, "customer": {"email": email, "first_name": "Bench"},
        "lines": [{"sku": f"TEA-{i}", "title": f"Tea {i}", "quantity": 1 + i,
                   "unit_price_minor": 450} for i in range(lines)],
        "shipping_minor": 495,
        "shipping_address": {"city": "Berlin", "postal_code": "10115", "country": "DE"}}
    if financial_status:
        body["financial_status"] = financial_status
    return body
