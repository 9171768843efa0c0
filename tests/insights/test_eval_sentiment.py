"""`afterward insights eval-sentiment --train FILE --test FILE --json`: Pearson's r of
the learned model and of VADER on the English rated set in tests/data, and each bad
CSV refused with its line named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afterward.cli.main import app
from afterward.insights import sentiment_eval

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN, TEST = DATA / "reviews_en_train.csv", DATA / "reviews_en_test.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["insights", "eval-sentiment", *args])


def test_the_json_report_gives_both_correlations_on_the_english_set():
    result = run("--train", str(TRAIN), "--test", str(TEST), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"pearson_r", "vader_pearson_r", "n"}
    assert report["n"] == 210
    # deterministic training (contiguous folds, exact solvers): exact to 4 places
    assert report["pearson_r"] == 0.8661
    assert report["vader_pearson_r"] == 0.7544


def test_without_json_it_prints_a_sentence(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("text,score\nlove it,5\nhate it,1\nfine,3\ngreat,5\nawful,1\n",
                     encoding="utf-8")
    test = tmp_path / "test.csv"
    test.write_text("text,score\nlove,5\nawful thing,1\nok,3\n", encoding="utf-8")

    result = run("--train", str(train), "--test", str(test))

    assert result.exit_code == 0, result.output
    assert "Pearson r on 3 texts (trained on 5): learned" in result.stdout


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty file; expected a header 'text,score'"),
    ("words,stars\nfine,3\n", "line 1: the header must name the columns 'text' and 'score'"),
    ("text,score\ngood,5\nbad,one\n", "line 3: score 'one' is not a number"),
    ("text,score\ngood,5\nbad,1,extra\n", "line 3: 3 fields, the header has 2"),
    ("text,score\ngood,5\n,1\n", "line 3: empty text"),
    ("text,score\ngood,5\nbad,nan\n", "line 3: score 'nan' is not a finite number"),
    ('text,score\ngood,5\n"multi\nline, ok",4\nbad,x\n', "line 5: score 'x' is not a number"),
    ("text,score\ngood,5\n", "1 rated text(s); at least 2 needed"),
])
def test_a_bad_training_file_is_refused_with_its_line(tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")

    result = run("--train", str(bad), "--test", str(TEST), "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in " ".join(result.output.split())


def test_a_missing_or_undecodable_file_is_named(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,score\nnão,5\n".encode("latin-1"))

    missing = run("--train", str(tmp_path / "nope.csv"), "--test", str(TEST))
    undecodable = run("--train", str(TRAIN), "--test", str(latin))

    assert (missing.exit_code, undecodable.exit_code) == (1, 1)
    assert "nope.csv: cannot read it" in " ".join(missing.output.split())
    assert "latin.csv: not UTF-8 text" in " ".join(undecodable.output.split())


def test_the_olist_reviews_split_by_time_into_train_and_test(tmp_path):
    folder = tmp_path / "olist"
    folder.mkdir()
    (folder / "olist_order_reviews_dataset.csv").write_text(
        "review_id,order_id,review_score,review_comment_title,review_comment_message,"
        "review_creation_date,review_answer_timestamp\n"
        "a,o1,5,Ótimo,chegou antes do prazo,2018-01-03 00:00:00,x\n"
        "b,o2,1,,não recebi,2018-01-01 00:00:00,x\n"
        "c,o3,4,,,2018-01-02 00:00:00,x\n"  # no words: left out
        "d,o4,3,ok,,2018-01-05 00:00:00,x\n"
        "e,o5,9,bad score,x,2018-01-06 00:00:00,x\n"  # not 1-5: left out
        "f,o6,2,demorou,muito,2018-01-04 00:00:00,x\n", encoding="utf-8")

    train, test = sentiment_eval.olist_split(folder, 0.5)

    assert [(t, s) for _, t, s in train] == [("não recebi", 1),
                                             ("Ótimo chegou antes do prazo", 5)]
    assert [(t, s) for _, t, s in test] == [("demorou muito", 2), ("ok", 3)]


def test_on_longer_reviews_unlike_the_training_snippets_it_still_beats_vader():
    result = run("--train", str(TRAIN), "--test", str(DATA / "reviews_en_long.csv"), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"pearson_r": 0.7312, "vader_pearson_r": 0.5081,
                                         "n": 60}
