"""One recompute (insights/words.py) on a throwaway SQLite store of N reviews made from
the English snippets in tests/data, 200 SKUs: its outcome and when each stage began.

    N=100000 python scripts/words_scale.py
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterward.commerce import stores
from afterward.feedback.models import Review
from afterward.insights import words
from afterward.storage import bulk
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade

SNIPPETS = Path(__file__).resolve().parents[1] / "tests" / "data" / "reviews_en_train.csv"


def main() -> None:
    count = int(os.environ.get("N", "20000"))
    url = f"sqlite:///{tempfile.mkdtemp()}/scale.db"
    upgrade(url)
    db = Database(url)
    with SNIPPETS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(1)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with db.transaction() as session:
        store_id = stores.create_store(session, slug="scale", name="Scale", currency="EUR",
                                       timezone="UTC").id
        bulk.insert(session, Review, [{
            "store_id": store_id, "sku": f"SKU-{rng.randrange(200)}",
            "rating": int(rows[i % len(rows)]["score"]), "title": None,
            "body": f"{rows[i % len(rows)]['text']} #{i}", "author_name": "A",
            "source": "api", "status": "published",
            "submitted_at": start + timedelta(minutes=30 * i), "attributes": {}, "flags": [],
            "verified_buyer": False, "helpful": 0, "unhelpful": 0, "has_photos": False,
            "updated_at": start} for i in range(count)])
    began = time.perf_counter()
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, round(time.perf_counter() - began, 1))

    with db.transaction() as session:
        outcome = words.recompute(session, store_id, progress=progress)
    print(count, outcome.as_dict(), f"{time.perf_counter() - began:.1f} s", stages)


if __name__ == "__main__":
    main()
