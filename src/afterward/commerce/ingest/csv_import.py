"""Import orders from a CSV file (docs/csv-import.md) in one transaction.

Parsing and validation are pure (csv_format, csv_orders) and happen before anything
is written; writing is in bulk (csv_write)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from afterward import modules
from afterward.commerce.ingest import csv_write
from afterward.commerce.ingest.csv_format import (
    OrderDraft,
    ParseResult,
    ProgressFn,
    RowError,
    UnreadableFile,
    decode,
)
from afterward.commerce.ingest.csv_orders import parse_orders
from afterward.storage.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class OnError(StrEnum):
    reject = "reject"  # any bad row: import nothing
    skip = "skip"  # import every order without a bad row; skip the others whole


@dataclass
class ImportReport:
    imported_orders: int = 0
    imported_lines: int = 0
    skipped_orders: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_customers: int = 0
    unreadable: bool = False  # the file itself (encoding, header, quoting) is bad

    def as_dict(self) -> dict[str, Any]:
        return {"imported_orders": self.imported_orders, "imported_lines": self.imported_lines,
                "skipped_orders": self.skipped_orders,
                "errors": [e.as_dict() for e in self.errors]}


def import_orders(db: Database, *, store_id: int, source: str | Path | bytes | IO[bytes],
                  on_error: OnError | str = OnError.reject,
                  progress: ProgressFn | None = None,
                  parallel: bool | None = None) -> ImportReport:
    """Read, validate and write a file of orders. Nothing is written unless every
    order that is written is whole; in reject mode, nothing unless every row is good.
    `parallel`: parse in a second process while this one writes (csv_stream.py);
    by default on SQLite for files of a megabyte or more."""
    from afterward.commerce.ingest import csv_stream

    mode = OnError(on_error)
    with _collector_paused():
        try:
            text = decode(_read(source))
            if parallel if parallel is not None else csv_stream.worth_it(db, text):
                return csv_stream.import_streamed(db, store_id, text, mode, progress)
            parsed = parse_orders(text, progress)
        except UnreadableFile as exc:
            return ImportReport(errors=exc.errors, unreadable=True)
        return import_parsed(db, store_id, parsed, mode, progress)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Millions of small, long-lived objects and no cycles: the cyclic collector
    # would rescan them over and over and cost more than the parsing itself.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_parsed(db: Database, store_id: int, parsed: ParseResult, mode: OnError,
                   progress: ProgressFn | None) -> ImportReport:
    orders, errors, bad = parsed.orders, list(parsed.errors), set(parsed.bad_numbers)
    with db.transaction() as session:
        taken = csv_write.existing_numbers(session, store_id=store_id,
                                           numbers=[o.number for o in orders])
        if taken:
            errors += [RowError(o.first_line, "order_number",
                                f"order {o.number} already exists in this store")
                       for o in orders if o.number in taken]
            errors.sort(key=lambda e: e.line)
            bad |= taken
            orders = [o for o in orders if o.number not in taken]
        if errors and mode is OnError.reject:
            # Nothing is imported, so every order of the file counts as skipped.
            return ImportReport(skipped_orders=len(orders) + len(bad), errors=errors)
        report = write_orders(session, store_id=store_id, orders=orders, progress=progress)
    report.skipped_orders, report.errors = len(bad), errors
    return report


def _read(source: str | Path | bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def write_orders(session: Session, *, store_id: int, orders: Sequence[OrderDraft],
                 progress: ProgressFn | None = None) -> ImportReport:
    """Insert validated orders with their customers, lines, order.created events and
    customers.refresh_stats jobs, in the caller's transaction (never commits)."""
    lines, new_customers = csv_write.write_orders(session, store_id=store_id, orders=orders,
                                                  progress=progress)
    announce(session, store_id=store_id, orders=len(orders))
    return ImportReport(imported_orders=len(orders), imported_lines=lines,
                        new_customers=new_customers)


def announce(session: Session, *, store_id: int, orders: int) -> None:
    """Tell the installed modules that listen (Module.imported) that a bulk import
    wrote `orders` orders, in its transaction."""
    if orders:
        for listener in modules.resolved("imported"):
            listener(session, store_id=store_id, orders=orders)
