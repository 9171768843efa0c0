"""Themes on the Olist reviews with words (Portuguese): NMF against k-means on the same
TF-IDF vectors, measured by the distinctiveness of their key phrases and UMass
coherence (insights/themes.py), and the NMF themes printed for a human to read.

    python scripts/themes_olist.py ../shared/data/olist [THEMES]
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from afterward.insights import text, themes
from afterward.insights.sentiment_eval import olist_reviews


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    rows = olist_reviews(Path(argv[0]))
    count = int(argv[1]) if len(argv) > 1 else None
    docs = [themes.Doc("review", i, t, datetime.fromisoformat(at).replace(tzinfo=UTC),
                       text.stars_to_score(stars)) for i, (at, t, stars) in enumerate(rows)]
    texts = [d.text for d in docs]
    found = {}
    for method in ("nmf", "kmeans"):
        started = time.perf_counter()
        found[method] = themes.find(docs, method=method, themes=count)
        print(json.dumps({"method": method, "texts": len(docs), "themes": len(found[method]),
                          "distinctiveness": round(themes.distinctiveness(found[method]), 3),
                          "umass": round(themes.umass(found[method], texts), 3),
                          "seconds": round(time.perf_counter() - started, 2)}), flush=True)
    for theme in found["nmf"]:
        print(f"{theme.size:5d}  {theme.sentiment:+.2f}  {' | '.join(theme.phrases)}")
        print(f"       e.g. {theme.examples[0]['text'][:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
