"""`afterward bench tracking`: carrier webhooks in and tracking pages out.

A store with N shipments (default 100,000: orders, one or two lines, a customer, a
parcel with three carrier scans each) is bulk-loaded straight into a fresh, migrated
database; then a real `afterward serve --no-worker` is driven by wrk (2 threads, 4
keep-alive connections), once with one HTTP process and once with two (`_2proc`):

- webhook_batch_events_per_s: generic carrier webhooks, 50 events per delivery, each
  delivery for another shipment, every body signed (`X-Afterward-Signature`) with the
  store's `generic` secret; counted from the `events_added` the server answers, so a
  delivery seen twice adds nothing;
- webhook_single_events_per_s (+ p50/p95/p99): one event per delivery;
- tracking_page_per_s (+ p50/p95/p99): GET /t/{token} over random shipments.

wrk cannot sign, so the signed requests are written to a file beforehand and the Lua
script cycles through them. Each load also reports the server's CPU time (user +
system, every process of the server) per request, or per event for the batches:
steadier than a rate on a shared machine.

Both set-ups are always printed. Carrier webhooks are writes, which SQLite takes one
at a time, so the one-process figures are their headline; the tracking page only
reads, and `afterward serve --workers 2` is how a shop on SQLite would serve it, so
`tracking_page_2proc_*` is the page's headline (docs/benchmarks.md says which figure
each target is read against)."""

from __future__ import annotations

import hmac
import json
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from afterward.bench.common import (
    LUA_REQUEST_FILE,
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
from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.storage import bulk
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent
from afterward.tracking.service import CarrierEvent, event_key, new_token
from afterward.tracking.statuses import Status

SUITE = "tracking"
DEFAULT_SHIPMENTS = 100_000
BATCH_EVENTS = 50
PAGE_TOKENS = 20_000
SECRET = "bench-generic-secret-0123456789"
PRODUCTS = 40
# Upper bounds of the request rates, to size the pre-signed request files; a file
# that runs out starts over, and deliveries seen before add no event (counted as 0).
BATCH_MAX_PER_S = 200
SINGLE_MAX_PER_S = 3000

# Each line of the request file: "PATH" (a GET) or "PATH<TAB>SIGNATURE<TAB>BODY" (a
# signed POST).
WRK_SCRIPT = LUA_REQUEST_FILE + r"""
function make(line, args)
  local path, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
  if path then
    return wrk.format("POST", path, {["Content-Type"] = "application/json",
      ["X-Afterward-Signature"] = sig}, body)
  end
  return wrk.format("GET", line)
end

function started()
  non2xx = 0
  added = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  local count = body and body:match('"events_added":%s*(%d+)')
  if count then
    added = added + tonumber(count)
  end
end

function done(summary, latency, requests)
  local e, bad, events = summary.errors, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    events = events + thread:get("added")
  end
  io.write(string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, '
    .. '"socket_errors": %d, "events_added": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    events, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run(options: BenchOptions) -> Iterator[Figure]:
    if options.seconds() <= 0:
        return  # every figure of this suite is an HTTP one
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk')")
    backend = options.backend
    count = options.orders or DEFAULT_SHIPMENTS
    with scratch_dir() as workdir:
        script = workdir / "tracking.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        template: Path | None = None
        for processes, infix in ((1, ""), (2, "_2proc")):
            with fresh_database(backend, workdir, f"tracking{processes}") as url:
                if backend == "sqlite" and template is not None:
                    shutil.copyfile(template, url.removeprefix("sqlite:///"))
                    slug, tokens, numbers = _read_back(url)
                else:
                    slug, tokens, numbers = load_store(url, count)
                    if backend == "sqlite":
                        template = workdir / "template.db"
                        shutil.copyfile(url.removeprefix("sqlite:///"), template)
                files = _request_files(workdir, slug, tokens, numbers, options.seconds())
                with serve_http(server_env(url), workdir, processes) as (base, pid):
                    yield from _loads(wrk, script, base, pid, files, options.seconds(),
                                      infix, backend)


# ---------------------------------------------------------------- the data

def load_store(url: str, count: int) -> tuple[str, list[str], list[str]]:
    """Migrate, create the store and its generic secret, and bulk-load `count`
    orders with a parcel each; returns the slug, the parcels' tokens and numbers."""
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            store = stores.create_store(session, slug="bench", name="Bench Tea",
                                        currency="EUR", timezone="Europe/Berlin")
            stores.set_webhook_secret(session, store=store, provider="generic", secret=SECRET)
            tokens, numbers = _bulk(session, store.id, count)
    finally:
        db.dispose()
    return "bench", tokens, numbers


def _read_back(url: str) -> tuple[str, list[str], list[str]]:
    from sqlalchemy import select

    db = Database(url)
    try:
        with db.reading() as session:
            rows = session.execute(select(Shipment.token, Shipment.tracking_number)
                                   .order_by(Shipment.id)).all()
    finally:
        db.dispose()
    return "bench", [r[0] for r in rows], [r[1] or "" for r in rows]


def _bulk(session: Session, store_id: int, count: int) -> tuple[list[str], list[str]]:
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=60)
    product_ids = bulk.insert(session, Product, [
        {"store_id": store_id, "external_id": f"P{p}", "title": f"Tea no. {p}",
         "category": "tea", "image_url": None, "care_content": None, "howto_content": None,
         "replenishment_days": 30, "created_at": start} for p in range(PRODUCTS)],
        returning_ids=True)
    variant_ids = bulk.insert(session, Variant, [
        {"store_id": store_id, "product_id": pid, "external_id": None, "sku": f"TEA-{p}",
         "title": None, "price_minor": 450 + 10 * p, "currency": "EUR", "image_url": None}
        for p, pid in enumerate(product_ids)], returning_ids=True)
    people = max(1, count // 4)
    customer_ids = bulk.insert(session, Customer, [
        {"store_id": store_id, "external_id": None, "email": f"c{c}@example.com",
         "phone": None, "first_name": "Ada", "last_name": f"Bench{c}", "locale": "en",
         "timezone": "Europe/Berlin", "birthday": None, "orders_count": 4,
         "total_spent_minor": 4000, "first_order_at": start, "last_order_at": now,
         "created_at": start, "updated_at": now} for c in range(people)], returning_ids=True)
    placed = [start + timedelta(seconds=int(i * 50 * 86400 / count)) for i in range(count)]
    orders, lines = [], []
    for i in range(count):
        chosen = rng.sample(range(PRODUCTS), rng.choice((1, 1, 2)))
        subtotal = sum(450 + 10 * p for p in chosen)
        orders.append({"store_id": store_id, "number": str(100001 + i), "source": "api",
                       "external_id": None, "customer_id": customer_ids[i % people],
                       "email": f"c{i % people}@example.com", "phone": None,
                       "currency": "EUR", "subtotal_minor": subtotal, "shipping_minor": 495,
                       "tax_minor": 0, "discount_minor": 0, "total_minor": subtotal + 495,
                       "refunded_minor": 0, "status": "open", "placed_at": placed[i],
                       "ship_name": "Ada Bench", "ship_city": "Berlin",
                       "ship_postal_code": "10115", "ship_country": "DE",
                       "created_at": placed[i], "updated_at": placed[i]})
        lines.append(chosen)
    order_ids = bulk.insert(session, Order, orders, returning_ids=True)
    line_rows = [{"store_id": store_id, "order_id": oid, "position": pos, "external_id": None,
                  "variant_id": variant_ids[p], "product_id": product_ids[p], "sku": f"TEA-{p}",
                  "title": f"Tea no. {p}", "quantity": 1, "unit_price_minor": 450 + 10 * p,
                  "total_minor": 450 + 10 * p, "refunded_quantity": 0}
                 for oid, chosen in zip(order_ids, lines, strict=True)
                 for pos, p in enumerate(chosen)]
    line_ids = bulk.insert(session, OrderLine, line_rows, returning_ids=True)
    tokens = [new_token() for _ in range(count)]
    numbers = [f"BENCH{i:010d}" for i in range(count)]
    scans = [(Status.info_received, "Label created", None, timedelta(hours=2)),
             (Status.in_transit, "Picked up", "Hamburg, DE", timedelta(hours=20)),
             (Status.in_transit, "Arrived at hub", "Berlin, DE", timedelta(hours=40))]
    shipment_rows = []
    event_drafts: list[tuple[int, CarrierEvent]] = []
    for i in range(count):
        events = [CarrierEvent(occurred_at=placed[i] + later, status=status, provider="generic",
                               provider_status=status.value, message=message,
                               location=location)
                  for status, message, location, later in scans]
        last = events[-1]
        shipment_rows.append({
            "store_id": store_id, "order_id": order_ids[i], "external_id": None,
            "direction": "outbound", "carrier": "dhl", "service": None,
            "tracking_number": numbers[i], "token": tokens[i], "status": last.status.value,
            "substatus": None, "provider_status": last.provider_status,
            "last_event_at": last.occurred_at, "last_location": last.location,
            "last_message": last.message, "signed_by": None, "exception_reason": None,
            "origin_region": "DE", "destination_region": "DE",
            "shipped_at": events[0].occurred_at, "delivered_at": None,
            "promised_at": placed[i] + timedelta(days=4), "source_updated_at": None,
            "created_at": placed[i], "updated_at": last.occurred_at})
        event_drafts += [(i, e) for e in events]
    shipment_ids = bulk.insert(session, Shipment, shipment_rows, returning_ids=True)
    line_of = iter(line_ids)
    bulk.insert(session, ShipmentLine, [
        {"store_id": store_id, "shipment_id": shipment_ids[i], "order_line_id": next(line_of),
         "quantity": 1} for i, chosen in enumerate(lines) for _ in chosen])
    bulk.insert(session, TrackingEvent, [
        {"store_id": store_id, "shipment_id": shipment_ids[i], "occurred_at": e.occurred_at,
         "status": e.status.value, "substatus": None, "provider": e.provider,
         "provider_status": e.provider_status, "message": e.message, "location": e.location,
         "signed_by": None, "dedupe_key": event_key(e), "raw": None,
         "received_at": e.occurred_at} for i, e in event_drafts])
    return tokens, numbers


# ---------------------------------------------------------------- the requests

def _signed_line(path: str, body: dict[str, Any]) -> str:
    raw = json.dumps(body, separators=(",", ":"))
    digest = hmac.new(SECRET.encode(), raw.encode(), sha256).hexdigest()
    return f"{path}\tsha256={digest}\t{raw}"


def _deliveries(slug: str, numbers: list[str], first: int, count: int, per: int,
                label: str) -> list[str]:
    """`count` signed deliveries of `per` events each, delivery j for parcel j mod N
    (from the far end for single events), every event new."""
    base = datetime(2030, 1, 1, tzinfo=UTC)
    path = f"/api/v1/webhooks/carriers/generic/{slug}"
    out = []
    for j in range(first, first + count):
        index = j % len(numbers) if per > 1 else len(numbers) - 1 - j % len(numbers)
        at = base + timedelta(minutes=j)
        events = [{"occurred_at": (at + timedelta(seconds=k)).isoformat().replace("+00:00", "Z"),
                   "status": "in_transit", "provider_status": "TR",
                   "message": f"{label} scan {j}.{k}", "location": "Leipzig, DE"}
                  for k in range(per)]
        out.append(_signed_line(path, {"tracking_number": numbers[index], "carrier": "dhl",
                                       "events": events}))
    return out


def _request_files(workdir: Path, slug: str, tokens: list[str], numbers: list[str],
                   duration: float) -> dict[str, tuple[Path, Path]]:
    """Per load, a warm-up file and a run file with different deliveries."""
    files: dict[str, tuple[Path, Path]] = {}
    warm, whole = max(1, round(min(WARMUP_SECONDS, duration))), max(1, round(duration))
    for name, per, rate in (("batch", BATCH_EVENTS, BATCH_MAX_PER_S),
                            ("single", 1, SINGLE_MAX_PER_S)):
        warm_count, run_count = rate * warm, rate * whole
        pair = []
        for part, first, count in (("warm", 0, warm_count), ("run", warm_count, run_count)):
            path = workdir / f"{name}-{part}.txt"
            path.write_text("\n".join(_deliveries(slug, numbers, first, count, per, name))
                            + "\n", encoding="utf-8")
            pair.append(path)
        files[name] = (pair[0], pair[1])
    rng = random.Random(11)
    page = workdir / "pages.txt"
    page.write_text("".join(f"/t/{rng.choice(tokens)}\n" for _ in range(PAGE_TOKENS)),
                    encoding="utf-8")
    files["page"] = (page, page)
    return files


# ---------------------------------------------------------------- the load

def _loads(wrk: str, script: Path, base: str, pid: int, files: dict[str, tuple[Path, Path]],
           duration: float, infix: str, backend: Backend) -> Iterator[Figure]:
    for name, metric, unit in (("batch", "webhook_batch", "events"),
                               ("single", "webhook_single", "events"),
                               ("page", "tracking_page", "requests")):
        warm, run_file = files[name]
        warm_up(wrk, script, base, [str(warm), "2"], duration)
        cpu_before = process_tree_cpu(pid)
        result = _wrk(wrk, script, base, run_file, duration)
        cpu_ms = (process_tree_cpu(pid) - cpu_before) * 1000
        seconds = result["duration_us"] / 1e6
        done = result["events_added"] if unit == "events" else result["requests"]
        rate_name = f"{metric}{infix}_events_per_s" if unit == "events" else \
            f"{metric}{infix}_per_s"
        yield Figure(SUITE, rate_name, done / seconds, f"{unit}/s", backend)
        if name != "batch":
            for q in ("p50", "p95", "p99"):
                yield Figure(SUITE, f"{metric}{infix}_{q}_ms", result[f"{q}_us"] / 1000, "ms",
                             backend)
        per = "event" if name == "batch" else "request"
        yield Figure(SUITE, f"{metric}{infix}_cpu_ms_per_{per}",
                     cpu_ms / max(1, result["events_added" if name == "batch" else "requests"]),
                     f"ms/{per}", backend)
        yield Figure(SUITE, f"{metric}{infix}_errors",
                     result["non2xx"] + result["socket_errors"], "count", backend)


def _wrk(wrk: str, script: Path, base: str, requests: Path, seconds: float) -> dict[str, Any]:
    return run_wrk(wrk, script, base, [str(requests), "2"], seconds)
