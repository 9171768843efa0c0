"""`afterward assistant eval-intents FILE`: accuracy and macro F1 of the intent model on
a labelled CSV (`text,intent`, a `language` column ignored), `other` counted as an
intent; and the tuning of the model's constants on a validation split of the
training file (docs/assistant.md)."""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterward.assistant.intent_model import Example, fold
from afterward.assistant.intents import INTENTS, decide
from afterward.assistant.language import word_set

MAX_TEXT = 20_000


class IntentFileError(ValueError):
    """A CSV that cannot be read as `text,intent`: each problem names its line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    intents: list[str]


def read_labelled(path: Path, *, max_problems: int = 20) -> Labelled:
    """`text,intent` rows after a header; every bad row is reported (up to
    max_problems), not just the first."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise IntentFileError([f"{path}: cannot read it ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise IntentFileError([f"{path}: not UTF-8 text"]) from exc
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise IntentFileError([f"{path}, line 1: {exc}"]) from exc
    if header is None:
        raise IntentFileError([f"{path}: empty file; expected a header 'text,intent'"])
    names = [name.strip().lower() for name in header]
    if "text" not in names or "intent" not in names:
        raise IntentFileError([f"{path}, line 1: the header must name the columns 'text' "
                               f"and 'intent' (found {','.join(header)!r})"])
    text_at, intent_at = names.index("text"), names.index("intent")
    texts: list[str] = []
    intents: list[str] = []
    problems: list[str] = []
    while len(problems) < max_problems:
        line = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            problems.append(f"{path}, line {line}: {exc}")
            break
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        problem = _row_problem(row, len(header), text_at, intent_at)
        if problem:
            problems.append(f"{path}, line {line}: {problem}")
            continue
        texts.append(row[text_at].strip())
        intents.append(row[intent_at].strip())
    if problems:
        raise IntentFileError(problems)
    if not texts:
        raise IntentFileError([f"{path}: no labelled messages after the header"])
    return Labelled(texts, intents)


def _row_problem(row: list[str], width: int, text_at: int, intent_at: int) -> str | None:
    if len(row) != width:
        return f"{len(row)} fields, the header has {width}"
    text, intent = row[text_at].strip(), row[intent_at].strip()
    if not text:
        return "empty text"
    if len(text) > MAX_TEXT:
        return f"text longer than {MAX_TEXT} characters"
    if intent not in INTENTS:
        return f"unknown intent {intent!r} (one of: {', '.join(INTENTS)})"
    return None


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """{"accuracy", "macro_f1", "n", "per_intent"}; macro F1 averages the intents that
    occur in the gold labels or the predictions."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            counts[g][0] += 1
        else:
            counts[p][1] += 1
            counts[g][2] += 1
    per_intent: dict[str, dict[str, float | int]] = {}
    for intent in (i for i in INTENTS if i in counts):
        tp, fp, fn = counts[intent]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {"precision": round(precision, 4), "recall": round(recall, 4),
                              "f1": round(f1, 4), "support": tp + fn}
    n = len(gold)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    macro = (sum(float(v["f1"]) for v in per_intent.values()) / len(per_intent)
             if per_intent else 0.0)
    return {"accuracy": round(correct / n, 4) if n else 0.0, "macro_f1": round(macro, 4),
            "n": n, "per_intent": per_intent}


def evaluate(labelled: Labelled,
             predict: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The shipped model's scores on a labelled file (or another predictor's)."""
    if predict is None:
        from afterward.assistant.intents import recognise

        def predict(text: str) -> str:
            return recognise(text).intent

    return scores(labelled.intents, [predict(text) for text in labelled.texts])


# -- tuning on the training file ------------------------------------------------------

_FILLER = word_set(
    "hi hello hey there good morning thanks thank you thx cheers please pls asap urgent "
    "hallo guten tag moin servus danke vielen dankeschon lg mfg bitte dringend bitteee "
    "bonjour salut bonsoir coucou bjr merci d'avance cordialement beaucoup bonne journee "
    "svp s'il vous plait stp ola oi bom dia boa tarde obrigado obrigada valeu grato obg "
    "por favor pfv urgente pf 0")
THRESHOLDS = tuple(step / 20 for step in range(16))  # 0, 0.05, ... 0.75
_TOKENS = re.compile(r"[^\W_]+", re.UNICODE)


def group_of(text: str) -> str:
    """Rows written from one phrasing (greetings, thanks, order numbers added) share
    their first three other words: a validation split keeps them on one side."""
    words = [w for w in _TOKENS.findall(fold(text)) if w not in _FILLER]
    return " ".join(words[:3])


def split(examples: Sequence[Example], share: float = 0.2, seed: int = 17
          ) -> tuple[list[Example], list[Example]]:
    """(train, validation), whole groups to one side, about `share` of each intent's
    groups in validation."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.intent, group_of(example.text))].append(example)
    rng = random.Random(seed)
    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in groups:
        by_intent[key[0]].append(key)
    held: set[tuple[str, str]] = set()
    for keys in by_intent.values():
        keys.sort()
        rng.shuffle(keys)
        held.update(keys[:max(1, round(len(keys) * share))])
    train = [e for key, rows in groups.items() if key not in held for e in rows]
    validation = [e for key, rows in groups.items() if key in held for e in rows]
    return train, validation


def tune(examples: Sequence[Example], *, cs: Sequence[float] = (0.3, 1.0, 3.0),
         scales: Sequence[float] = (1.0, 2.0, 3.0, 5.0, 8.0),
         thresholds: Sequence[float] = THRESHOLDS,
         ) -> dict[str, Any]:
    """The regularisation, the softmax scale (lowest log loss) and the threshold
    (highest macro F1) on a validation split of the training examples."""
    from afterward.assistant.intent_model import train_tfidf

    train, validation = split(examples)
    gold = [e.intent for e in validation]
    results = []
    for c in cs:
        model = train_tfidf([e.text for e in train], [e.intent for e in train], c=c)
        raw = [model.probabilities(e.text) for e in validation]  # scale 1
        best_scale = min(scales, key=lambda s: _log_loss(raw, model.labels, gold, s))
        probabilities = [_rescale(p, best_scale) for p in raw]
        for threshold in thresholds:
            predicted = [decide(model.labels, p, threshold)[0] for p in probabilities]
            result = scores(gold, predicted)
            results.append({"c": c, "scale": best_scale, "threshold": threshold,
                            "accuracy": result["accuracy"], "macro_f1": result["macro_f1"]})
    best = max(results, key=lambda r: (r["macro_f1"], r["accuracy"]))
    return {"best": best, "train_n": len(train), "validation_n": len(validation),
            "results": results}


def _rescale(probabilities: Sequence[float], scale: float) -> list[float]:
    logs = [scale * math.log(max(p, 1e-300)) for p in probabilities]
    top = max(logs)
    exp = [math.exp(v - top) for v in logs]
    total = sum(exp)
    return [v / total for v in exp]


def _log_loss(raw: Sequence[Sequence[float]], labels: Sequence[str], gold: Sequence[str],
              scale: float) -> float:
    at = {label: i for i, label in enumerate(labels)}
    return -sum(math.log(max(_rescale(p, scale)[at[g]], 1e-12))
                for p, g in zip(raw, gold, strict=True)) / len(gold)
