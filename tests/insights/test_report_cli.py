"""`afterward insights report --store S -o FILE`: one self-contained HTML file with
the page's charts and tables (its CSS inline, nothing fetched from any host), an
empty store's report that says so, and one-line refusals with a non-zero exit."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from tests.insights.kpi_scene import build
from tests.journeys.test_results import seed_winback_results

runner = CliRunner()


@pytest.fixture(autouse=True)
def database_env(monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")


def test_the_report_is_one_file_with_the_charts_and_tables(db, store, tmp_path):
    build(db, store.id)
    seed_winback_results(db, store.id)
    target = tmp_path / "report.html"

    result = runner.invoke(app, ["insights", "report", "--store", store.slug, "-o",
                                 str(target), "--days", "365"])

    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") or "<!doctype html>" in html[:400]
    assert "<style>" in html and ".heat-5" in html and "&#34;" not in html.split("</style>")[0]
    assert '<svg class="heatmap" id="cohort-heatmap"' in html
    assert '<svg class="histogram" id="clv-histogram"' in html
    assert 'id="kpi-table"' in html and 'id="cohort-table"' in html
    assert 'id="program-winback"' in html
    assert re.findall(r"https?://", html) == []  # nothing to fetch, no link out
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "NaN" not in html


def test_an_empty_store_s_report_says_so(store, tmp_path):
    target = tmp_path / "empty.html"

    result = runner.invoke(app, ["insights", "report", "--store", store.slug, "-o", str(target)])

    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "No orders yet" in html and 'id="no-programs"' in html and "NaN" not in html


@pytest.mark.parametrize(("args", "message"), [
    (["--store", "nope", "-o", "{tmp}/r.html"], "no store 'nope'"),
    (["--store", "acme", "-o", "{tmp}/missing/folder/r.html"], "cannot write"),
    (["--store", "acme", "-o", "{tmp}"], "it is a folder"),
    (["--store", "acme", "-o", "{tmp}/r.html", "--days", "7"], "--days must be one of"),
])
def test_refusals_are_one_line_with_a_non_zero_exit(store, tmp_path, args, message):
    result = runner.invoke(app, ["insights", "report",
                                 *(a.format(tmp=tmp_path) for a in args)])

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "r.html").exists()
