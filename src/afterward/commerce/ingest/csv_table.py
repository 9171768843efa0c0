"""A CSV file of named columns brought over from another tool (reviews, points
balances): how every such import reads its file and reports on it.

- The first line names the columns, in any order and any case; a column the import
  does not know, one named twice or one it needs and the file lacks makes the file
  unreadable, as does a file that is not UTF-8 or not CSV: nothing is imported.
- Blank rows are passed over; every other row keeps its physical line (the header is
  line 1) and is handed to the import's `parse` as {column: stripped cell}, which
  gives the row's value or raises `InvalidRow` with every bad cell.
- The report counts what was read, imported, imported before and skipped, and lists
  each bad row's errors by line. By default one bad row refuses the whole file
  (`ImportRefused`: the caller's transaction rolls back); an import called with
  `skip_bad` keeps the good rows.

Pure: no database here."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from afterward.commerce.ingest.csv_format import (
    InvalidRow,
    ProgressFn,
    RowError,
    UnreadableFile,
    decode,
)

T = TypeVar("T")
MAX_ROWS = 200_000


@dataclass
class Report:
    read: int = 0
    imported: int = 0
    already: int = 0  # imported before (the same row, the same key)
    skipped: int = 0  # rows with an error
    errors: list[RowError] = field(default_factory=list)
    unreadable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.read, "imported": self.imported, "already_imported": self.already,
                "skipped": self.skipped, "errors": [e.as_dict() for e in self.errors]}

    def refuse_unless(self, skip_bad: bool) -> None:
        """Once every row was tried: errors sorted by line, the bad rows counted, and
        `ImportRefused` if there is any and `skip_bad` is off."""
        self.errors.sort(key=lambda e: e.line)
        self.skipped = len({e.line for e in self.errors})
        if self.errors and not skip_bad:
            self.imported = self.already = 0  # rolled back by the caller
            raise ImportRefused(self)


class ImportRefused(Exception):
    """A bad row with skip_bad off (or an unreadable file): nothing may be written."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{len(report.errors)} error(s)")
        self.report = report


def read(data: bytes, *, columns: Sequence[str], required: Sequence[str],
         parse: Callable[[int, dict[str, str]], T], report: Report,
         header_errors: Callable[[list[str]], list[RowError]] | None = None,
         progress: ProgressFn | None = None, max_rows: int = MAX_ROWS) -> list[T]:
    """The file's good rows, parsed; every bad one in `report`. An unreadable file: no
    rows, `report.unreadable`. `header_errors` adds the import's own checks of the
    header (names lowercased) to the common ones."""
    try:
        text = decode(data)
    except UnreadableFile as exc:
        report.errors, report.unreadable = list(exc.errors), True
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        problems = _header_errors(header, columns, required)
        if any(header) and header_errors is not None:
            problems += header_errors(header)
        if problems:
            report.errors, report.unreadable = problems, True
            return []
        raw_rows = [(reader.line_num, cells) for cells in reader
                    if any(cell.strip() for cell in cells)]
    except csv.Error as exc:
        report.errors = [RowError(reader.line_num, "file", f"not a readable CSV: {exc}")]
        report.unreadable = True
        return []
    if len(raw_rows) > max_rows:
        report.errors = [RowError(1, "file", f"at most {max_rows} rows a file; split it")]
        report.unreadable = True
        return []
    rows: list[T] = []
    for done, (line, cells) in enumerate(raw_rows, start=1):
        report.read += 1
        try:
            if len(cells) != len(header):
                raise InvalidRow([RowError(line, "row",
                                           f"{len(cells)} cells for {len(header)} columns")])
            rows.append(parse(line, {name: cell.strip()
                                     for name, cell in zip(header, cells, strict=True)}))
        except InvalidRow as exc:
            report.errors.extend(exc.errors)
        if progress is not None and (done % 200 == 0 or done == len(raw_rows)):
            progress("reading", done, len(raw_rows))
    return rows


def _header_errors(header: list[str], columns: Sequence[str],
                   required: Sequence[str]) -> list[RowError]:
    if not any(header):
        return [RowError(1, "file", "the file is empty; the first line names the columns")]
    errors = [RowError(1, name or "(blank)", "unknown column (known: " + ", ".join(columns)
                       + ")") for name in header if name not in columns]
    errors += [RowError(1, name, "the column appears twice")
               for name in sorted({n for n in header if header.count(n) > 1 and n})]
    errors += [RowError(1, name, "missing column") for name in required if name not in header]
    return errors
