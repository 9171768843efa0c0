"""Recall@k and NDCG@k as computed by hand; each customer's last order held out;
the three order files read into the same baskets; `afterward insights eval-recs`
prints one JSON line per method, and refuses bad files with their line number."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.insights import basket_files, recs_eval
from afterward.insights.basket_files import BasketsError
from afterward.insights.recommend import TifuParams

DATA = Path(__file__).parents[1] / "data" / "recs"
INSTACART, NATIVE, BASKETS = (DATA / "orders_instacart.csv", DATA / "orders_native.csv",
                              DATA / "baskets.csv")
runner = CliRunner()
HISTORIES = {
    "ann": [frozenset({"milk", "bread"}), frozenset({"milk", "eggs"}),
            frozenset({"milk", "bread", "jam"}), frozenset({"milk", "jam"})],
    "bob": [frozenset({"eggs", "tea"}), frozenset({"tea"}), frozenset({"tea", "eggs"})],
    "cy": [frozenset({"milk", "tea"})],
}
ONE_HIT_FIRST = 1 / (1 + 1 / math.log2(3))  # NDCG@2 of [hit, miss], two relevant


def test_recall_and_ndcg_at_k_as_computed_by_hand():
    ranked, truth = ["a", "b", "c", "d"], {"b", "d", "e"}
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)

    assert recs_eval.recall_at_k(ranked, truth, 3) == pytest.approx(1 / 3)
    assert recs_eval.ndcg_at_k(ranked, truth, 3) == pytest.approx((1 / math.log2(3)) / ideal)
    assert recs_eval.recall_at_k(ranked, truth, 4) == pytest.approx(2 / 3)
    assert recs_eval.ndcg_at_k(ranked, truth, 4) == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert (recs_eval.recall_at_k(ranked, set(), 3), recs_eval.ndcg_at_k(ranked, set(), 3)) \
        == (0.0, 0.0)


def test_the_last_order_of_each_customer_with_two_or_more_is_held_out():
    train, test = recs_eval.split_last(HISTORIES)

    assert train == {"ann": HISTORIES["ann"][:3], "bob": HISTORIES["bob"][:2],
                     "cy": HISTORIES["cy"]}
    assert test == {"ann": frozenset({"milk", "jam"}), "bob": frozenset({"tea", "eggs"})}


def test_the_baselines_score_as_computed_by_hand():
    # popular [milk, tea]: ann hits first, bob second; personal_top: ann [milk,
    # bread] one of two, bob [tea, eggs] both
    results = list(recs_eval.evaluate(HISTORIES, k=2, methods=["popular", "personal_top"]))

    assert results == [
        {"method": "popular", "recall_at_k": 0.5, "ndcg_at_k": 0.5, "users": 2},
        {"method": "personal_top", "recall_at_k": 0.75,
         "ndcg_at_k": round((ONE_HIT_FIRST + 1) / 2, 6), "users": 2}]


def test_tifu_knn_and_copurchase_are_scored_on_the_same_customers():
    results = list(recs_eval.evaluate(
        HISTORIES, k=2, methods=["tifu_knn", "copurchase"],
        tifu=TifuParams(within_decay=0.5, group_decay=1.0, groups=1, neighbours=1,
                        alpha=1.0)))

    # tifu_knn with alpha 1 is the decayed own frequency: ann [milk, bread], bob
    # [tea, eggs]; copurchase with the previous order: ann {milk, bread, jam} -> [tea,
    # eggs] (ties to the more popular), bob {tea} -> [milk, eggs]
    assert results == [
        {"method": "tifu_knn", "recall_at_k": 0.75,
         "ndcg_at_k": round((ONE_HIT_FIRST + 1) / 2, 6), "users": 2,
         "params": {"within_decay": 0.5, "group_decay": 1.0, "groups": 1,
                    "neighbours": 1, "alpha": 1.0}},
        {"method": "copurchase", "recall_at_k": 0.25,
         "ndcg_at_k": round((1 - ONE_HIT_FIRST) / 2, 6), "users": 2}]


def test_new_items_only_score_what_the_customer_never_bought():
    histories = {"ann": [frozenset({"milk"}), frozenset({"milk", "tea"})],
                 "bob": [frozenset({"tea", "jam"}), frozenset({"jam"})],
                 "cy": [frozenset({"tea", "eggs"})]}

    results = list(recs_eval.evaluate(histories, k=1, methods=["popular"], new_items=True))

    # bob's last order has nothing new; ann's new tea is the most popular she lacks
    assert results == [{"method": "popular", "recall_at_k": 1.0, "ndcg_at_k": 1.0,
                        "users": 1}]


def test_tuning_on_too_little_data_keeps_the_defaults():
    assert recs_eval.tune_tifu({"ann": HISTORIES["ann"][:2]}, 10) == TifuParams()


def test_tuning_picks_parameters_from_the_grid_on_the_validation_orders():
    params = recs_eval.tune_tifu(HISTORIES, 2)

    assert params.within_decay in recs_eval.TIFU_DECAYS["within_decay"]
    assert params.neighbours in recs_eval.NEIGHBOURS
    assert params.alpha in recs_eval.ALPHAS


def test_tuning_on_a_sample_of_validation_customers_is_seeded():
    histories = {f"c{i}": [frozenset({"milk", f"x{i % 3}"}), frozenset({"milk", "tea"}),
                           frozenset({"tea", f"x{i % 3}"}), frozenset({"milk"})]
                 for i in range(12)}

    first = recs_eval.tune_tifu(histories, 2, sample=4)

    assert recs_eval.tune_tifu(histories, 2, sample=4) == first


def test_baskets_without_customers_find_each_later_baskets_last_item():
    # trained on a,b / a,b / c,d / c,a; the basket d,c asks for c given d
    results = list(recs_eval.evaluate_anonymous(
        basket_files.read(BASKETS, "baskets").anonymous, k=2))

    assert results == [
        {"method": "popular", "recall_at_k": 0.0, "ndcg_at_k": 0.0, "users": 1},
        {"method": "copurchase", "recall_at_k": 1.0, "ndcg_at_k": 1.0, "users": 1}]


def test_instacart_lines_become_each_users_orders_in_order_number_order():
    baskets = basket_files.read(INSTACART, "instacart")

    assert baskets.histories == HISTORIES
    assert baskets.lines == 16


def test_the_native_orders_csv_gives_customers_by_email_and_items_by_sku_or_title():
    baskets = basket_files.read(NATIVE, "native")
    rename = {"MILK": "milk", "BREAD": "bread", "EGGS": "eggs", "TEA": "tea",
              "Strawberry jam": "jam"}

    assert {who: [frozenset(rename[i] for i in b) for b in orders]
            for who, orders in baskets.histories.items()} == {
        f"{name}@example.com": orders for name, orders in HISTORIES.items()}


@pytest.mark.parametrize(("fmt", "text", "problem"), [
    ("instacart", ",order_id,user_id,product_id\n", "line 1: the header lacks order_number"),
    ("instacart", ",order_id,user_id,order_number,product_id\n0,1,u,1,p\n1,2,u,two,p\n",
     "line 3: order_number 'two' is not a whole number"),
    ("instacart", ",order_id,user_id,order_number,product_id\n0,1,u,1,p\n1,1,v,1,q\n",
     "line 3: order 1 was given another user_id or order_number"),
    ("instacart", ",order_id,user_id,order_number,product_id\n0,1,u,1\n",
     "line 2: expected at least 5 cells, got 4"),
    ("native", "order_number,placed_at,title\nA,2026-01-01T10:00:00,Tea\n",
     "line 2: placed_at needs an offset"),
    ("native", "order_number,placed_at,title\nA,2026-01-01T10:00:00Z,Tea\nA,,\n",
     "line 3: the line has neither sku nor title"),
    ("native", "order_number,title\n", "line 1: the orders CSV lacks placed_at"),
    ("elog", "", "unknown format 'elog'"),
])
def test_bad_files_are_refused_with_their_line_number(tmp_path, fmt, text, problem):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(BasketsError, match=problem):
        basket_files.read(path, fmt)


def test_a_file_that_is_not_utf8_is_refused_with_the_byte(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"a,b\n\xff,c\n")

    with pytest.raises(BasketsError, match="not UTF-8 \\(invalid start byte at byte 4\\)"):
        basket_files.read(path, "baskets")


def test_eval_recs_prints_one_json_line_per_method():
    result = runner.invoke(app, ["insights", "eval-recs", "--orders", str(INSTACART),
                                 "--format", "instacart", "--k", "2", "--json"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["method"] for line in lines] == [
        "popular", "personal_top", "tifu_knn", "als", "copurchase"]
    assert lines[:2] == [
        {"method": "popular", "recall_at_k": 0.5, "ndcg_at_k": 0.5, "users": 2},
        {"method": "personal_top", "recall_at_k": 0.75,
         "ndcg_at_k": round((ONE_HIT_FIRST + 1) / 2, 6), "users": 2}]
    assert all(set(line) == {"method", "recall_at_k", "ndcg_at_k", "users"}
               and 0 <= line["recall_at_k"] <= 1 and line["users"] == 2 for line in lines)


def test_eval_recs_on_the_native_file_equals_the_instacart_one():
    def run(path: Path, fmt: str) -> list[dict[str, object]]:
        result = runner.invoke(app, ["insights", "eval-recs", "--orders", str(path),
                                     "--format", fmt, "--k", "2", "--json"])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    native, instacart = run(NATIVE, "native"), run(INSTACART, "instacart")

    assert [(r["method"], r["recall_at_k"], r["users"]) for r in native if r["method"]
            != "als"] == [(r["method"], r["recall_at_k"], r["users"]) for r in instacart
                          if r["method"] != "als"]


def test_eval_recs_prints_a_table_with_the_chosen_parameters_for_people():
    result = runner.invoke(app, ["insights", "eval-recs", "--orders", str(INSTACART),
                                 "--format", "instacart", "--k", "2"])

    assert result.exit_code == 0, result.output
    assert "Last order of 2 customers" in result.output
    assert "personal_top" in result.output and "0.7500" in result.output
    assert "tifu_knn: within_decay = " in result.output


def test_eval_recs_prints_a_table_for_baskets_without_customers():
    result = runner.invoke(app, ["insights", "eval-recs", "--orders", str(BASKETS),
                                 "--format", "baskets", "--k", "2"])

    assert result.exit_code == 0, result.output
    assert "Leave-last-item-out on 1 baskets" in result.output
    assert "copurchase" in result.output and "1.0000" in result.output


@pytest.mark.parametrize(("text", "args", "problem"), [
    (",order_id,user_id,order_number,product_id\n0,1,u,x,p\n", [],
     "line 2: order_number 'x' is not a whole number"),
    (",order_id,user_id,order_number,product_id\n0,1,u,1,p\n0,2,v,1,p\n", [],
     "no customer has two orders"),
    (",order_id,user_id,order_number,product_id\n0,1,u,1,p\n", ["--k", "0"],
     "--k must be 1 or more"),
])
def test_eval_recs_refuses_bad_input_with_a_readable_error(tmp_path, text, args, problem):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")

    result = runner.invoke(app, ["insights", "eval-recs", "--orders", str(path),
                                 "--format", "instacart", "--json", *args])

    assert result.exit_code == 1
    assert problem in result.output.replace("\n", "")


def test_the_evaluations_copurchase_ranks_as_recommend_complementary_does():
    from afterward.insights import recommend

    baskets = [frozenset(b) for b in ({"a", "b"}, {"a", "c"}, {"c", "d"}, {"c", "e"},
                                      {"b", "e", "f"}, {"f"}, {"a", "f", "c"})]
    data = recommend.Data({str(i): [b] for i, b in enumerate(baskets)})
    scorer = recs_eval.Copurchase(data, {})

    for query in ({"a"}, {"e"}, {"c", "f"}, {"b", "d"}):
        ranked = recommend.top_k(scorer.ranking(query)[None, :], 10, data.popularity)[0]
        expected = recommend.complementary(baskets, query, limit=10)
        assert [data.items[j] for j in ranked][:len(expected)] == expected
        assert len(ranked) == len(data.items) - len(query)
