"""The other candidate: wordllama's static token embeddings (the 256-dimension
"l2_supercat" files inside its wheel, loaded directly: it never downloads), averaged
over the message, and a logistic regression. Measured against the TF-IDF model in
docs/assistant.md; kept for that comparison (`eval-intents --model`), not served."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from afterward.assistant.intent_model import MAX_CHARS

_lock = threading.Lock()
_encoder: Any = None


class EmbeddingUnavailable(RuntimeError):
    """wordllama (or its bundled files) is not installed here."""


def _files() -> tuple[Path, Path]:
    try:
        import wordllama
    except ImportError as exc:
        raise EmbeddingUnavailable("wordllama is not installed (the 'bench' extra)") from exc
    root = Path(wordllama.__file__).parent
    return (root / "tokenizers" / "l2_supercat_tokenizer_config.json",
            root / "weights" / "l2_supercat_256.safetensors")


def encoder() -> Any:
    """wordllama's inference object over its bundled tokenizer and weights."""
    global _encoder
    with _lock:
        if _encoder is None:
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from wordllama.inference import WordLlamaInference

            tokenizer_file, weights_file = _files()
            if not tokenizer_file.exists() or not weights_file.exists():
                raise EmbeddingUnavailable(f"wordllama's files are missing ({weights_file})")
            with safe_open(str(weights_file), framework="np") as handle:
                embedding = handle.get_tensor("embedding.weight")
            _encoder = WordLlamaInference(embedding, Tokenizer.from_file(str(tokenizer_file)))
        return _encoder


def embed(texts: Sequence[str]) -> Any:
    """Unit-length mean token embeddings, one row per text."""
    return encoder().embed([text[:MAX_CHARS].lower() for text in texts], norm=True)


class EmbeddingIntentModel:
    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.labels = tuple(str(label) for label in classifier.classes_)

    def probabilities_many(self, texts: Sequence[str]) -> list[list[float]]:
        return [list(row) for row in self.classifier.predict_proba(embed(texts)).tolist()]

    def probabilities(self, text: str) -> list[float]:
        return self.probabilities_many([text])[0]


def train_embedding(texts: Sequence[str], intents: Sequence[str], *, c: float = 10.0
                    ) -> EmbeddingIntentModel:
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=c, max_iter=1000)
    classifier.fit(embed(texts), list(intents))
    return EmbeddingIntentModel(classifier)
