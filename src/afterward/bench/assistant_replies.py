"""The assistant's replies under load, for `afterward bench assistant`: a real
`afterward serve --no-worker` (one process) on a store of N orders with a parcel each
(the tracking suite's data), and CONVERSATIONS shoppers at once, each a conversation
through `POST /api/v1/assistant/messages`: it asks, waits for the reply, reads and
types for THINK_SECONDS (uniform; people take longer), and asks the next question of
the script about its own order, for the duration. Every reply's latency is kept:
reply_p50/p95/p99_ms, replies_per_s, reply_errors (anything but a 200 with a reply),
and the server's CPU per reply."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from afterward.bench import tracking
from afterward.bench.common import Backend, Figure, process_tree_cpu, serve_http, server_env
from afterward.commerce import stores
from afterward.storage.db import Database

SUITE = "assistant"
CONVERSATIONS = 50
THINK_SECONDS = (1.0, 3.0)
DEFAULT_ORDERS = 2000
# What a shopper asks, in order; each conversation starts at its own place in it.
SCRIPT = ("Where is my order?", "When will it arrive?", "Is my parcel late?",
          "What is your return policy?", "How many points do I have?",
          "Wo ist mein Paket?", "Quand vais-je recevoir ma commande ?",
          "Cadê meu pedido?")


def figures(url: str, workdir: Path, backend: Backend, orders: int, duration: float,
            conversations: int = CONVERSATIONS) -> Iterator[Figure]:
    _, _tokens, _numbers = tracking.load_store(url, orders)
    key = _api_key(url)
    with serve_http(server_env(url), workdir, 1) as (base, pid):
        _warm_up(base, key)
        cpu = process_tree_cpu(pid)
        latencies, errors, elapsed = asyncio.run(
            _converse(base, key, orders, conversations, duration))
        cpu_ms = (process_tree_cpu(pid) - cpu) * 1000 / max(1, len(latencies))
    if not latencies:
        raise RuntimeError("no reply came back")
    ordered = sorted(latencies)
    yield Figure(SUITE, "replies_per_s", len(latencies) / elapsed, "replies/s", backend)
    for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        yield Figure(SUITE, f"reply_{name}_ms", _quantile(ordered, q), "ms", backend)
    yield Figure(SUITE, "reply_mean_ms", statistics.fmean(ordered), "ms", backend)
    yield Figure(SUITE, "reply_errors", errors, "count", backend)
    yield Figure(SUITE, "reply_cpu_ms_per_reply", cpu_ms, "ms/reply", backend)
    yield Figure(SUITE, "reply_conversations", conversations, "count", backend)


def _api_key(url: str) -> str:
    db = Database(url)
    try:
        with db.transaction() as session:
            store = stores.get_by_slug(session, "bench")
            assert store is not None
            return stores.issue_api_key(session, store=store, name="bench")
    finally:
        db.dispose()


def _warm_up(base: str, key: str) -> None:
    """One message first: the server trains its intent model on the first it reads."""
    answer = httpx.post(f"{base}/api/v1/assistant/messages", timeout=120,
                        headers={"Authorization": f"Bearer {key}"},
                        json={"text": "Where is my order?", "order_number": "100001",
                              "email": "c0@example.com"})
    if answer.status_code != 200:
        raise RuntimeError(f"the assistant answered {answer.status_code}: {answer.text[:200]}")


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _converse(base: str, key: str, orders: int, conversations: int,
                    duration: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)

    async def pause(seconds: float) -> None:
        await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    async def shopper(n: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        rng = random.Random(n)
        order = rng.randrange(orders)
        people = max(1, orders // 4)  # tracking.load_store's customers
        facts = {"order_number": str(100001 + order), "email": f"c{order % people}@example.com"}
        conversation: str | None = None
        turn = n
        await pause(rng.uniform(0, THINK_SECONDS[1]))  # not all at once
        while time.monotonic() < deadline:
            body: dict[str, Any] = {"text": SCRIPT[turn % len(SCRIPT)], **facts}
            if conversation:
                body["conversation_id"] = conversation
            started = time.perf_counter()
            try:
                answer = await client.post("/api/v1/assistant/messages", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200 or not answer.json().get("reply"):
                    errors += 1
                else:
                    conversation = answer.json()["conversation_id"]
            except httpx.HTTPError:
                errors += 1
            turn += 1
            await pause(rng.uniform(*THINK_SECONDS))

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        await asyncio.gather(*(shopper(n, client) for n in range(conversations)))
    return latencies, errors, time.monotonic() - started
