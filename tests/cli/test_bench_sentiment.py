"""`afterward bench sentiment`: the training time and texts scored per second by the
lexicon and by the learned model, as JSON lines; `measure` gives the same figures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from afterward.bench import sentiment
from afterward.cli.main import app

runner = CliRunner()


def test_the_suite_prints_each_figure_as_a_json_line():
    result = runner.invoke(app, ["bench", "sentiment", "--json", "--orders", "500"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["suite"], f["metric"], f["unit"], f["backend"]) for f in lines] == [
        ("sentiment", "sentiment_train_s", "s", "sqlite"),
        ("sentiment", "sentiment_lexicon_texts_per_s", "texts/s", "sqlite"),
        ("sentiment", "sentiment_lexicon_cpu_us_per_text", "us/text", "sqlite"),
        ("sentiment", "sentiment_learned_texts_per_s", "texts/s", "sqlite"),
        ("sentiment", "sentiment_learned_cpu_us_per_text", "us/text", "sqlite")]
    assert all(f["value"] > 0 for f in lines)


def test_measure_names_the_texts_it_scored():
    figures = sentiment.measure(texts=300, batch=100)

    assert [(f["metric"], f["texts"]) for f in figures] == [
        ("sentiment_train_s", 599), ("sentiment_lexicon_texts_per_s", 300),
        ("sentiment_lexicon_cpu_us_per_text", 300), ("sentiment_learned_texts_per_s", 300),
        ("sentiment_learned_cpu_us_per_text", 300)]
