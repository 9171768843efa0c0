"""Order files for the recommendation evaluation, read into baskets: each customer's
orders, oldest first, each a set of item ids (strings).

Formats:
- `instacart`: Instacart's order lines as CSV (a first unnamed index column is
  allowed): `order_id, user_id, order_number, product_id` and any other columns; the
  orders of a customer are put in `order_number` order;
- `baskets`: one basket a line, items comma separated, no customer (`Baskets.anonymous`);
- `native`: Afterward's orders CSV (docs/csv-import.md): the customer by email (else
  phone; orders with neither are left out), items by `sku` (else `title`), orders by
  `placed_at`, then by file position.
Bad rows are refused with their line number (BasketsError)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

FORMATS = ("instacart", "baskets", "native")


class BasketsError(ValueError):
    pass


@dataclass
class Baskets:
    # customer -> their orders, oldest first, each a set of item ids
    histories: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    # baskets without a customer (the `baskets` format), in file order, each with its
    # items in the line's order (repeats dropped)
    anonymous: list[tuple[str, ...]] = field(default_factory=list)
    lines: int = 0


def read(path: Path, fmt: str) -> Baskets:
    if fmt not in FORMATS:
        raise BasketsError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return {"instacart": _instacart, "baskets": _baskets, "native": _native}[fmt](
                handle)
    except UnicodeDecodeError as exc:
        raise BasketsError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise BasketsError(exc.strerror or str(exc)) from exc


def _header(rows: Iterator[list[str]], required: tuple[str, ...]) -> dict[str, int]:
    names = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in required if name not in names]
    if missing:
        raise BasketsError(f"line 1: the header lacks {', '.join(missing)}")
    return {name: names.index(name) for name in required}


def _whole(text: str, line: int, column: str) -> int:
    cleaned = text.strip()
    if cleaned.endswith(".0"):  # pandas writes integer columns with NaNs as floats
        cleaned = cleaned[:-2]
    try:
        return int(cleaned)
    except ValueError:
        raise BasketsError(f"line {line}: {column} {text.strip()!r} is not a whole "
                           "number") from None


def _instacart(handle: TextIO) -> Baskets:
    rows = csv.reader(handle)
    at = _header(rows, ("order_id", "user_id", "order_number", "product_id"))
    width = max(at.values()) + 1
    orders: dict[str, tuple[str, int, set[str]]] = {}
    result = Baskets()
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise BasketsError(f"line {line}: expected at least {width} cells, got {len(row)}")
        order, user = row[at["order_id"]].strip(), row[at["user_id"]].strip()
        product = row[at["product_id"]].strip()
        number = _whole(row[at["order_number"]], line, "order_number")
        if not order or not user or not product:
            raise BasketsError(f"line {line}: order_id, user_id and product_id must not "
                               "be empty")
        known = orders.setdefault(order, (user, number, set()))
        if known[:2] != (user, number):
            raise BasketsError(f"line {line}: order {order} was given another user_id or "
                               "order_number on an earlier line")
        known[2].add(product)
        result.lines += 1
    by_user: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
    for user, number, items in orders.values():
        by_user[user].append((number, frozenset(items)))
    result.histories = {user: [items for _, items in sorted(found, key=lambda o: o[0])]
                        for user, found in by_user.items()}
    return result


def _baskets(handle: TextIO) -> Baskets:
    result = Baskets()
    rows = csv.reader(handle)
    for row in rows:
        items = tuple(dict.fromkeys(cell.strip() for cell in row if cell.strip()))
        if items:
            result.anonymous.append(items)
            result.lines += 1
    return result


def _native(handle: TextIO) -> Baskets:
    rows = csv.reader(handle)
    names = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in ("order_number", "placed_at", "title") if name not in names]
    if missing:
        raise BasketsError(f"line 1: the orders CSV lacks {', '.join(missing)}")
    orders: dict[str, tuple[str, datetime, int, set[str]]] = {}
    result = Baskets()
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise BasketsError(f"line {line}: expected {len(names)} cells, got {len(row)}")
        cells = dict(zip(names, (cell.strip() for cell in row), strict=True))
        number = cells["order_number"]
        if not number:
            raise BasketsError(f"line {line}: order_number is empty")
        item = cells.get("sku") or cells["title"]
        if not item:
            raise BasketsError(f"line {line}: the line has neither sku nor title")
        known = orders.get(number)
        if known is None:
            placed = _placed(cells["placed_at"], line)
            who = cells.get("email", "").lower() or cells.get("phone", "")
            known = orders[number] = (who, placed, line, set())
        elif cells["placed_at"] and _placed(cells["placed_at"], line) != known[1]:
            raise BasketsError(f"line {line}: placed_at differs from the order's first row")
        known[3].add(item)
        result.lines += 1
    by_customer: dict[str, list[tuple[datetime, int, frozenset[str]]]] = defaultdict(list)
    for who, placed, first_line, items in orders.values():
        if who:  # an order without a customer tells nothing about one
            by_customer[who].append((placed, first_line, frozenset(items)))
    result.histories = {who: [items for *_, items in sorted(found, key=lambda o: o[:2])]
                        for who, found in by_customer.items()}
    return result


def _placed(text: str, line: int) -> datetime:
    try:
        placed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BasketsError(f"line {line}: placed_at {text!r} is not an ISO date and "
                           "time") from None
    if placed.tzinfo is None:
        raise BasketsError(f"line {line}: placed_at needs an offset")
    return placed.astimezone(UTC)
