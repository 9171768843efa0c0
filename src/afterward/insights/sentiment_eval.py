"""`afterward insights eval-sentiment`: train the learned model on one CSV of rated
texts and report Pearson's r on another, beside VADER's on the same texts; and the
Olist reviews as such CSVs, split by time (scripts/olist_reviews_csv.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterward.insights import text as sentiment

MAX_TEXT = 20_000


class SentimentFileError(ValueError):
    """A CSV that cannot be read as `text,score`: the message names the line."""


@dataclass(frozen=True)
class Rated:
    texts: list[str]
    scores: list[float]


def read_rated(path: Path) -> Rated:
    """`text,score` rows (a header line first); a score is a number (stars 1-5 or any
    scale: Pearson's r does not care)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SentimentFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SentimentFileError(f"{path}: not UTF-8 text") from exc
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SentimentFileError(f"{path}, line 1: {exc}") from exc
    if header is None:
        raise SentimentFileError(f"{path}: empty file; expected a header 'text,score'")
    names = [name.strip().lower() for name in header]
    if "text" not in names or "score" not in names:
        raise SentimentFileError(f"{path}, line 1: the header must name the columns "
                                 f"'text' and 'score' (found {','.join(header)!r})")
    text_at, score_at = names.index("text"), names.index("score")
    texts: list[str] = []
    scores: list[float] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise SentimentFileError(f"{path}, line {line}: {exc}") from exc
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SentimentFileError(f"{path}, line {line}: {len(row)} fields, the header "
                                     f"has {len(header)}")
        text = row[text_at].strip()
        if not text:
            raise SentimentFileError(f"{path}, line {line}: empty text")
        if len(text) > MAX_TEXT:
            raise SentimentFileError(f"{path}, line {line}: text longer than {MAX_TEXT} "
                                     f"characters")
        try:
            score = float(row[score_at])
        except ValueError:
            raise SentimentFileError(f"{path}, line {line}: score {row[score_at]!r} is "
                                     f"not a number") from None
        if score != score or score in (float("inf"), float("-inf")):
            raise SentimentFileError(f"{path}, line {line}: score {row[score_at]!r} is "
                                     f"not a finite number")
        texts.append(text)
        scores.append(score)
    if len(texts) < 2:
        raise SentimentFileError(f"{path}: {len(texts)} rated text(s); at least 2 needed")
    return Rated(texts, scores)


def _unit(scores: Sequence[float]) -> list[float]:
    """Scores to [-1, 1] for training: stars (all within 1-5) through stars_to_score,
    anything else min-max scaled."""
    low, high = min(scores), max(scores)
    if low >= 1 and high <= 5:
        return [sentiment.stars_to_score(s) for s in scores]
    if high == low:
        return [0.0 for _ in scores]
    return [2 * (s - low) / (high - low) - 1 for s in scores]


def evaluate(train: Rated, test: Rated) -> dict[str, Any]:
    """{"pearson_r", "vader_pearson_r", "n"} plus the lexicon's r and the stack's
    weights, for the docs."""
    if len(set(train.texts)) < 2:
        raise SentimentFileError("the training file needs at least 2 different texts")
    model = sentiment.train(train.texts, _unit(train.scores))
    learned = model.score(test.texts)
    return {"pearson_r": round(sentiment.pearson(learned, test.scores), 4),
            "vader_pearson_r": round(sentiment.pearson(sentiment.vader_scores(test.texts),
                                                       test.scores), 4),
            "n": len(test.texts),
            "lexicon_pearson_r": round(sentiment.pearson(
                sentiment.lexicon_scores(test.texts), test.scores), 4),
            "train_n": len(train.texts),
            "stack": {"ridge": round(model.w_ridge, 4), "lexicon": round(model.w_lexicon, 4),
                      "bias": round(model.bias, 4)}}


def olist_reviews(folder: Path) -> list[tuple[str, str, int]]:
    """(created, text, score) of every Olist review with words (title + message),
    oldest first."""
    path = folder / "olist_order_reviews_dataset.csv"
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise SentimentFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    rows: list[tuple[str, str, int]] = []
    with handle:
        for row in csv.DictReader(handle):
            words = " ".join(part.strip() for part in (row.get("review_comment_title") or "",
                                                       row.get("review_comment_message") or "")
                             if part and part.strip())
            score = (row.get("review_score") or "").strip()
            if not words or score not in {"1", "2", "3", "4", "5"}:
                continue
            rows.append((row.get("review_creation_date") or "", " ".join(words.split()),
                         int(score)))
    rows.sort(key=lambda r: r[0])
    return rows


def olist_split(folder: Path, train_share: float = 0.8
                ) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """The earlier `train_share` of the reviews to train on, the later ones to test."""
    rows = olist_reviews(folder)
    cut = int(len(rows) * train_share)
    return rows[:cut], rows[cut:]


def write_rated(path: Path, rows: Sequence[tuple[str, str, int]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "score"])
        for _, text, score in rows:
            writer.writerow([text, score])
