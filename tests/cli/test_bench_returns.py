"""`afterward bench returns`: every figure as a JSON line at tiny sizes, with no request
refused; the policy figures alone when the HTTP part is skipped."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from tests.conftest import ON_SQLITE_PASS

runner = CliRunner()
POLICY = ["policy_decision_us_per_line", "policy_decision_20rules_us_per_line"]


def load(prefix: str, per: str) -> list[str]:
    return [f"{prefix}_per_s", f"{prefix}_p50_ms", f"{prefix}_p95_ms", f"{prefix}_p99_ms",
            f"{prefix}_cpu_ms_per_{per}", f"{prefix}_errors"]


RETURNS_METRICS = [*POLICY, *load("returns_create", "return"),
                   *load("returns_create_2proc", "return"),
                   *load("portal_lookup_2proc", "request"), *load("portal_choose_2proc", "request"),
                   *load("portal_status_2proc", "request")]


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def test_without_http_load_only_the_policy_s_figures_are_printed():
    result = runner.invoke(app, ["bench", "returns", "--json", "--duration", "0"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["metric"], f["unit"], f["suite"]) for f in lines] == [
        (metric, "us/line", "returns") for metric in POLICY]
    assert all(0 < f["value"] < 10_000 for f in lines)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install "
                    "wrk); the HTTP figures of this suite need it")
@ON_SQLITE_PASS
def test_returns_prints_every_figure_and_every_request_made_a_return_or_a_page():
    result = runner.invoke(app, ["bench", "returns", "--json", "--orders", "3000",
                                 "--duration", "1"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["metric"] for f in lines] == RETURNS_METRICS
    by_name = {f["metric"]: f["value"] for f in lines}
    assert all(by_name[m] == 0 for m in RETURNS_METRICS if m.endswith("_errors"))
    assert by_name["returns_create_per_s"] > 0 and by_name["portal_choose_2proc_per_s"] > 0
    units = {f["metric"]: f["unit"] for f in lines}
    assert units["returns_create_per_s"] == "returns/s"
    assert units["portal_status_2proc_per_s"] == "requests/s"
