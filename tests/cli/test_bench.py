"""`afterward bench`: the figures' JSON shape, tiny sizes; unknown suites fail in one line."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from tests.conftest import ON_SQLITE_PASS, PG_URL

runner = CliRunner()

INGEST_METRICS = ["http_orders_per_s", "http_p50_ms", "http_p95_ms", "http_p99_ms",
                  "http_errors", "http_2proc_orders_per_s", "http_2proc_p50_ms",
                  "http_2proc_p95_ms", "http_2proc_p99_ms", "http_2proc_errors",
                  "bulk_import_orders_per_s", "plain_insert_orders_per_s",
                  "bulk_import_ratio"]
UNITS = {"_per_s": "orders/s", "_ms": "ms", "_ratio": "ratio", "_errors": "count"}


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def figures(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def check_shape(lines: list[dict], backend: str, metrics: list[str]) -> None:
    assert [f["metric"] for f in lines] == metrics
    for figure in lines:
        assert set(figure) == {"suite", "metric", "value", "unit", "backend"}
        assert (figure["suite"], figure["backend"]) == ("ingest", backend)
        assert isinstance(figure["value"], int | float) and figure["value"] >= 0
        suffix = next(s for s in UNITS if figure["metric"].endswith(s))
        assert figure["unit"] == UNITS[suffix]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install "
                    "wrk); the HTTP figures need it")
@ON_SQLITE_PASS
def test_ingest_prints_every_figure_as_a_json_line_on_sqlite():
    result = runner.invoke(app, ["bench", "ingest", "--json", "--orders", "300",
                                 "--duration", "1"])

    assert result.exit_code == 0, result.output
    lines = figures(result.stdout)
    check_shape(lines, "sqlite", INGEST_METRICS)
    by_name = {f["metric"]: f["value"] for f in lines}
    assert by_name["http_errors"] == by_name["http_2proc_errors"] == 0
    assert by_name["http_orders_per_s"] > 0 and by_name["http_2proc_orders_per_s"] > 0
    assert by_name["bulk_import_ratio"] == pytest.approx(
        by_name["bulk_import_orders_per_s"] / by_name["plain_insert_orders_per_s"], rel=0.01)


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (AFTERWARD_TEST_DATABASE_URL)")
def test_ingest_runs_on_a_fresh_postgresql_database(monkeypatch):
    monkeypatch.setenv("AFTERWARD_BENCH_POSTGRES_URL", PG_URL)

    result = runner.invoke(app, ["bench", "ingest", "--json", "--backend", "postgresql",
                                 "--orders", "200", "--duration", "0"])

    assert result.exit_code == 0, result.output
    check_shape(figures(result.stdout), "postgresql", INGEST_METRICS[10:])


def test_postgresql_without_a_server_url_fails_in_one_line(monkeypatch):
    monkeypatch.delenv("AFTERWARD_BENCH_POSTGRES_URL", raising=False)
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", "sqlite:///./x.db")

    result = runner.invoke(app, ["bench", "ingest", "--backend", "postgresql",
                                 "--duration", "0"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "AFTERWARD_BENCH_POSTGRES_URL" in result.stderr


def test_an_unknown_suite_fails_in_one_line():
    result = runner.invoke(app, ["bench", "nope", "--json"])

    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: unknown suite 'nope'; "
                                     "one of: ingest, tracking, messaging, returns, loyalty, "
                                     "feedback, sentiment, assistant, concurrency, insights")


def test_the_plain_text_output_names_each_figure():
    result = runner.invoke(app, ["bench", "ingest", "--orders", "50", "--duration", "0"])

    assert result.exit_code == 0, result.output
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == INGEST_METRICS[10:]
    assert os.listdir(".") == []
