"""`afterward bench insights`: a quick run (the CDNOW sample, 2,000 synthetic
customers and order lines) prints every figure as a JSON line with its unit, our
BG/NBD agrees with lifetimes', and without lifetimes the suite says what to install."""

from __future__ import annotations

import json
import sys

from typer.testing import CliRunner

from afterward.cli.main import app

runner = CliRunner()


def test_a_quick_run_prints_every_figure_with_its_unit_and_the_fits_agree():
    result = runner.invoke(app, ["bench", "insights", "--json", "--orders", "2000"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["suite"], f["metric"], f["unit"], f["backend"]) for f in lines] == [
        ("insights", "bgnbd_fit_seconds", "s", "sqlite"),
        ("insights", "lifetimes_fit_seconds", "s", "sqlite"),
        ("insights", "bgnbd_speedup_ratio", "ratio", "sqlite"),
        ("insights", "bgnbd_cpu_speedup_ratio", "ratio", "sqlite"),
        ("insights", "bgnbd_max_param_diff", "abs", "sqlite"),
        ("insights", "clv_1m_seconds", "s", "sqlite"),
        ("insights", "clv_1m_cpu_seconds", "s", "sqlite"),
        ("insights", "clv_1m_peak_mib", "MiB", "sqlite"),
        ("insights", "recs_train_1m_seconds", "s", "sqlite"),
        ("insights", "recs_train_1m_cpu_seconds", "s", "sqlite"),
        ("insights", "recs_score_customers_per_s", "customers/s", "sqlite")]
    figures = {f["metric"]: f["value"] for f in lines}
    assert figures["bgnbd_max_param_diff"] < 1e-3
    assert all(value > 0 for metric, value in figures.items()
               if metric not in ("bgnbd_max_param_diff", "recs_train_1m_seconds",
                                 "recs_train_1m_cpu_seconds"))


def test_without_lifetimes_the_suite_says_to_install_the_bench_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "lifetimes", None)  # import lifetimes fails

    result = runner.invoke(app, ["bench", "insights", "--json", "--orders", "2000"])

    assert result.exit_code != 0
    assert "lifetimes 0.11.3, which is not installed: install the bench extra" in (
        result.output)
