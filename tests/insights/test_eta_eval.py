"""`afterward insights eval-eta` on a small copy of the Olist data (tests/data/olist_small)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.insights import eta_eval

SMALL = Path(__file__).parent.parent / "data" / "olist_small"
runner = CliRunner()


def test_loading_keeps_delivered_orders_and_counts_the_malformed():
    loaded = eta_eval.load(SMALL)

    assert (loaded.read, loaded.delivered, len(loaded.orders)) == (67, 64, 62)
    assert loaded.skipped == {"missing_timestamp": 1, "out_of_order_timestamps": 1}
    first = min(loaded.orders, key=lambda o: o.order_id)
    assert first.route.carrier == "olist"
    assert first.purchased_at.utcoffset().total_seconds() == 0


def test_a_garbled_timestamp_is_skipped_and_counted(tmp_path):
    shutil.copytree(SMALL, tmp_path, dirs_exist_ok=True)
    orders = tmp_path / "olist_orders_dataset.csv"
    lines = orders.read_text().splitlines()
    fields = lines[1].split(",")
    fields[3] = "yesterday-ish"
    orders.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")

    loaded = eta_eval.load(tmp_path)

    assert loaded.skipped["bad_timestamp"] == 1
    assert len(loaded.orders) == 61


def test_the_holdout_trains_only_on_what_was_delivered_before_the_cut():
    train, test, cut = eta_eval.split(eta_eval.load(SMALL).orders)

    assert all(o.delivered_at < cut for o in train)
    assert all(o.purchased_at >= cut for o in test)
    assert (len(train), len(test)) == (49, 13)


def test_evaluation_figures_on_the_small_sample():
    report = eta_eval.evaluate(SMALL)

    assert report["cut"] == "2018-05-24T15:31:24+00:00"
    assert (report["train_orders"], report["test_orders"]) == (49, 13)
    assert report["ours_at_purchase"] == {
        "mae_days": 4.154, "inside_window_share": 1.0, "inside_window_exact_share": 0.9231,
        "on_or_before_latest_share": 1.0, "latest_mae_days": 17.308,
        "window_width_days": 21.01, "window_dates": 22.077}
    assert report["ours_at_handover"]["mae_days"] == 3.231
    assert report["ours_at_handover"]["inside_window_share"] == 0.9231
    assert report["olist"] == {"mae_days": 17.923, "on_or_before_share": 1.0}
    assert report["levels_at_handover"] == {"lane": 13}


@pytest.mark.parametrize("missing", ["olist_sellers_dataset.csv", "olist_orders_dataset.csv"])
def test_a_missing_file_is_named(tmp_path, missing):
    shutil.copytree(SMALL, tmp_path, dirs_exist_ok=True)
    (tmp_path / missing).unlink()

    with pytest.raises(eta_eval.OlistError, match=missing):
        eta_eval.load(tmp_path)


def test_no_usable_orders_is_an_error(tmp_path):
    shutil.copytree(SMALL, tmp_path, dirs_exist_ok=True)
    orders = tmp_path / "olist_orders_dataset.csv"
    orders.write_text(orders.read_text().splitlines()[0] + "\n")

    with pytest.raises(eta_eval.OlistError, match="no usable delivered orders"):
        eta_eval.evaluate(tmp_path)


def test_cli_prints_one_json_object():
    result = runner.invoke(app, ["insights", "eval-eta", "--olist", str(SMALL), "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"cut", "train_orders", "test_orders", "ours_at_purchase",
                           "ours_at_handover", "olist", "skipped_malformed"}
    assert report["ours_at_purchase"]["mae_days"] == 4.154
    assert report["olist"]["mae_days"] == 17.923
    assert report["skipped_malformed"] == 2


def test_cli_prints_a_table_by_default():
    result = runner.invoke(app, ["insights", "eval-eta", "--olist", str(SMALL)])

    assert result.exit_code == 0, result.output
    assert "Olist's estimate" in result.stdout
    assert "4.15" in result.stdout and "17.92" in result.stdout


def test_cli_fails_in_one_line_without_the_data(tmp_path):
    result = runner.invoke(app, ["insights", "eval-eta", "--olist", str(tmp_path / "nope")])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'} is not a directory"
