"""scripts/completejourney-orders.py turns The Complete Journey's transactions into
order lines that `eval-recs --format instacart` reads (tests/data/recs: a few rows
written for this test in the table's layout; no third-party content)."""

import importlib.util
from pathlib import Path

import pytest

from afterward.insights import basket_files

ROOT = Path(__file__).parent.parent.parent
TRANSACTIONS = ROOT / "tests" / "data" / "recs" / "completejourney_transactions.csv"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "completejourney_orders", ROOT / "scripts" / "completejourney-orders.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baskets_are_trips_in_time_order_with_each_product_once_and_households_filtered_by_size(
        script, tmp_path):
    out = tmp_path / "orders.csv"
    script.main([str(TRANSACTIONS), str(out), "--min-baskets", "2", "--max-baskets", "3",
                 "--min-item-count", "1"])
    assert out.read_text().splitlines() == [
        "order_id,user_id,order_number,product_id",
        "1,1,1,100", "1,1,1,200", "2,1,2,100",
        "3,3,1,100", "4,3,2,900", "5,3,3,200"]
    # household 1's last basket held only product 300, never bought before any
    # household's last basket: it is dropped with it (as the Reality Check's filter does)
    histories = basket_files.read(out, "instacart").histories
    assert sorted(histories) == ["1", "3"]


def test_rare_products_counted_before_the_last_basket_are_dropped_with_emptied_baskets(
        script, tmp_path):
    out = tmp_path / "orders.csv"
    script.main([str(TRANSACTIONS), str(out), "--min-baskets", "2", "--max-baskets", "3",
                 "--min-item-count", "2"])
    # only product 100 is bought twice before a last basket; household 3 keeps one
    # basket, so it goes
    assert out.read_text().splitlines() == [
        "order_id,user_id,order_number,product_id", "1,1,1,100", "2,1,2,100"]


def test_a_missing_number_for_an_option_is_refused(script, tmp_path):
    with pytest.raises(SystemExit) as stop:
        script.main([str(TRANSACTIONS), str(tmp_path / "o.csv"), "--min-baskets", "x"])
    assert str(stop.value).startswith("--min-baskets needs a whole number")
    assert not (tmp_path / "o.csv").exists()
