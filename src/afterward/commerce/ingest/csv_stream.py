"""Bulk import on SQLite with the parsing in a second process.

Parsing and validating a file is pure Python and costs about as much as writing it,
so on a machine with two cores the two can overlap: a forked child parses and sends
the orders it has finished, in batches, through a pipe; this process writes each
batch as it arrives, in one transaction, while the child goes on.

The result is the one `csv_import` gets by parsing first and writing after:
- order ids and new customer ids are handed out in the same order;
- a new customer is written when first seen and updated at the end if later rows
  changed its values ("later rows win"); existing ones are updated at the end, with
  one event each;
- in reject mode, any error rolls the transaction back and nothing is imported;
- in skip mode, an order already written can still turn out bad (its number comes
  back later in the file, not adjacent): then the transaction is rolled back and the
  orders are written again the ordinary way, from what the child sent.
Only event ids differ: each batch's new customers' events come before its orders'
events here, where the sequential import writes every customer event first."""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from afterward.commerce.ingest import csv_import as bulk
from afterward.commerce.ingest import csv_write
from afterward.commerce.ingest.csv_format import (
    OrderDraft,
    ParseResult,
    ProgressFn,
    RowError,
    UnreadableFile,
)
from afterward.commerce.ingest.csv_orders import parse_orders
from afterward.storage.db import Database
from afterward.storage.types import utcnow

BATCH_ROWS = 5_000  # rows parsed between two batches sent to the writer
# A parser child that sends nothing for this long is stuck (a batch takes well under a
# second): it is killed and the import fails with that, instead of waiting forever. A
# forked child can inherit a lock another thread held at the fork.
CHILD_SILENCE_SECONDS = 120.0
MIN_BYTES = 1_000_000  # below this, starting a process costs more than it saves


def worth_it(db: Database, text: str) -> bool:
    return db.backend == "sqlite" and hasattr(os, "fork") and len(text) >= MIN_BYTES


def import_streamed(db: Database, store_id: int, text: str, mode: bulk.OnError,
                    progress: ProgressFn | None) -> bulk.ImportReport:
    parser = _ChildParser(text)
    try:
        return _import(db, store_id, parser, mode, progress, text.count("\n") + 1)
    finally:
        parser.close()


class _Abandon(Exception):
    def __init__(self, report: bulk.ImportReport) -> None:
        self.report = report


class _Redo(Exception):
    def __init__(self, parsed: ParseResult) -> None:
        self.parsed = parsed


def _import(db: Database, store_id: int, parser: _ChildParser, mode: bulk.OnError,
            progress: ProgressFn | None, total_lines: int) -> bulk.ImportReport:
    received: list[OrderDraft] = []
    try:
        with db.transaction() as session:
            writer = Writer(session, store_id)
            for batch, line, errors_so_far in parser.batches():
                received += batch
                if mode is bulk.OnError.reject and errors_so_far:
                    writer.stopped = True  # it will be rolled back: only look for more errors
                writer.write(batch)
                if progress is not None:
                    progress("reading", line, total_lines)
            final = parser.result()
            errors = sorted(final.errors + writer.taken_errors, key=lambda e: e.line)
            bad = final.bad_numbers | writer.taken
            if errors and mode is bulk.OnError.reject:
                good = sum(1 for o in received if o.number not in bad)
                raise _Abandon(bulk.ImportReport(skipped_orders=good + len(bad), errors=errors))
            if writer.written & final.bad_numbers:
                raise _Redo(ParseResult([o for o in received if o.number not in
                                         final.bad_numbers], final.errors,
                                        final.bad_numbers, final.rows))
            report = writer.finish()
            bulk.announce(session, store_id=store_id, orders=report.imported_orders)
            if progress is not None:
                progress("writing", report.imported_orders, report.imported_orders)
    except _Abandon as abandoned:
        return abandoned.report
    except _Redo as redo:
        return bulk.import_parsed(db, store_id, redo.parsed, mode, progress)
    report.skipped_orders, report.errors = len(bad), errors
    return report


# ---------------------------------------------------------------- the child

@dataclass(frozen=True)
class _Final:
    errors: list[RowError]
    bad_numbers: set[str]
    rows: int


class _ChildParser:
    """A forked process running parse_orders; its batches arrive through a pipe."""

    def __init__(self, text: str) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_parse_in_child, args=(text, send),
                                        name="afterward-csv-parser", daemon=True)
        self._process.start()
        send.close()
        self._final: _Final | None = None

    def batches(self) -> Iterator[tuple[list[OrderDraft], int, int]]:
        while True:
            message = self._next()
            kind = message[0]
            if kind == "orders":
                yield message[1], message[2], message[3]
            elif kind == "done":
                self._final = message[1]
                return
            elif kind == "unreadable":
                raise UnreadableFile(message[1])
            else:
                raise RuntimeError(f"the CSV parser process failed:\n{message[1]}")

    def result(self) -> _Final:
        assert self._final is not None
        return self._final

    def _next(self) -> tuple[Any, ...]:
        deadline = time.monotonic() + CHILD_SILENCE_SECONDS
        while not self._receive.poll(0.5):
            if not self._process.is_alive() and not self._receive.poll(0):
                raise RuntimeError("the CSV parser process ended without an answer "
                                   f"(exit code {self._process.exitcode})")
            if time.monotonic() > deadline:
                self._process.kill()
                raise RuntimeError("the CSV parser process sent nothing for "
                                   f"{CHILD_SILENCE_SECONDS:.0f} s and was stopped")
        message: tuple[Any, ...] = self._receive.recv()
        return message

    def close(self) -> None:
        self._receive.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _parse_in_child(text: str, send: Pipe) -> None:
    code = 0
    try:
        def hand_over(orders: list[OrderDraft], line: int, errors: int) -> None:
            send.send(("orders", orders, line, errors))

        try:
            result = parse_orders(text, every=BATCH_ROWS, on_orders=hand_over)
        except UnreadableFile as exc:
            send.send(("unreadable", exc.errors))
        else:
            send.send(("done", _Final(result.errors, result.bad_numbers, result.rows)))
    except BaseException:  # reported to the parent, which raises
        code = 1
        try:
            send.send(("failed", traceback.format_exc()))
        except Exception:  # the parent is gone: nothing to tell
            pass
    finally:
        send.close()
        # No cleanup of what was inherited (database connections, atexit hooks).
        os._exit(code)


# ---------------------------------------------------------------- the writer

@dataclass
class _Customers:
    """csv_write.resolve_customers spread over batches: a new customer is written when
    first seen, and written again at the end if later rows changed its values."""

    conn: Connection
    store_id: int
    now: datetime
    ids: dict[csv_write.Key, int] = field(default_factory=dict)
    wanted: csv_write.Wanted = field(default_factory=dict)
    # Already in the store: (id, the values it had) -- as existing_customers finds them.
    existing: csv_write.Found = field(default_factory=dict)
    written: csv_write.Wanted = field(default_factory=dict)  # created here, with these values

    def ids_for(self, orders: Sequence[OrderDraft]) -> list[int | None]:
        keys = csv_write.merge_customers(orders, self.wanted)
        unseen = [k for k in dict.fromkeys(keys) if k is not None and k not in self.ids]
        if unseen:
            found = csv_write.existing_customers(self.conn, self.store_id,
                                                 {key: self.wanted[key] for key in unseen})
            self.ids.update((key, customer_id) for key, (customer_id, _) in found.items())
            self.existing.update(found)
            fresh = [k for k in unseen if k not in found]
            created = csv_write.create_customers(self.conn, self.store_id, fresh, self.wanted,
                                                 self.now)
            for key, customer_id in zip(fresh, created, strict=True):
                self.ids[key], self.written[key] = customer_id, dict(self.wanted[key])
        return [self.ids[k] if k is not None else None for k in keys]

    def finish(self) -> None:
        csv_write.apply_changes(self.conn, self.store_id, self.existing, self.wanted,
                                self.now)
        # Created earlier in this import: later rows' values, as if written once, no event.
        csv_write.update_customers(self.conn, [
            {"b_id": self.ids[key], **dict.fromkeys(csv_write.CUSTOMER_FIELDS),
             **self.wanted[key]}
            for key, first in self.written.items() if self.wanted[key] != first], at=self.now)


class Writer:
    def __init__(self, session: Session, store_id: int) -> None:
        self.session = session
        self.conn: Connection = session.connection()
        self.store_id = store_id
        self.now = utcnow()
        self.customers = _Customers(self.conn, store_id, self.now)
        self.variants: dict[str, tuple[int, int]] = {}
        self.looked_up: set[str] = set()
        self.taken: set[str] = set()
        self.taken_errors: list[RowError] = []
        self.written: set[str] = set()
        self.orders = self.lines = 0
        self.stopped = False

    def write(self, batch: list[OrderDraft]) -> None:
        if not batch:
            return
        batch = self._not_taken(batch)
        if self.stopped or not batch:
            return
        skus = {ln.sku for o in batch for ln in o.lines if ln.sku} - self.looked_up
        if skus:
            self.variants.update(csv_write.variants_by_sku(self.conn, self.store_id,
                                                           set[str | None](skus)))
            self.looked_up |= skus
        customer_ids = self.customers.ids_for(batch)
        for start in range(0, len(batch), csv_write.CHUNK):
            end = start + csv_write.CHUNK
            self.lines += csv_write.write_chunk(self.conn, self.store_id, batch[start:end],
                                                customer_ids[start:end], self.variants,
                                                self.now)
        self.orders += len(batch)
        self.written.update(o.number for o in batch)

    def _not_taken(self, batch: list[OrderDraft]) -> list[OrderDraft]:
        """The batch without orders whose number the store has already (noted as errors)."""
        taken = csv_write.existing_numbers(self.session, store_id=self.store_id,
                                           numbers=[o.number for o in batch])
        if not taken:
            return batch
        self.taken |= taken
        self.taken_errors += [RowError(o.first_line, "order_number",
                                       f"order {o.number} already exists in this store")
                              for o in batch if o.number in taken]
        return [o for o in batch if o.number not in taken]

    def finish(self) -> bulk.ImportReport:
        self.customers.finish()
        csv_write.enqueue_refreshes(self.conn, self.store_id, self.customers.ids.values(),
                                    self.now)
        return bulk.ImportReport(imported_orders=self.orders, imported_lines=self.lines,
                                 new_customers=len(self.customers.written))
