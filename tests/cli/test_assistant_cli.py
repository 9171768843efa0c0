"""`afterward assistant eval-intents FILE --json`: accuracy, macro F1 and per-intent
figures on a labelled CSV, every bad line named; and `afterward bench assistant`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from afterward.cli.main import app
from tests.conftest import ON_SQLITE_PASS

runner = CliRunner()
OTHERS = Path(__file__).parents[1] / "data" / "assistant" / "intents_others.csv"


def eval_intents(path, *args: str):
    return runner.invoke(app, ["assistant", "eval-intents", str(path), *args])


def test_the_json_report_scores_a_small_labelled_file(tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,intent,language\n"
        "Where is my order #1042?,where_is_my_order,en\n"
        "Wo bleibt meine Rückerstattung?,refund_status,de\n"
        "Où est mon colis ?,cancel_order,fr\n"  # labelled wrongly on purpose
        "Me conta uma piada,other,xx\n",  # the language column is ignored
        encoding="utf-8")

    result = eval_intents(labelled, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "accuracy": 0.75, "macro_f1": 0.6667, "n": 4, "per_intent": {
            "where_is_my_order": {"precision": 0.5, "recall": 1.0, "f1": 0.6667,
                                  "support": 1},
            "refund_status": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
            "cancel_order": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
            "other": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}}


def test_without_json_it_prints_a_table(tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,intent\nunsubscribe me,email_preferences\n", encoding="utf-8")

    result = eval_intents(labelled)

    assert result.exit_code == 0, result.output
    assert "1 messages: accuracy 1.000, macro F1 1.000" in result.stdout
    assert "email_preferences" in result.stdout


def test_every_bad_line_is_named_and_nothing_is_scored(tmp_path):
    labelled = tmp_path / "bad.csv"
    labelled.write_text("text,intent\n"
                        "where is my parcel,where_is_my_order\n"
                        "refund please,refunds\n"
                        "   ,other\n"
                        "one,two,three\n", encoding="utf-8")

    result = eval_intents(labelled, "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [" ".join(line.split()) for line in result.stderr.splitlines()]
    assert [line.split(": ", 1)[1] for line in lines] == [
        f"{labelled}, line 3: unknown intent 'refunds' (one of: where_is_my_order, "
        "delivery_date, start_return, refund_status, return_policy, cancel_order, "
        "change_address, complaint, leave_review, loyalty_points, talk_to_person, "
        "email_preferences, other)",
        f"{labelled}, line 4: empty text",
        f"{labelled}, line 5: 3 fields, the header has 2"]


def test_a_file_without_the_header_is_refused(tmp_path):
    labelled = tmp_path / "no_header.csv"
    labelled.write_text("where is my parcel,where_is_my_order\n", encoding="utf-8")

    result = eval_intents(labelled)

    assert result.exit_code == 1
    assert "line 1: the header must name the columns 'text' and 'intent'" in " ".join(
        result.stderr.split())


def test_a_missing_file_and_an_unknown_model_are_refused(tmp_path):
    assert "cannot read it" in eval_intents(tmp_path / "none.csv").stderr
    assert eval_intents(tmp_path / "none.csv", "--model", "gpt").exit_code == 1


def test_the_bench_suite_prints_each_figure_as_a_json_line():
    result = runner.invoke(app, ["bench", "assistant", "--json", "--orders", "50",
                                 "--duration", "0"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["suite"], f["metric"], f["unit"]) for f in lines] == [
        ("assistant", "intent_train_s", "s"),
        ("assistant", "intent_train_cpu_s", "s"),
        ("assistant", "intent_recognition_per_s", "messages/s"),
        ("assistant", "intent_recognition_cpu_us_per_message", "us/message"),
        ("assistant", "intent_heldout_accuracy_ratio", "ratio"),
        ("assistant", "intent_heldout_macro_f1_ratio", "ratio")]
    assert all(f["value"] > 0 for f in lines)
    assert [f["value"] for f in lines[4:]] == [0.869, 0.874]  # rounded to 3 places


@ON_SQLITE_PASS
def test_the_replies_under_load_come_from_a_real_server_and_every_one_is_answered(tmp_path):
    from afterward.bench import assistant_replies
    from afterward.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'replies.db'}"
    upgrade(url)
    lines = [f.as_dict() for f in assistant_replies.figures(
        url, tmp_path, "sqlite", orders=40, duration=1.0, conversations=5)]

    by_name = {f["metric"]: f for f in lines}
    assert [(f["metric"], f["unit"]) for f in lines] == [
        ("replies_per_s", "replies/s"), ("reply_p50_ms", "ms"), ("reply_p95_ms", "ms"),
        ("reply_p99_ms", "ms"), ("reply_mean_ms", "ms"), ("reply_errors", "count"),
        ("reply_cpu_ms_per_reply", "ms/reply"), ("reply_conversations", "count")]
    assert by_name["reply_errors"]["value"] == 0
    assert by_name["reply_conversations"]["value"] == 5
    assert by_name["replies_per_s"]["value"] > 0
    assert 0 < by_name["reply_p50_ms"]["value"] <= by_name["reply_p95_ms"]["value"] \
        <= by_name["reply_p99_ms"]["value"]


def test_on_messages_written_by_someone_else_the_accuracy_is_as_measured():
    # 1,097 messages by a second author (docs/assistant.md, "Measured on messages
    # written by someone else"); issue #17 asks for at least 0.80 on such messages.
    result = eval_intents(OTHERS, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["n"], report["accuracy"], report["macro_f1"]) == (1097, 0.9198, 0.9216)
