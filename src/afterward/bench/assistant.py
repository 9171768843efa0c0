"""`afterward bench assistant`: the intent model's training time, messages recognised
per second one at a time (as a server calls `recognise`), and its accuracy and macro
F1 on the held-out messages in tests/data/assistant (when the checkout has them); then
(unless `--duration 0`) replies to 50 conversations at once through a real server
(assistant_replies.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afterward.bench import assistant_replies
from afterward.bench.common import BenchOptions, Figure, fresh_database, scratch_dir

DEFAULT_MESSAGES = 20_000
REPLY_SECONDS = 20.0  # of 50 conversations at once (assistant_replies.py)
ROOT = Path(__file__).resolve().parents[3]
HELD_OUT = ROOT / "tests" / "data" / "assistant" / "intents_test.csv"


def measure(messages: int = DEFAULT_MESSAGES, held_out: Path = HELD_OUT
            ) -> list[dict[str, Any]]:
    from afterward.assistant import intent_eval, intent_model, intents

    started, cpu = time.perf_counter(), time.process_time()
    intent_model.train_default()
    figures = [{"metric": "intent_train_s", "value": time.perf_counter() - started,
                "unit": "s"},
               {"metric": "intent_train_cpu_s", "value": time.process_time() - cpu,
                "unit": "s"}]
    intent_model.default_model()
    labelled = (intent_eval.read_labelled(held_out) if held_out.exists() else None)
    corpus = labelled.texts if labelled else [e.text for e in intent_model.read_examples()]
    sample = [corpus[i % len(corpus)] for i in range(messages)]
    started, cpu = time.perf_counter(), time.process_time()
    for text in sample:
        intents.recognise(text)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures += [{"metric": "intent_recognition_per_s", "value": messages / elapsed,
                 "unit": "messages/s"},
                # CPU time: what the rate would be on a core of its own
                {"metric": "intent_recognition_cpu_us_per_message",
                 "value": cpu / messages * 1e6, "unit": "us/message"}]
    if labelled:
        report = intent_eval.evaluate(labelled)
        figures += [{"metric": "intent_heldout_accuracy_ratio", "value": report["accuracy"],
                     "unit": "ratio"},
                    {"metric": "intent_heldout_macro_f1_ratio", "value": report["macro_f1"],
                     "unit": "ratio"}]
    return figures


def run(options: BenchOptions) -> Iterator[Figure]:
    for figure in measure(options.orders or DEFAULT_MESSAGES):
        yield Figure("assistant", figure["metric"], float(figure["value"]), figure["unit"],
                     options.backend)
    duration = options.seconds(REPLY_SECONDS)
    if duration <= 0:
        return
    with scratch_dir() as workdir, \
            fresh_database(options.backend, workdir, "assistant") as url:
        yield from assistant_replies.figures(url, workdir, options.backend,
                                             assistant_replies.DEFAULT_ORDERS, duration)
