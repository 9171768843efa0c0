"""`afterward import orders`: exit codes, error lines, the JSON report."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.commerce.models import Order, OrderLine
from tests.commerce.test_csv_format import row, text

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_on_test_database")


def orders_in(db) -> tuple[int, int]:
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(Order)),
                session.scalar(select(func.count()).select_from(OrderLine)))


def write(tmp_path, *rows: str):
    path = tmp_path / "orders.csv"
    path.write_text(text(*rows), encoding="utf-8")
    return path


def test_it_imports_a_good_file_and_prints_a_summary(db, store, tmp_path):
    path = write(tmp_path, row("1001"), row("1001", sku="MUG-1"), row("1002"))

    result = runner.invoke(app, ["import", "orders", str(path), "--store", "acme"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2 orders (3 lines); skipped 0 orders\n"
    assert orders_in(db) == (2, 3)


def test_reject_mode_prints_every_error_and_exits_1_having_written_nothing(db, store, tmp_path):
    path = write(tmp_path, row("1001", placed_at="yesterday"), row("1002"),
                 row("1003", currency="XXY", unit_price="1.999"))

    result = runner.invoke(app, ["import", "orders", str(path), "--store", "acme"])

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "line 2: placed_at: 'yesterday' is not an ISO 8601 date and time such as "
        "2026-03-01T10:00:00+01:00",
        "line 4: currency: unknown currency 'XXY': use an ISO 4217 code such as EUR",
    ]
    assert "2 error(s) in orders.csv; nothing was imported" in result.stderr
    assert orders_in(db) == (0, 0)


def test_skip_mode_with_json_imports_the_good_orders(db, store, tmp_path):
    path = write(tmp_path, row("1001"), row("1002", quantity="-2"), row("1003"))

    result = runner.invoke(app, ["import", "orders", str(path), "--store", "acme",
                                 "--on-error", "skip", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "imported_orders": 2, "imported_lines": 2, "skipped_orders": 1,
        "errors": [{"line": 3, "column": "quantity", "message": "'-2' is not a whole number"}]}
    assert orders_in(db) == (2, 2)


def test_a_non_utf8_file_fails_in_skip_mode_too(db, store, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(text(row("1001", last_name="Müller")).encode("latin-1"))

    result = runner.invoke(app, ["import", "orders", str(path), "--store", "acme",
                                 "--on-error", "skip", "--json"])

    assert result.exit_code == 1
    error = json.loads(result.stdout)["errors"][0]
    assert (error["line"], error["column"]) == (2, "file")
    assert error["message"].startswith("not UTF-8: invalid byte 0xfc at byte offset ")
    assert orders_in(db) == (0, 0)


def test_an_unknown_store_is_a_one_line_failure(db, tmp_path):
    path = write(tmp_path, row("1001"))

    result = runner.invoke(app, ["import", "orders", str(path), "--store", "nope"])

    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no store 'nope'"


def test_a_missing_file_is_refused(db, store, tmp_path):
    result = runner.invoke(app, ["import", "orders", str(tmp_path / "none.csv"),
                                 "--store", "acme"])

    assert result.exit_code == 2
