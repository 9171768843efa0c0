"""Synthetic order files in the CSV import format, for benchmarks and the demo."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterward.commerce.ingest.csv_format import COLUMNS

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Linus", "Ken",
          "Frances", "Tim", "Radia", "Niklaus", "Hedy", "John", "Sophie")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Torvalds",
         "Thompson", "Allen", "Berners-Lee", "Perlman", "Wirth", "Lamarr", "Backus", "Wilson")
_CITIES = (("Berlin", "10115", "DE"), ("Paris", "75001", "FR"), ("Lyon", "69001", "FR"),
           ("Munich", "80331", "DE"), ("Vienna", "1010", "AT"), ("Madrid", "28001", "ES"))
_ITEMS = tuple((f"SKU-{i:03d}", f"Product {i}", f"{(i * 7) % 40 + 3}.{(i * 13) % 100:02d}")
               for i in range(60))


def order_rows(count: int, *, lines: int = 3, seed: int = 7, prefix: str = "B",
               customers: int | None = None) -> list[list[str]]:
    """`count` orders of `lines` lines each, every order-level cell repeated on each row."""
    rng = random.Random(seed)
    people = customers or max(1, count * 7 // 10)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        person = rng.randrange(people)
        first, last = _FIRST[person % len(_FIRST)], _LAST[(person // 7) % len(_LAST)]
        city, postal, country = _CITIES[person % len(_CITIES)]
        placed = (start + timedelta(minutes=n * 3)).isoformat()
        phone = f"+49301234{person % 10000:04d}" if person % 2 else ""
        head = [f"{prefix}{n + 1}", placed, "EUR", f"c{person}@example.com", phone, first,
                last]
        tail = ["4.95", "0", "1.00" if n % 5 == 0 else "0", city, postal, country]
        for item in rng.sample(_ITEMS, lines):
            rows.append([*head, item[0], item[1], str(rng.randint(1, 3)), item[2], *tail])
    return rows


def write_orders_csv(path: str | Path, count: int, **options: int | str) -> Path:
    import csv

    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(order_rows(count, **options))  # type: ignore[arg-type]
    return path
