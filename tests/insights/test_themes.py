"""Themes on a small fixed corpus: three topics found with their exact labels, sizes,
sentiment, months, typical texts and products; too few texts give none; the measures
of coherence on known cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from afterward.insights import themes

CORPUS = [
    ("The zipper broke after a week", -0.8, "BAG-1"),
    ("Zipper broke on the first trip", -0.9, "BAG-1"),
    ("The zipper broke and the strap tore", -0.9, "BAG-1"),
    ("Cheap zipper broke quickly", -0.7, "BAG-2"),
    ("Delivery was late by two weeks", -0.6, None),
    ("Late delivery and no tracking updates", -0.7, None),
    ("The delivery came late again", -0.5, "MUG-1"),
    ("Very late delivery, annoying", -0.6, "MUG-1"),
    ("Soft fabric and a lovely colour", 0.9, "TEE-1"),
    ("Lovely colour, soft fabric, fits well", 0.95, "TEE-1"),
    ("Soft fabric, lovely colour", 0.8, "TEE-2"),
    ("The fabric is soft and the colour lovely", 0.85, "TEE-1"),
]


def docs() -> list[themes.Doc]:
    return [themes.Doc("review" if i % 2 else "return", i + 1, text,
                       datetime(2026, 1 + i % 3, 5, tzinfo=UTC), score, sku)
            for i, (text, score, sku) in enumerate(CORPUS)]


def test_three_topics_are_found_with_their_labels_and_figures():
    found = themes.find(docs(), themes=3)

    assert [(t.label, t.size, t.sentiment) for t in found] == [
        ("late delivery", 4, -0.6),
        ("lovely colour, soft fabric, fabric lovely", 4, 0.875),
        ("zipper broke", 4, -0.825),
    ]
    zipper = found[2]
    assert zipper.months == {"2026-01": 2, "2026-02": 1, "2026-03": 1}
    assert [e["ref"] for e in zipper.examples] == [1, 2, 3]
    assert zipper.examples[0] == {"source": "return", "ref": 1,
                                  "text": "The zipper broke after a week", "score": -0.8}
    assert zipper.products == [{"sku": "BAG-1", "count": 3, "sentiment": -0.8667},
                               {"sku": "BAG-2", "count": 1, "sentiment": -0.7}]
    assert found[0].products == [{"sku": "MUG-1", "count": 2, "sentiment": -0.55}]


def test_finding_twice_gives_the_same_themes():
    first = themes.find(docs(), themes=3)
    again = themes.find(docs(), themes=3)

    assert [(t.label, t.doc_indexes) for t in first] == [(t.label, t.doc_indexes)
                                                         for t in again]


def test_accents_are_one_word_and_labels_keep_the_spelling_customers_used():
    said = ["não recebi o pedido", "nao recebi nada", "não recebi ainda", "não recebi",
            "ótimo produto chegou rápido", "otimo, chegou rápido", "ótimo chegou rápido",
            "ótimo e chegou rápido"]
    found = themes.find([themes.Doc("review", i, t, datetime(2026, 1, 1, tzinfo=UTC), 0.0)
                         for i, t in enumerate(said)], themes=2)

    assert sorted(t.label for t in found) == ["chegou rápido, ótimo chegou", "não recebi"]


def test_too_few_texts_or_no_shared_words_give_no_themes():
    few = docs()[:themes.MIN_TEXTS - 1]
    unrelated = [themes.Doc("review", i, word, datetime(2026, 1, 1, tzinfo=UTC), 0.0)
                 for i, word in enumerate(["alpha", "bravo", "charlie", "delta", "echo",
                                           "foxtrot", "golf", "hotel", "india"])]

    assert themes.find(few) == []
    assert themes.find(unrelated) == []


def test_the_number_of_themes_grows_with_the_texts_within_bounds():
    assert [themes.theme_count(n) for n in (8, 50, 200, 1000, 100_000)] == [2, 5, 10, 12, 12]


def test_distinctiveness_counts_the_phrases_no_other_theme_has():
    def theme(*phrases: str) -> themes.Theme:
        return themes.Theme("x", list(phrases), 1, 0.0, {}, [])

    assert themes.distinctiveness([theme("a", "b"), theme("c", "d")]) == 1.0
    assert themes.distinctiveness([theme("a", "b"), theme("a", "c")]) == 0.5
    assert themes.distinctiveness([]) == 0.0


def test_umass_is_zero_for_words_always_seen_together_and_negative_otherwise():
    together = themes.Theme("x", ["red", "apple"], 1, 0.0, {}, [])
    texts = ["red apple", "red apple", "green pear", "red car"]

    # the pair (apple after red): log((D(red, apple) + 1) / D(red)) = log(3 / 3)
    assert themes.umass([together], texts) == 0.0
    apart = themes.Theme("y", ["red", "pear"], 1, 0.0, {}, [])  # log(1 / 3)
    assert themes.umass([apart], texts) == math.log(1 / 3)


def test_texts_repeated_word_for_word_still_give_their_themes():
    # two texts five times each: fewer independent texts than NNDSVD's start needs
    said = ["Zipper broke. The zipper broke again. [x]\"><img src=x onerror=alert(1)>"] * 5
    said += ["Lovely. Soft fabric and a lovely colour."] * 5
    found = themes.find([themes.Doc("review", i, t, datetime(2026, 1, 1, tzinfo=UTC), 0.0)
                         for i, t in enumerate(said)])

    assert [(t.size, t.doc_indexes) for t in found] == [(5, [0, 1, 2, 3, 4]),
                                                        (5, [5, 6, 7, 8, 9])]


def test_a_large_store_s_themes_are_learned_from_its_latest_texts_and_place_them_all(
        monkeypatch):
    monkeypatch.setattr(themes, "FIT_TEXTS", 9)  # the 3 oldest texts are only placed
    found = themes.find(docs(), themes=3)

    assert sorted((t.label, t.size) for t in found) == [
        ("late delivery", 4), ("lovely colour, soft fabric, fabric lovely", 4),
        ("zipper broke", 4)]
