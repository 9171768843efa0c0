"""`afterward bench feedback`: every figure as a JSON line at tiny sizes, every page
answered; without HTTP load, the seeding, feed and sentiment figures alone."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from tests.conftest import ON_SQLITE_PASS

runner = CliRunner()
SEED_AND_FEED = [("seed_reviews_per_s", "reviews/s"), ("feed_peak_kib_10pct", "KiB"),
                 ("feed_peak_kib", "KiB"), ("feed_memory_ratio", "ratio"),
                 ("feed_seconds", "s"), ("feed_reviews_per_s", "reviews/s"), ("feed_mb", "MB")]
SENTIMENT = [("sentiment_train_s", "s"), ("sentiment_lexicon_texts_per_s", "texts/s"),
             ("sentiment_lexicon_cpu_us_per_text", "us/text"),
             ("sentiment_learned_texts_per_s", "texts/s"),
             ("sentiment_learned_cpu_us_per_text", "us/text")]


def load(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_per_s", "requests/s"), (f"{prefix}_p50_ms", "ms"),
            (f"{prefix}_p95_ms", "ms"), (f"{prefix}_p99_ms", "ms"),
            (f"{prefix}_errors", "count"), (f"{prefix}_cpu_ms_per_request", "ms/request")]


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def figures(*args: str) -> list[dict]:
    result = runner.invoke(app, ["bench", "feedback", "--json", "--orders", "500", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@ON_SQLITE_PASS
def test_without_http_load_the_seeding_and_feed_figures_are_printed():
    lines = figures("--duration", "0")

    assert [(f["metric"], f["unit"]) for f in lines] == SEED_AND_FEED + SENTIMENT
    assert {(f["suite"], f["backend"]) for f in lines} == {("feedback", "sqlite")}
    assert all(f["value"] > 0 for f in lines)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install "
                    "wrk); the HTTP figures of this suite need it")
@ON_SQLITE_PASS
def test_feedback_prints_every_figure_and_every_page_was_answered():
    lines = figures("--duration", "1")

    by_name = {f["metric"]: f["value"] for f in lines}
    assert [(f["metric"], f["unit"]) for f in lines] == [
        *SEED_AND_FEED, *load("review_page"), *load("review_json"), *load("review_widget"),
        *load("review_page_2proc"), *load("review_json_2proc"), *SENTIMENT], by_name
    assert [by_name[f"{n}_errors"] for n in ("review_page", "review_json", "review_widget",
                                             "review_page_2proc", "review_json_2proc")
            ] == [0] * 5, by_name
    assert by_name["review_page_per_s"] > 0 and by_name["review_json_per_s"] > 0
