"""The intent classifier: TF-IDF over word and character n-grams of the accent-folded
text, and a linear support vector machine whose scores become probabilities through a
softmax (scaled: SCALE), trained at first use from the examples
shipped in assistant/data/intents_train*.csv (about a second) and kept per process.

Scoring one message is done here rather than through scikit-learn's transform and
predict_proba: a server classifies one message at a time, and the library's checks
cost more than the arithmetic (a few thousand messages a second instead of a few
hundred). The result is the same probabilities (tests/assistant/test_intents.py).

docs/assistant.md compares it with wordllama embeddings (afterward.assistant.
intent_embedding) and gives the held-out figures."""

from __future__ import annotations

import csv
import itertools
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAINING_FILE = Path(__file__).with_name("data") / "intents_train.csv"
# A second author's examples in other styles (docs/assistant.md, "Measured on messages
# written by someone else"): trained on together with the first file.
MORE_TRAINING_FILE = Path(__file__).with_name("data") / "intents_train_more.csv"
TRAINING_FILES = (TRAINING_FILE, MORE_TRAINING_FILE)
# Below this probability the answer is `other`: tuned on a validation split of the
# training file (intent_eval.tune; docs/assistant.md), not on the test file.
THRESHOLD = 0.4
C = 3.0  # the machine's inverse regularisation (intent_eval.tune picked it)
SCALE = 5.0  # the softmax's: the lowest log loss on the validation split
MAX_CHARS = 2000  # a longer message is read from its start: the question comes first

_NUMBER = re.compile(r"#?[a-z]{0,2}\d[\d\-/.]*")
_WORD = re.compile(r"[^\W_]+|[^\w\s]", re.UNICODE)
_REPEAT = re.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str


def read_examples(path: Path | None = None) -> list[Example]:
    """The examples of one file, or of all the shipped training files."""
    if path is None:
        return [e for each in TRAINING_FILES for e in read_examples(each)]
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], row["intent"], row.get("language") or "unknown")
                for row in csv.DictReader(handle)]


def fold(text: str) -> str:
    """Lower case without accents, numbers as one token (#1042 and 77 alike), letters
    repeated three times or more as two ("pleeeease" -> "pleease")."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower().replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NUMBER.sub(" 0 ", text)
    return _REPEAT.sub(r"\1\1", text)


def features(text: str) -> list[str]:
    """Words, word pairs and the character 2- to 5-grams inside each padded word, of
    the folded text."""
    words = _WORD.findall(fold(text))
    out = [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    for word in words:
        padded = f" {word} "
        for n in range(2, 6):
            out += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return out


@dataclass(frozen=True)
class Linear:
    weights: Any  # (features, labels)
    bias: Any
    labels: tuple[str, ...]


class TfidfIntentModel:
    """Fitted with scikit-learn; scores one message with plain dictionaries and numpy."""

    def __init__(self, vocabulary: dict[str, int], idf: Any, weights: Any, bias: Any,
                 labels: Sequence[str], languages: Linear | None = None) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights  # (features, labels)
        self.bias = bias
        self.labels = tuple(labels)
        self.languages = languages

    def probabilities(self, text: str) -> list[float]:
        import numpy as np

        scores = self._scores(self._vector(text), self.weights, self.bias)
        exp = np.exp(scores - scores.max())
        return list((exp / exp.sum()).tolist())

    def language(self, text: str) -> str:
        """The language the examples' column suggests ("unknown" among them)."""
        if self.languages is None:
            return "unknown"
        scores = self._scores(self._vector(text), self.languages.weights,
                              self.languages.bias)
        return self.languages.labels[int(scores.argmax())]

    def _vector(self, text: str) -> tuple[Any, Any] | None:
        import numpy as np

        counts = Counter(features(text))
        found = [(self.vocabulary[term], count) for term, count in counts.items()
                 if term in self.vocabulary]
        if not found:
            return None
        index = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
        tf = np.fromiter((1.0 + math.log(c) for _, c in found), dtype=np.float64,
                         count=len(found))
        values = tf * self.idf[index]
        values /= math.sqrt(float(values @ values))
        return index, values

    @staticmethod
    def _scores(vector: tuple[Any, Any] | None, weights: Any, bias: Any) -> Any:
        if vector is None:
            return bias
        index, values = vector
        return values @ weights[index] + bias

    def probabilities_many(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.probabilities(text) for text in texts]


def train_tfidf(texts: Sequence[str], intents: Sequence[str], *, c: float = C,
                kind: str = "svm", scale: float = 1.0,
                languages: Sequence[str] | None = None) -> TfidfIntentModel:
    """kind "svm" (served) or "lr" (a logistic regression, for the comparison)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float64)
    matrix = vectorizer.fit_transform(texts)
    classifier = _classifier(kind, c)
    classifier.fit(matrix, list(intents))
    return TfidfIntentModel(
        {str(term): int(i) for term, i in vectorizer.vocabulary_.items()},
        vectorizer.idf_.astype(np.float64),
        np.ascontiguousarray(classifier.coef_.T * scale, dtype=np.float64),
        classifier.intercept_.astype(np.float64) * scale,
        [str(label) for label in classifier.classes_],
        _language_model(matrix, languages) if languages is not None else None)


def _classifier(kind: str, c: float) -> Any:
    if kind == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=c, random_state=0)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="saga", max_iter=100, random_state=0)


def _language_model(matrix: Any, languages: Sequence[str]) -> Linear:
    import numpy as np
    from sklearn.svm import LinearSVC

    classifier = LinearSVC(C=1.0, random_state=0).fit(matrix, list(languages))
    return Linear(np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
                  classifier.intercept_.astype(np.float64),
                  tuple(str(label) for label in classifier.classes_))


_lock = threading.Lock()
_model: TfidfIntentModel | None = None


def default_model() -> TfidfIntentModel:
    """The model trained on the shipped examples, once per process."""
    global _model
    with _lock:
        if _model is None:
            _model = train_default()
        return _model


class ModelUnavailable(RuntimeError):
    """numpy or scikit-learn is missing: the `models` extra."""


def train_default() -> TfidfIntentModel:
    examples = read_examples()
    try:
        return train_tfidf([e.text for e in examples], [e.intent for e in examples],
                           scale=SCALE, languages=[e.language for e in examples])
    except ImportError as exc:
        raise ModelUnavailable(f"the assistant's intent model needs the 'models' extra "
                               f"(pip install 'afterward[models]'): {exc}") from exc
