"""Transaction files read into the repeat-purchase summary: CDNOW's equals its
published summary customer for customer, an event log's days are merged and cut at the
calibration end, Afterward's own orders CSV counts each order once with its amounts,
bad rows are refused with their line number, and `afterward insights clv` prints the
fits."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.insights import transactions
from afterward.insights.transactions import TransactionsError

DATA = Path(__file__).parents[1] / "data" / "cdnow"
CDNOW, SUMMARY = DATA / "CDNOW_sample.txt", DATA / "cdnow_customers_summary.csv"
END = date(1997, 9, 30)
runner = CliRunner()


def test_the_cdnow_summary_equals_the_published_one_customer_for_customer():
    summary, customers = transactions.summarise(transactions.read(CDNOW, "cdnow"), END)
    with SUMMARY.open(encoding="utf-8") as handle:
        published = {row["ID"]: (int(row["frequency"]), float(row["recency"]),
                                 float(row["T"])) for row in csv.DictReader(handle)}

    ours = {c: (int(summary.x[i]), round(float(summary.t_x[i]), 2),
                round(float(summary.T[i]), 2)) for i, c in enumerate(customers)}

    assert ours == published


def test_purchases_of_one_day_are_merged_and_later_ones_left_out(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("cust,date,sales\na,1997-01-01,10\na,19970101,5\na,1997-01-15,20\n"
                   "a,1997-01-29,40\na,1997-03-01,99\nb,1997-02-01,7\n", encoding="utf-8")

    summary, customers = transactions.summarise(transactions.read(log, "elog"),
                                                date(1997, 2, 5))

    assert customers == ["a", "b"]
    assert [float(v) for v in summary.x] == [2.0, 0.0]
    assert [float(v) for v in summary.t_x] == [4.0, 0.0]
    assert [round(float(v), 4) for v in summary.T] == [5.0, round(4 / 7, 4)]
    assert summary.m is not None and [float(v) for v in summary.m] == [30.0, 0.0]


def test_an_event_log_without_sales_has_no_spend(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("cust,date\na,1997-01-01\na,1997-01-08\n", encoding="utf-8")

    summary, _ = transactions.summarise(transactions.read(log, "elog"), END)

    assert (float(summary.x[0]), summary.m) == (1.0, None)


def test_afterwards_orders_csv_counts_each_order_once_with_its_amounts(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_number,placed_at,currency,email,title,quantity,unit_price,shipping,discount\n"
        "1,1997-01-01T23:30:00-02:00,EUR,Ada@Example.com,Tea,2,5.00,3.00,\n"
        "1,1997-01-01T23:30:00-02:00,EUR,Ada@Example.com,Cup,1,4.00,3.00,\n"
        "2,1997-01-16T10:00:00Z,EUR,ada@example.com,Tea,1,5.00,,1.00\n"
        "3,1997-01-20T10:00:00Z,EUR,,Tea,1,5.00,,\n", encoding="utf-8")

    purchases = transactions.read(orders, "native")

    assert sorted((p.customer, p.day.isoformat(), p.value) for p in purchases) == [
        ("ada@example.com", "1997-01-02", 17.0), ("ada@example.com", "1997-01-16", 4.0)]


@pytest.mark.parametrize(("fmt", "text", "problem"), [
    ("elog", "cust,when\na,1997-01-01\n", "line 1: the header must be cust,date"),
    ("elog", "cust,date\na,1997-13-01\n", "line 2: '1997-13-01' is not a date"),
    ("elog", "cust,date,sales\na,1997-01-01,-3\n", "line 2: sales must be a number >= 0"),
    ("elog", "cust,date,sales\na,1997-01-01,ten\n", "line 2: sales 'ten' is not a number"),
    ("elog", "cust,date\n,1997-01-01\n", "line 2: cust is empty"),
    ("elog", "cust,date\na,1997-01-01,9\n", "line 2: expected 2 cells, got 3"),
    ("cdnow", "1 2 19970101\n", "line 1: expected 4 or 5 columns"),
    ("native", "order_number,placed_at\n", "line 1: the orders CSV lacks quantity, "
                                            "unit_price"),
    ("native", "order_number,placed_at,quantity,unit_price,email\n"
               "1,1997-01-01T10:00:00,1,5.00,a@example.com\n", "line 2: placed_at needs an "
                                                               "offset"),
    ("native", "order_number,placed_at,quantity,unit_price,email\n"
               "1,1997-01-01T10:00:00Z,one,5.00,a@example.com\n", "line 2: quantity 'one'"),
])
def test_a_bad_row_is_refused_with_its_line(tmp_path, fmt, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(TransactionsError) as refused:
        transactions.read(path, fmt)

    assert str(refused.value).startswith(problem)


def test_the_clv_command_prints_the_fitted_models_as_json():
    result = runner.invoke(app, ["insights", "clv", "--transactions", str(CDNOW),
                                 "--format", "cdnow", "--calibration-end", "1997-09-30",
                                 "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["customers"], report["repeat_buyers"]) == (2357, 946)
    assert {k: round(v, 3) for k, v in report["bgnbd"].items()
            if k != "log_likelihood"} == {"r": 0.243, "alpha": 4.414, "a": 0.793,
                                          "b": 2.426}
    assert round(report["bgnbd"]["log_likelihood"], 1) == -9582.4
    assert round(report["pareto_nbd"]["s"], 3) == 0.606
    assert round(report["gamma_gamma"]["p"], 2) == 6.25


@pytest.mark.parametrize(("args", "problem"), [
    (["--format", "cdnow", "--calibration-end", "1997-02-30"], "is not a date"),
    (["--format", "csv", "--calibration-end", "1997-09-30"], "unknown format 'csv'"),
    (["--format", "cdnow", "--calibration-end", "1990-01-01"], "fewer than 2 customers"),
])
def test_the_clv_command_refuses_bad_options_readably(args, problem):
    result = runner.invoke(app, ["insights", "clv", "--transactions", str(CDNOW), *args])

    assert result.exit_code != 0
    assert problem in result.output
