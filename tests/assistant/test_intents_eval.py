"""The evaluation's arithmetic (accuracy, per-intent precision/recall/F1, macro F1 with
`other` counted) and the validation split the model's constants were tuned on."""

from __future__ import annotations

from afterward.assistant import intent_eval
from afterward.assistant.intent_model import Example


def test_scores_count_other_as_an_intent():
    gold = ["cancel_order", "cancel_order", "other", "complaint"]
    predicted = ["cancel_order", "other", "other", "complaint"]

    report = intent_eval.scores(gold, predicted)

    assert report == {"accuracy": 0.75, "macro_f1": 0.7778, "n": 4, "per_intent": {
        "cancel_order": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
        "complaint": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        "other": {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}}}


def test_a_predictor_can_be_scored_on_a_labelled_file():
    labelled = intent_eval.Labelled(["a", "b"], ["other", "complaint"])

    report = intent_eval.evaluate(labelled, lambda text: "other")

    assert (report["accuracy"], report["macro_f1"]) == (0.5, 0.3333)


def test_rows_written_from_one_phrasing_share_a_group():
    assert intent_eval.group_of("hi, where is my order #1042 thanks") == "where is my"
    assert intent_eval.group_of("Where is my order?") == "where is my"
    assert intent_eval.group_of("bonjour, où est ma commande svp") == "ou est ma"


def test_the_validation_split_keeps_each_group_on_one_side():
    examples = [Example(f"{greeting} {phrase}", intent, "en")
                for intent, phrases in (("cancel_order", ("cancel it now", "stop my order",
                                                          "kill the order", "undo purchase",
                                                          "cancel everything")),
                                        ("other", ("tell a joke", "nice weather today",
                                                   "who are you", "sing a song",
                                                   "blue or red")))
                for phrase in phrases for greeting in ("hi", "hello", "hey")]

    train, validation = intent_eval.split(examples)

    held = {intent_eval.group_of(e.text) for e in validation}
    assert held.isdisjoint(intent_eval.group_of(e.text) for e in train)
    assert (len(train), len(validation)) == (24, 6)
    assert sorted({e.intent for e in validation}) == ["cancel_order", "other"]
