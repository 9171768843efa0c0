"""The sentiment model: the lexicon with review language, the learned model stacked on
it, scored in batches exactly as one by one, deterministic, in [-1, 1], and the
switch from the lexicon to the learned model at SWITCH_OVER rated texts."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pearsonr

from afterward.insights import text

DATA = Path(__file__).resolve().parents[1] / "data"


def rated(name: str) -> tuple[list[str], list[float]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [float(r["score"]) for r in rows]


@pytest.fixture(scope="module")
def model() -> text.LearnedModel:
    texts, stars = rated("reviews_en_train.csv")
    return text.train(texts, [text.stars_to_score(s) for s in stars])


@pytest.fixture(scope="module")
def test_texts() -> list[str]:
    return rated("reviews_en_test.csv")[0]


def test_stars_become_scores_from_minus_one_to_one():
    assert [text.stars_to_score(s) for s in (1, 2, 3, 4, 5)] == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_the_learned_model_scores_a_batch_as_it_scores_each_text_alone(model, test_texts):
    batch = model.score(test_texts)
    alone = np.array([model.score([one])[0] for one in test_texts])

    assert len(batch) == len(test_texts) == 210
    np.testing.assert_allclose(batch, alone, rtol=0, atol=1e-12)


def test_the_lexicon_scores_a_batch_as_plain_vader_would_one_by_one_once_tweaks_are_off(
        test_texts):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    plain = SentimentIntensityAnalyzer()

    assert list(text.vader_scores(test_texts[:50])) == [
        plain.polarity_scores(one.lower())["compound"] for one in test_texts[:50]]


def test_training_twice_on_the_same_texts_gives_the_same_model(model, test_texts):
    texts, stars = rated("reviews_en_train.csv")
    again = text.train(texts, [text.stars_to_score(s) for s in stars])

    assert again.version == model.version
    assert (again.w_ridge, again.w_lexicon, again.bias) == (
        model.w_ridge, model.w_lexicon, model.bias)
    np.testing.assert_array_equal(again.score(test_texts), model.score(test_texts))


def test_every_score_lies_between_minus_one_and_one(model, test_texts):
    extremes = ["AWFUL!!! Terrible, horrible, worst ever, broke, junk, refund!!!",
                "PERFECT!!! Love love love it, amazing, best ever, five stars!!!", "ok"]
    scores = model.score([*test_texts, *extremes])

    assert scores.min() >= -1.0 and scores.max() <= 1.0


def test_the_stack_weighs_both_the_ridge_and_the_lexicon_without_negative_weights(model):
    assert model.w_ridge > 0 and model.w_lexicon > 0
    assert model.trained_on == 599
    assert model.version.startswith(f"{text.MODEL_VERSION}-")


def test_review_language_moves_the_lexicon_where_plain_vader_misses_it():
    said = ["Total waste of money.", "It broke after a week.", "I returned it.",
            "Arrived late and damaged.", "Worth every penny.", "Sturdy and comfy."]

    plain = text.vader_scores(said)
    ours = text.lexicon_scores(said)

    assert list(plain) == [-0.4754, -0.4215, 0.0, -0.4404, 0.2263, 0.0]
    assert list(ours) == [-0.624, -0.5267, -0.4215, -0.7096, 0.5574, 0.6597]


def test_the_learned_model_beats_vader_on_the_held_out_english_texts(model):
    texts, stars = rated("reviews_en_test.csv")

    learned = text.pearson(model.score(texts), stars)
    vader = text.pearson(text.vader_scores(texts), stars)

    assert round(learned, 4) == 0.8661
    assert round(vader, 4) == 0.7544


def test_pearson_agrees_with_scipy_and_is_zero_for_a_constant_side():
    a, b = [1.0, 2.0, 3.0, 5.0], [2.0, 1.0, 4.0, 4.5]

    assert text.pearson(a, b) == pytest.approx(pearsonr(a, b)[0], abs=1e-12)
    assert text.pearson(a, [1.0, 1.0, 1.0, 1.0]) == 0.0
    assert text.pearson([1.0], [2.0]) == 0.0


def test_a_store_below_the_switch_over_point_gets_the_lexicon_and_at_it_its_own_model():
    texts, stars = rated("reviews_en_train.csv")
    below = text.scorer_for(texts[:text.SWITCH_OVER - 1],
                            [int(s) for s in stars[:text.SWITCH_OVER - 1]])
    at = text.scorer_for(texts[:text.SWITCH_OVER], [int(s) for s in stars[:text.SWITCH_OVER]])

    assert text.SWITCH_OVER == 100
    assert below.name == "vader"
    assert at.name.startswith("learned:1-")
    assert list(below.score(["Fell apart."])) == list(text.lexicon_scores(["Fell apart."]))


def test_a_model_needs_two_different_texts():
    with pytest.raises(ValueError, match="at least 2 different texts"):
        text.train(["same", "same", "same"], [1.0, -1.0, 0.0])
