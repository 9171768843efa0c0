"""`afterward bench loyalty`: every figure as a JSON line at tiny sizes, with no
request refused; without HTTP load, the earning and service-read figures alone."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from tests.conftest import ON_SQLITE_PASS

runner = CliRunner()
EARNING = [("earn_bulk_entries_per_s", "entries/s"), ("earn_bulk_cpu_us_per_entry", "us/entry"),
           ("earn_plain_insert_entries_per_s", "entries/s"), ("earn_bulk_ratio", "ratio"),
           ("earn_bulk_cpu_ratio", "ratio"),
           ("earn_plain_insert_ledger_only_entries_per_s", "entries/s"),
           ("earn_bulk_ratio_ledger_only", "ratio"),
           ("earn_per_event_entries_per_s", "entries/s")]
SERVICE = [("balance_read_service_p50_ms", "ms"), ("balance_read_service_p99_ms", "ms"),
           ("balance_read_service_cpu_ms_per_read", "ms/read")]


def load(prefix: str, per: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_per_s", f"{per}s/s"), (f"{prefix}_p50_ms", "ms"),
            (f"{prefix}_p95_ms", "ms"), (f"{prefix}_p99_ms", "ms"),
            (f"{prefix}_cpu_ms_per_{per}", f"ms/{per}"), (f"{prefix}_errors", "count")]


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def figures(*args: str) -> list[dict]:
    result = runner.invoke(app, ["bench", "loyalty", "--json", "--orders", "300", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@ON_SQLITE_PASS
def test_without_http_load_the_earning_and_service_read_figures_are_printed():
    lines = figures("--duration", "0")

    assert [(f["metric"], f["unit"]) for f in lines] == EARNING + SERVICE
    assert {(f["suite"], f["backend"]) for f in lines} == {("loyalty", "sqlite")}
    assert all(f["value"] > 0 for f in lines)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install "
                    "wrk); the HTTP figures of this suite need it")
@ON_SQLITE_PASS
def test_loyalty_prints_every_figure_and_every_read_and_redemption_succeeded():
    lines = figures("--duration", "1")

    assert [(f["metric"], f["unit"]) for f in lines] == [
        *EARNING, *SERVICE, *load("balance_read_http", "read"), *load("redeem", "redemption")]
    by_name = {f["metric"]: f["value"] for f in lines}
    assert by_name["balance_read_http_errors"] == 0 and by_name["redeem_errors"] == 0
    assert by_name["balance_read_http_per_s"] > 0 and by_name["redeem_per_s"] > 0
