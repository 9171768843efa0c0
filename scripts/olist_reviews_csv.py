"""Write the Olist reviews with words as two `text,score` CSVs split by time: the
earlier 80% to train on, the later 20% to test (afterward insights eval-sentiment).

    python scripts/olist_reviews_csv.py ../shared/data/olist /tmp/train.csv /tmp/test.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

from afterward.insights.sentiment_eval import olist_split, write_rated


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    folder, train_path, test_path = (Path(a) for a in argv[:3])
    share = float(argv[3]) if len(argv) == 4 else 0.8
    train, test = olist_split(folder, share)
    write_rated(train_path, train)
    write_rated(test_path, test)
    print(f"{len(train)} reviews to train on (to {train[-1][0][:10]}), {len(test)} to test "
          f"(from {test[0][0][:10]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
