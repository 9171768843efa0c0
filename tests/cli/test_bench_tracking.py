"""`afterward bench tracking`: every figure as a JSON line, tiny sizes; the data it
loads is a store whose parcels a generic carrier webhook and a tracking page reach."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from afterward.bench.tracking import load_store
from afterward.cli.main import app
from afterward.storage.db import Database
from afterward.tracking.models import Shipment, TrackingEvent
from tests.conftest import ON_SQLITE_PASS, PG_URL

runner = CliRunner()


def metrics_for(infix: str) -> list[str]:
    batch, single, page = (f"webhook_batch{infix}", f"webhook_single{infix}",
                           f"tracking_page{infix}")
    return [f"{batch}_events_per_s", f"{batch}_cpu_ms_per_event", f"{batch}_errors",
            f"{single}_events_per_s", f"{single}_p50_ms", f"{single}_p95_ms",
            f"{single}_p99_ms", f"{single}_cpu_ms_per_request", f"{single}_errors",
            f"{page}_per_s", f"{page}_p50_ms", f"{page}_p95_ms", f"{page}_p99_ms",
            f"{page}_cpu_ms_per_request", f"{page}_errors"]


TRACKING_METRICS = metrics_for("") + metrics_for("_2proc")
UNITS = {"_events_per_s": "events/s", "_page_per_s": "requests/s", "_page_2proc_per_s":
         "requests/s", "_ms": "ms", "_per_event": "ms/event", "_per_request": "ms/request",
         "_errors": "count"}


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install "
                    "wrk); every figure of this suite needs it")
@ON_SQLITE_PASS
def test_tracking_prints_every_figure_as_a_json_line_on_sqlite():
    result = runner.invoke(app, ["bench", "tracking", "--json", "--orders", "200",
                                 "--duration", "1"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["metric"] for f in lines] == TRACKING_METRICS
    for figure in lines:
        assert set(figure) == {"suite", "metric", "value", "unit", "backend"}
        assert (figure["suite"], figure["backend"]) == ("tracking", "sqlite")
        assert isinstance(figure["value"], int | float) and figure["value"] >= 0
        suffix = next(s for s in UNITS if figure["metric"].endswith(s))
        assert figure["unit"] == UNITS[suffix], figure
    by_name = {f["metric"]: f["value"] for f in lines}
    assert all(by_name[m] == 0 for m in TRACKING_METRICS if m.endswith("_errors"))
    assert all(by_name[m] > 0 for m in TRACKING_METRICS if m.endswith("_per_s"))


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL or shutil.which("wrk") is None,
                    reason="needs PostgreSQL (AFTERWARD_TEST_DATABASE_URL) and wrk")
def test_tracking_runs_on_fresh_postgresql_databases(monkeypatch):
    monkeypatch.setenv("AFTERWARD_BENCH_POSTGRES_URL", PG_URL)

    result = runner.invoke(app, ["bench", "tracking", "--json", "--backend", "postgresql",
                                 "--orders", "100", "--duration", "1"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["metric"] for f in lines] == TRACKING_METRICS
    assert {f["backend"] for f in lines} == {"postgresql"}
    assert all(f["value"] == 0 for f in lines if f["metric"].endswith("_errors"))


def test_without_load_the_suite_prints_nothing():
    result = runner.invoke(app, ["bench", "tracking", "--json", "--duration", "0"])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_the_bulk_loaded_store_has_a_parcel_per_order_with_its_scans(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"

    slug, tokens, numbers = load_store(url, 30)

    db = Database(url)
    try:
        with db.reading() as session:
            shipments = session.query(Shipment).order_by(Shipment.id).all()
            assert [s.token for s in shipments] == tokens
            assert [s.tracking_number for s in shipments] == numbers
            assert session.query(TrackingEvent).count() == 90
            assert all(s.order_id and len(s.lines) >= 1 for s in shipments)
    finally:
        db.dispose()
    assert slug == "bench" and len(set(tokens)) == 30
