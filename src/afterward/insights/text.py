"""Sentiment of what customers wrote: a score in [-1, 1] for every text.

Two scorers:

- the lexicon baseline, VADER (vaderSentiment) with a few dozen words and phrases of
  review language added ("returned it", "broke after", "waste of money", "arrived
  late", "sturdy", ...; afterward/language/sentiment.py, shared with the assistant):
  English only, needs no training;
- the learned model, trained per store on its own star-rated texts (the stars are free
  labels: 1 -> -1, 3 -> 0, 5 -> +1): TF-IDF word 1-2-grams and character 2-5-grams
  (accents folded, so Portuguese or German work as well as English), a ridge
  regression on them, then *stacked* with the lexicon: a second least-squares fit on
  the ridge's out-of-fold predictions and the lexicon's score. On a small or foreign
  training set the stack leans on the lexicon, on a large one on the ridge, so it
  never falls far below the baseline on texts unlike its training set.

A store switches to the learned model once it has SWITCH_OVER rated texts (measured:
docs/insights.md). Everything here is deterministic (no random state: contiguous
folds, exact solvers), so the same texts and labels give the same model.

Scoring is batched: one sparse matrix product per batch (bench/sentiment.py measures
texts per second)."""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from afterward.language.sentiment import PHRASES, WORDS, review_lexicon  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # scikit-learn is imported where a model is trained or used
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

MODEL_VERSION = "1"
# Rated texts a store needs before its learned model replaces the lexicon (measured on
# Olist and the English set: docs/insights.md, "The switch-over point").
SWITCH_OVER = 100
# The latest rated texts a store's model trains on, at most: r barely moves past a few
# thousand (Olist: 0.864 at 1,600, 0.873 at 3,378) while training time grows with them.
MAX_TRAIN = 4000
RIDGE_ALPHA = 1.0
FOLDS = 5
MIN_TEXT_LENGTH = 2  # shorter texts (after trimming) carry no words to score

def stars_to_score(stars: float) -> float:
    """1 star -> -1, 3 -> 0, 5 -> +1."""
    return (float(stars) - 3.0) / 2.0


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """Plain VADER's compound score, the baseline the learned model is measured against."""
    lexicon = review_lexicon(False)
    return np.fromiter((lexicon.one(text) for text in texts), float, len(texts))


def lexicon_scores(texts: Sequence[str]) -> np.ndarray:
    """VADER with review language added: the score a store without enough ratings gets."""
    lexicon = review_lexicon(True)
    return np.fromiter((lexicon.one(text) for text in texts), float, len(texts))


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=True,
                            strip_accents="unicode", sublinear_tf=True, min_df=1,
                            token_pattern=r"(?u)\b\w+\b", dtype=np.float64)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True,
                            strip_accents="unicode", sublinear_tf=True, min_df=2,
                            dtype=np.float64)
    return words, chars


def _ridge() -> Ridge:
    from sklearn.linear_model import Ridge

    # sparse_cg on sparse input: deterministic, no random state
    return Ridge(alpha=RIDGE_ALPHA, solver="sparse_cg", tol=1e-6, max_iter=2000)


@dataclass
class LearnedModel:
    """A store's model: the vectorizers and ridge over the texts, and the stack
    final = clip(bias + w_ridge * ridge + w_lexicon * lexicon, -1, 1)."""

    words: TfidfVectorizer
    chars: TfidfVectorizer
    ridge: Ridge
    w_ridge: float
    w_lexicon: float
    bias: float
    trained_on: int
    fingerprint: str  # of the training texts and labels: the model's version

    @property
    def version(self) -> str:
        return f"{MODEL_VERSION}-{self.fingerprint[:10]}"

    def ridge_scores(self, texts: Sequence[str]) -> np.ndarray:
        return _ridge_predict(self.ridge, self.words, self.chars, texts)

    def score(self, texts: Sequence[str],
              lexicon: np.ndarray | None = None) -> np.ndarray:
        """Every text's score in one batch (`lexicon`: their lexicon_scores, if known)."""
        if not texts:
            return np.zeros(0)
        lex = lexicon_scores(texts) if lexicon is None else lexicon
        raw = self.bias + self.w_ridge * self.ridge_scores(texts) + self.w_lexicon * lex
        return np.clip(raw, -1.0, 1.0)


def _features(words: TfidfVectorizer, chars: TfidfVectorizer, texts: Sequence[str],
              fit: bool) -> Any:
    from scipy.sparse import hstack

    if fit:
        return hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    return hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def _ridge_predict(ridge: Ridge, words: TfidfVectorizer, chars: TfidfVectorizer,
                   texts: Sequence[str]) -> np.ndarray:
    return np.asarray(ridge.predict(_features(words, chars, texts, fit=False)), float)


def _fit_ridge(texts: Sequence[str], labels: np.ndarray
               ) -> tuple[Ridge, TfidfVectorizer, TfidfVectorizer]:
    words, chars = _vectorizers()
    if len(texts) < 2 or len(set(texts)) < 2:
        raise ValueError("a model needs at least 2 different texts")
    try:
        features = _features(words, chars, texts, fit=True)
    except ValueError:  # char min_df left nothing: a tiny set; keep every n-gram
        chars.set_params(min_df=1)
        features = _features(words, chars, texts, fit=True)
    ridge = _ridge()
    ridge.fit(features, labels)
    return ridge, words, chars


def fingerprint(texts: Sequence[str], labels: Sequence[float]) -> str:
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label:.4f}\x1f{text}\x1e".encode())
    return digest.hexdigest()


def train(texts: Sequence[str], scores: Sequence[float]) -> LearnedModel:
    """The learned model on these texts and their scores in [-1, 1] (stars_to_score)."""
    texts = list(texts)
    labels = np.asarray(scores, float)
    if len(texts) != len(labels):
        raise ValueError("as many scores as texts")
    lexicon = lexicon_scores(texts)
    # Out-of-fold ridge predictions (contiguous folds: deterministic) tell the stack
    # how far the ridge can be trusted on texts it did not see.
    folds = min(FOLDS, len(texts))
    out_of_fold = np.zeros(len(texts))
    bounds = np.linspace(0, len(texts), folds + 1).astype(int)
    for start, stop in itertools.pairwise(bounds):
        rest = texts[:start] + texts[stop:]
        if stop == start or len(set(rest)) < 2:
            continue
        ridge, words, chars = _fit_ridge(rest, np.concatenate([labels[:start], labels[stop:]]))
        out_of_fold[start:stop] = _ridge_predict(ridge, words, chars, texts[start:stop])
    w_ridge, w_lexicon, bias = _stack(out_of_fold, lexicon, labels)
    ridge, words, chars = _fit_ridge(texts, labels)
    return LearnedModel(words, chars, ridge, w_ridge, w_lexicon, bias, len(texts),
                        fingerprint(texts, list(labels)))


def _stack(ridge: np.ndarray, lexicon: np.ndarray, labels: np.ndarray
           ) -> tuple[float, float, float]:
    """Least squares of labels on [ridge, lexicon, 1], weights kept >= 0 (a weight
    that would go negative is dropped and the rest refitted)."""
    columns = [ridge, lexicon]
    keep = [0, 1]
    while True:
        design = np.column_stack([columns[i] for i in keep] + [np.ones(len(labels))])
        solution, *_ = np.linalg.lstsq(design, labels, rcond=None)
        weights = dict(zip(keep, solution[:-1], strict=True))
        negative = [i for i, w in weights.items() if w < 0]
        if not negative:
            return (float(weights.get(0, 0.0)), float(weights.get(1, 0.0)),
                    float(solution[-1]))
        keep = [i for i in keep if i not in negative]


def pearson(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Pearson's r (0 where either side is constant)."""
    x = np.asarray(a, float)
    y = np.asarray(b, float)
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    r = float(np.corrcoef(x, y)[0, 1])
    return 0.0 if math.isnan(r) else r


@dataclass(frozen=True)
class Scorer:
    """What a store's texts are scored with: its learned model, or the lexicon."""

    model: LearnedModel | None

    @property
    def name(self) -> str:
        return f"learned:{self.model.version}" if self.model is not None else "vader"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        lexicon = lexicon_scores(texts)
        if self.model is None:
            return lexicon
        return self.model.score(texts, lexicon)


def scorer_for(rated_texts: Sequence[str], stars: Sequence[int]) -> Scorer:
    """The learned model once there are SWITCH_OVER rated texts (trained on the last
    MAX_TRAIN of them: give them oldest first), else the lexicon."""
    if len(rated_texts) < SWITCH_OVER:
        return Scorer(None)
    return Scorer(train(list(rated_texts)[-MAX_TRAIN:],
                        [stars_to_score(s) for s in list(stars)[-MAX_TRAIN:]]))
