"""The learning curve behind text.SWITCH_OVER: Pearson's r of the learned model on a
fixed test file as its training set grows (the latest N rated texts before the test
period; the mean and worst over up to 8 disjoint sets of
that size), beside VADER's and the tweaked lexicon's on the same test texts.

    python scripts/sentiment_learning_curve.py TRAIN.csv TEST.csv [N ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from afterward.insights import text
from afterward.insights.sentiment_eval import _unit, read_rated

REPEATS = 8


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    train, test = read_rated(Path(argv[0])), read_rated(Path(argv[1]))
    sizes = [int(a) for a in argv[2:]] or [25, 50, 100, 200, 400, 800, 1600, 3200]
    vader = text.pearson(text.vader_scores(test.texts), test.scores)
    lexicon = text.pearson(text.lexicon_scores(test.texts), test.scores)
    for size in sizes:
        if size > len(train.texts):
            continue
        # up to REPEATS disjoint training sets of this size, the latest first
        stacked, ridge = [], []
        for repeat in range(min(REPEATS, len(train.texts) // size)):
            stop = len(train.texts) - repeat * size
            texts, scores = train.texts[stop - size:stop], train.scores[stop - size:stop]
            if len(set(scores)) < 2:
                continue
            model = text.train(texts, _unit(scores))
            ridge.append(text.pearson(model.ridge_scores(test.texts), test.scores))
            stacked.append(text.pearson(model.score(test.texts), test.scores))
        print(json.dumps({"train_n": size, "sets": len(stacked),
                          "learned_r": round(sum(stacked) / len(stacked), 4),
                          "learned_r_min": round(min(stacked), 4),
                          "ridge_only_r": round(sum(ridge) / len(ridge), 4),
                          "vader_r": round(vader, 4), "lexicon_r": round(lexicon, 4),
                          "test_n": len(test.texts)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
