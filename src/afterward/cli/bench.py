"""`afterward bench SUITE`: one module per suite under afterward.bench, each with
`run(options) -> Iterator[Figure]`. Add a suite by adding it to SUITES."""

from __future__ import annotations

import importlib

import typer

from afterward.bench.common import BenchError, BenchOptions, Figure
from afterward.cli.common import fail, print_json
from afterward.process import freeze_start_up_heap
from afterward.worker import load_handlers

SUITES = {
    "ingest": "afterward.bench.ingest",  # HTTP orders/s (wrk), CSV bulk import vs plain INSERT
    "tracking": "afterward.bench.tracking",  # carrier webhooks in, tracking pages out (wrk)
    "messaging": "afterward.bench.messaging",  # emails/s through SMTP, event -> send decision
    "returns": "afterward.bench.returns",  # policy decision, POST /returns/s, portal pages
    "loyalty": "afterward.bench.loyalty",  # points earned from history, balance read, redeem
    "feedback": "afterward.bench.feedback",  # review page/JSON/widget p99, the Google feed
    "sentiment": "afterward.bench.sentiment",  # texts scored/s: lexicon, learned model
    "assistant": "afterward.bench.assistant",  # intents recognised/s, held-out accuracy
    "concurrency": "afterward.bench.concurrency",  # 16 clients on every write route at once
    "insights": "afterward.bench.insights",  # BG/NBD vs lifetimes, CLV and recs at 1M
}


def bench(suite: str = typer.Argument(..., help="Suite to run: " + ", ".join(SUITES) + "."),
          as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
          backend: str = typer.Option("sqlite", "--backend",
                                      help="sqlite, or postgresql (needs "
                                           "AFTERWARD_BENCH_POSTGRES_URL)."),
          orders: int | None = typer.Option(None, "--orders", min=1,
                                            help="Size of the bulk part (suite default; tracking: "
                                                 "shipments stored; messaging: emails due "
                                                 "at once; assistant: messages)."),
          duration: float | None = typer.Option(None, "--duration", min=0,
                                                help="Seconds of HTTP load (suite default: "
                                                     "10, concurrency 60); 0 skips it."),
          ) -> None:
    """Run a benchmark suite and print its figures (rates ..._per_s, latencies
    ..._p50_ms/_p95_ms/_p99_ms, ratios ..._ratio)."""
    if suite not in SUITES:
        fail(f"unknown suite {suite!r}; one of: {', '.join(SUITES)}")
    if backend not in ("sqlite", "postgresql"):
        fail(f"unknown backend {backend!r}; sqlite or postgresql")
    options = BenchOptions(backend=backend, orders=orders, duration=duration)  # type: ignore[arg-type]
    module = importlib.import_module(SUITES[suite])
    # In-process work measured in a process set up as the worker's: with what it imports
    # at start (without it, the first batch a consumer handles imports the HTTP client
    # of the webhook endpoints), and its heap frozen.
    load_handlers()
    freeze_start_up_heap()
    try:
        for figure in module.run(options):
            _emit(figure, as_json)
    except BenchError as exc:
        fail(str(exc))


def _emit(figure: Figure, as_json: bool) -> None:
    if as_json:
        print_json(figure.as_dict())
    else:
        print(f"{figure.suite}\t{figure.metric}\t{figure.value:,.3f} {figure.unit}"
              f"\t({figure.backend})", flush=True)
