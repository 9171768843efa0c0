"""Transaction files for the CLV models, read into the repeat-purchase summary
(clv.Summary): one customer per first purchase on or before the calibration end,
purchases of one day merged, time in weeks (days / 7).

Formats:
- `cdnow`: whitespace separated, `master_id sample_id yyyymmdd cds dollars` (the
  CDNOW sample; customers by sample_id) or `id yyyymmdd cds dollars` (CDNOW_master,
  whose first line is a header);
- `elog`: CSV with a header `cust,date[,sales]`, dates ISO (`1997-01-01`) or
  `yyyymmdd`, as BTYD's event logs;
- `native`: Afterward's orders CSV (docs/csv-import.md): the customer by email (else
  phone), the day of `placed_at` in UTC, the order's value (its lines, shipping and
  tax, less the discount) in major units.
Bad rows are refused with their line number (TransactionsError)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

import numpy as np

from afterward.insights.clv import Summary

FORMATS = ("cdnow", "elog", "native")


class TransactionsError(ValueError):
    pass


@dataclass(frozen=True)
class Purchase:
    customer: str
    day: date
    value: float | None


def read(path: Path, fmt: str) -> list[Purchase]:
    if fmt not in FORMATS:
        raise TransactionsError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = {"cdnow": _cdnow, "elog": _elog, "native": _native}[fmt]
            return list(reader(handle))
    except UnicodeDecodeError as exc:
        raise TransactionsError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") \
            from exc
    except OSError as exc:
        raise TransactionsError(f"{path}: {exc.strerror or exc}") from exc


def _day(text: str, line: int) -> date:
    cleaned = text.strip()
    try:
        if len(cleaned) == 8 and cleaned.isdigit():
            return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
        return date.fromisoformat(cleaned[:10])
    except ValueError:
        raise TransactionsError(f"line {line}: {cleaned!r} is not a date (yyyymmdd or "
                                "ISO yyyy-mm-dd)") from None


def _amount(text: str, line: int, column: str) -> float:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise TransactionsError(f"line {line}: {column} {text.strip()!r} is not a "
                                "number") from None
    if not value.is_finite() or value < 0:
        raise TransactionsError(f"line {line}: {column} must be a number >= 0")
    return float(value)


def _cdnow(handle: TextIO) -> Iterator[Purchase]:
    for line, raw in enumerate(handle, start=1):
        cells = raw.split()
        if not cells:
            continue
        if line == 1 and not cells[0].isdigit():
            continue  # CDNOW_master's header
        if len(cells) == 5:  # the sample's own id, as its published summary has it
            _, customer, day, _, dollars = cells
        elif len(cells) == 4:
            customer, day, _, dollars = cells
        else:
            raise TransactionsError(f"line {line}: expected 4 or 5 columns "
                                    f"(id [sample_id] yyyymmdd cds dollars), got {len(cells)}")
        yield Purchase(customer.lstrip("0") or "0", _day(day, line),
                       _amount(dollars, line, "dollars"))


def _elog(handle: TextIO) -> Iterator[Purchase]:
    rows = csv.reader(handle)
    header = [h.strip().lower() for h in next(rows, [])]
    if header[:2] != ["cust", "date"] or len(header) > 3 or (
            len(header) == 3 and header[2] != "sales"):
        raise TransactionsError("line 1: the header must be cust,date or cust,date,sales")
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TransactionsError(f"line {line}: expected {len(header)} cells, "
                                    f"got {len(row)}")
        if not row[0].strip():
            raise TransactionsError(f"line {line}: cust is empty")
        yield Purchase(row[0].strip(), _day(row[1], line),
                       _amount(row[2], line, "sales") if len(row) == 3 else None)


def _native(handle: TextIO) -> Iterator[Purchase]:
    rows = csv.DictReader(handle)
    fields = {name.strip().lower() for name in rows.fieldnames or []}
    missing = {"order_number", "placed_at", "quantity", "unit_price"} - fields
    if missing:
        raise TransactionsError(f"line 1: the orders CSV lacks {', '.join(sorted(missing))}")
    orders: dict[str, tuple[str, date, float]] = {}
    order_level: set[str] = set()
    for row in rows:
        line = rows.line_num
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue
        number = cells.get("order_number", "")
        who = cells.get("email", "").lower() or cells.get("phone", "")
        if not number:
            raise TransactionsError(f"line {line}: order_number is empty")
        try:
            placed = datetime.fromisoformat(cells["placed_at"].replace("Z", "+00:00"))
        except ValueError:
            raise TransactionsError(f"line {line}: placed_at {cells['placed_at']!r} is not "
                                    "an ISO date and time") from None
        if placed.tzinfo is None:
            raise TransactionsError(f"line {line}: placed_at needs an offset")
        try:
            quantity = int(cells["quantity"])
        except ValueError:
            raise TransactionsError(f"line {line}: quantity {cells['quantity']!r} is not a "
                                    "whole number") from None
        value = quantity * _amount(cells["unit_price"], line, "unit_price")
        if number not in order_level:  # the order's own amounts, once
            order_level.add(number)
            for column, sign in (("shipping", 1), ("tax", 1), ("discount", -1)):
                if cells.get(column):
                    value += sign * _amount(cells[column], line, column)
        if not who:
            continue  # an order without a customer tells nothing about one
        known = orders.get(number)
        orders[number] = (who, placed.astimezone(UTC).date(),
                          value + (known[2] if known else 0.0))
    for who, day, value in orders.values():
        yield Purchase(who, day, max(value, 0.0))


def summarise(purchases: list[Purchase], calibration_end: date) -> tuple[Summary, list[str]]:
    """The summary at `calibration_end` (purchases after it left out) and the
    customers in its order."""
    days: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    valued = all(p.value is not None for p in purchases)
    for p in purchases:
        if p.day <= calibration_end:
            days[p.customer][p.day] += p.value or 0.0
    customers = sorted(days)
    x, t_x, T, m = (np.zeros(len(customers)) for _ in range(4))
    for i, customer in enumerate(customers):
        ordered = sorted(days[customer])
        first, last = ordered[0], ordered[-1]
        x[i] = len(ordered) - 1
        t_x[i] = (last - first).days / 7
        T[i] = (calibration_end - first).days / 7
        if len(ordered) > 1:
            m[i] = sum(days[customer][d] for d in ordered[1:]) / (len(ordered) - 1)
    return Summary(x, t_x, T, m if valued and purchases else None), customers
