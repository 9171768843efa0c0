"""`afterward bench sentiment`: texts scored per second (and CPU time per text), by the
lexicon alone and by a learned model (trained on the English rated set in tests/data,
or on texts made up here when that is not around), in batches as insights/words.py
scores them."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afterward.bench.common import BenchOptions, Figure
from afterward.insights import text as sentiment

DEFAULT_TEXTS = 20_000
ROOT = Path(__file__).resolve().parents[3]
TRAIN = ROOT / "tests" / "data" / "reviews_en_train.csv"
_WORDS = ("the zipper broke after a week", "lovely soft fabric", "arrived late",
          "works great", "waste of money", "fits true to size", "smells odd",
          "the seller never answered", "my kids love it", "not worth the price")


def _corpus(count: int) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    stars: list[int] = []
    if TRAIN.exists():
        with TRAIN.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.append(row["text"])
                stars.append(int(float(row["score"])))
    if not texts:
        texts = [f"{a}, {b}." for a in _WORDS for b in _WORDS]
        stars = [1 + (i % 5) for i in range(len(texts))]
    return texts, stars


def measure(texts: int = DEFAULT_TEXTS, batch: int = 2000) -> list[dict[str, Any]]:
    """Texts per second for the lexicon and the learned model, and the training time."""
    corpus, stars = _corpus(texts)
    sample = [f"{corpus[i % len(corpus)]} (#{i})" for i in range(texts)]
    started = time.perf_counter()
    model = sentiment.train(corpus, [sentiment.stars_to_score(s) for s in stars])
    trained = time.perf_counter() - started
    figures = [{"metric": "sentiment_train_s", "value": trained, "unit": "s",
                "texts": len(corpus)}]
    for name, scorer in (("lexicon", sentiment.Scorer(None)),
                         ("learned", sentiment.Scorer(model))):
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, texts, batch):
            scorer.score(sample[start:start + batch])
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        figures.append({"metric": f"sentiment_{name}_texts_per_s", "value": texts / elapsed,
                        "unit": "texts/s", "texts": texts})
        # CPU time: what the rate would be on a core of its own (the machine may be busy)
        figures.append({"metric": f"sentiment_{name}_cpu_us_per_text",
                        "value": cpu / texts * 1e6, "unit": "us/text", "texts": texts})
    return figures


def run(options: BenchOptions) -> Iterator[Figure]:
    for figure in measure(options.orders or DEFAULT_TEXTS):
        yield Figure("sentiment", figure["metric"], float(figure["value"]), figure["unit"],
                     options.backend)
