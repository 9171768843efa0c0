"""`afterward bench feedback`: a store's published reviews read by shoppers and by
Google.

- seed_reviews_per_s: N published reviews (default 100,000, `--orders`) written with
  bulk inserts: one hot product holding a tenth of them, the rest over 999 products;
  half with attribute ratings, one in ten with the merchant's reply, one in twenty
  with a photo; then each product's summary row summed (as migration 0030 does for
  the reviews a store has); plus a second store of N / 10 reviews for the feed's memory;
- with a real `afterward serve --no-worker` driven by wrk (2 threads, 4
  connections), another product, order and page per request (a third on the hot
  product): review_page (GET /reviews/{store}/{sku}), review_json
  (GET /reviews/{store}/{sku}.json) and review_widget (.../widget): per_s,
  p50/p95/p99, the server's CPU per request and errors; then the page and the JSON
  again with two HTTP processes (`_2proc`), as the returns suite serves its portal;
- feed_seconds (and feed_reviews_per_s): Google's Product Review Feed of the N-review
  store read to the end through the real server (streamed); feed_mb;
- feed_peak_kib_10pct and feed_peak_kib: Python's peak allocations (tracemalloc)
  while this process writes the feed of the N / 10-review store and of the N-review
  store, and feed_memory_ratio, their ratio: 1.0 means memory does not grow with
  the number of reviews (the feed holds one page of 1,000 at a time);
- the sentiment figures of `afterward bench sentiment` (texts scored per second by
  the lexicon and by a store's learned model, and CPU per text), on its own corpus of
  DEFAULT_TEXTS texts."""

from __future__ import annotations

import gc
import io
import random
import shutil
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from afterward.bench import sentiment
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
from afterward.commerce import stores
from afterward.commerce.models import Product, Variant
from afterward.feedback import feeds, summaries
from afterward.feedback.models import Review, ReviewPhoto
from afterward.storage import bulk
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade

SUITE = "feedback"
DEFAULT_REVIEWS = 100_000
PRODUCTS = 1000
HOT_SHARE = 10  # the hot product holds 1 / HOT_SHARE of the reviews
REQUEST_LINES = 20_000
CHUNK = 10_000
START = datetime(2024, 1, 1, tzinfo=UTC)
SORTS = ("newest", "helpful", "highest", "lowest")

WRK_SCRIPT = LUA_REQUEST_FILE + r"""
function make(line, args)
  return wrk.format("GET", line, {["Accept-Language"] = "de-DE,de;q=0.9"})
end

function started()
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

""" + LUA_DONE_COUNTING_BAD


def run(options: BenchOptions) -> Iterator[Figure]:
    backend = options.backend
    count = options.orders or DEFAULT_REVIEWS
    with scratch_dir() as workdir, fresh_database(backend, workdir, "feedback") as url:
        upgrade(url)
        db = Database(url)
        try:
            started = time.perf_counter()
            seed(db, "bench", count)
            seconds = time.perf_counter() - started
            yield Figure(SUITE, "seed_reviews_per_s", count / seconds, "reviews/s", backend)
            seed(db, "small", max(1, count // 10))
            yield from _feed_memory(db, backend)
        finally:
            db.dispose()
        yield from _served(url, workdir, backend, count, options.seconds())
    for figure in sentiment.measure(min(count, sentiment.DEFAULT_TEXTS)):
        yield Figure(SUITE, figure["metric"], float(figure["value"]), figure["unit"], backend)


def seed(db: Database, slug: str, count: int) -> None:
    """A store with PRODUCTS products and `count` published reviews of them."""
    rng = random.Random(slug)
    photo = _png()
    with db.transaction() as session:
        store_id = stores.create_store(session, slug=slug, name=f"Bench {slug}",
                                       currency="EUR").id
        products = bulk.insert_values(
            session, Product, ("store_id", "external_id", "title", "category", "created_at"),
            [(store_id, f"p{n}", f"Stoneware bowl no. {n}", "kitchen", START)
             for n in range(PRODUCTS)], returning_ids=True)
        bulk.insert_values(session, Variant, ("store_id", "product_id", "sku", "price_minor",
                                              "currency"),
                           [(store_id, p, sku_of(n), 2500, "EUR")
                            for n, p in enumerate(products)])
    columns = ("store_id", "sku", "rating", "title", "body", "author_name", "source",
               "verified_buyer", "status", "attributes", "flags", "helpful", "unhelpful",
               "has_photos", "incentive", "reply", "replied_at", "submitted_at",
               "published_at", "updated_at")
    hot = max(1, count // HOT_SHARE)
    for first in range(0, count, CHUNK):
        rows: list[tuple[Any, ...]] = []
        for n in range(first, min(count, first + CHUNK)):
            sku = sku_of(0 if n < hot else 1 + rng.randrange(PRODUCTS - 1))
            when = START + timedelta(minutes=5 * n)
            rating = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
            rows.append((
                store_id, sku, rating, f"{rating} stars: {_TITLES[n % len(_TITLES)]}",
                _BODIES[n % len(_BODIES)], f"Customer {n}", "link" if n % 3 else "api",
                bool(n % 3), "published",
                {"quality": rng.randint(1, 5), "value": rng.randint(1, 5)} if n % 2 else {},
                [], rng.randrange(30), rng.randrange(5), n % 20 == 0,
                "points" if n % 7 == 0 else None,
                "Thank you for telling us!" if n % 10 == 0 else None,
                when + timedelta(days=1) if n % 10 == 0 else None, when, when, when))
        with db.transaction() as session:
            ids = bulk.insert_values(session, Review, columns, rows, returning_ids=True)
            bulk.insert_values(
                session, ReviewPhoto, ("store_id", "review_id", "position", "content_type",
                                       "width", "height", "byte_size", "data", "created_at"),
                [(store_id, review_id, 0, "image/png", 16, 16, len(photo), photo, START)
                 for review_id, row in zip(ids, rows, strict=True) if row[13]])
    # Rows written in bulk go around the services that keep each product's summary:
    # summed here as migration 0030 sums the reviews a store has when it is installed.
    with db.transaction() as session:
        summaries.rebuild(session, store_id=store_id)


def sku_of(n: int) -> str:
    return f"BOWL-{n:04d}"


_TITLES = ("Lovely glaze", "Smaller than expected", "Perfect gift", "Chipped on arrival",
           "Exactly as pictured")
_BODIES = tuple(" ".join(["The colour is deep and the glaze even;"] * k + [
    "it survived the dishwasher <b>twice</b> & still looks new."]) for k in range(1, 6))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 60, 120)).save(out, format="PNG")
    return out.getvalue()


def _feed_memory(db: Database, backend: Backend) -> Iterator[Figure]:
    peaks = {}
    for slug in ("small", "bench"):
        with db.reading() as session:
            store = stores.get_by_slug(session, slug)
            assert store is not None
            store_id, name = store.id, store.name
        gc.collect()
        tracemalloc.start()
        size = sum(len(chunk) for chunk in feeds.google_feed(
            db, store_id=store_id, slug=slug, store_name=name,
            public_url="https://reviews.example.com"))
        peaks[slug] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if size < 100:
            raise BenchError(f"the {slug} feed is empty")
    yield Figure(SUITE, "feed_peak_kib_10pct", peaks["small"] / 1024, "KiB", backend)
    yield Figure(SUITE, "feed_peak_kib", peaks["bench"] / 1024, "KiB", backend)
    yield Figure(SUITE, "feed_memory_ratio", peaks["bench"] / peaks["small"], "ratio", backend)


def _served(url: str, workdir: Path, backend: Backend, count: int,
            duration: float) -> Iterator[Figure]:
    with serve_http(server_env(url), workdir, 1) as (base, _pid):
        started = time.perf_counter()
        size = 0
        with httpx.stream("GET", f"{base}/feeds/bench/google-product-reviews.xml",
                          timeout=120) as answer:
            if answer.status_code != 200:
                raise BenchError(f"the feed answered {answer.status_code}")
            for block in answer.iter_bytes():
                size += len(block)
        seconds = time.perf_counter() - started
        yield Figure(SUITE, "feed_seconds", seconds, "s", backend)
        yield Figure(SUITE, "feed_reviews_per_s", count / seconds, "reviews/s", backend)
        yield Figure(SUITE, "feed_mb", size / 1e6, "MB", backend)
    if duration <= 0:
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk'); use --duration 0 "
                         "to skip the HTTP figures")
    script = workdir / "feedback.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    for processes, loads in ((1, (("review_page", ""), ("review_json", ".json"),
                                  ("review_widget", "/widget"))),
                             (2, (("review_page_2proc", ""), ("review_json_2proc", ".json")))):
        with serve_http(server_env(url), workdir, processes) as (base, pid):
            for name, suffix in loads:
                requests = _request_file(workdir / f"{name}.txt", suffix, count)
                warm_up(wrk, script, base, [str(requests), "2"], duration)
                cpu = process_tree_cpu(pid)
                result = run_wrk(wrk, script, base, [str(requests), "2"], duration)
                cpu_ms = (process_tree_cpu(pid) - cpu) * 1000 / max(1, result["requests"])
                yield from _figures(name, result, backend)
                yield Figure(SUITE, f"{name}_cpu_ms_per_request", cpu_ms, "ms/request",
                             backend)


def _request_file(path: Path, suffix: str, count: int) -> Path:
    rng = random.Random(suffix)
    pages = max(1, count // HOT_SHARE // 10)
    lines = []
    for _ in range(REQUEST_LINES):
        hot = rng.random() < 1 / 3
        sku = sku_of(0 if hot else 1 + rng.randrange(PRODUCTS - 1))
        page = rng.randint(1, min(pages, 20)) if hot and rng.random() < 0.3 else 1
        query = f"?sort={rng.choice(SORTS)}" + (f"&page={page}" if page > 1 else "")
        lines.append(f"/reviews/bench/{sku}{suffix}{query}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _figures(name: str, result: dict[str, Any], backend: Backend) -> Iterator[Figure]:
    good = result["requests"] - result["bad"]
    yield Figure(SUITE, f"{name}_per_s", good / (result["duration_us"] / 1e6), "requests/s",
                 backend)
    for q in ("p50", "p95", "p99"):
        yield Figure(SUITE, f"{name}_{q}_ms", result[f"{q}_us"] / 1000, "ms", backend)
    yield Figure(SUITE, f"{name}_errors", result["bad"] + result["socket_errors"], "count",
                 backend)
