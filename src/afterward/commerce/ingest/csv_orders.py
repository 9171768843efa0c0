"""Fold the rows of a CSV file into orders (docs/csv-import.md): adjacency,
order-level consistency and per-order limits. Pure, like csv_format."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence

from afterward.commerce.ingest.csv_format import (
    COLUMNS,
    MAX_LINES_PER_ORDER,
    MAX_MINOR,
    ORDER_COLUMNS,
    Layout,
    OrderDraft,
    ParseResult,
    ProgressFn,
    RowError,
    UnreadableFile,
    currency,
    parse_head,
    parse_line,
    parse_number,
    read_header,
)

_BLANK_HEAD = ("",) * len(ORDER_COLUMNS)


class _Grouper:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.orders: list[OrderDraft] = []
        self.errors: list[RowError] = []
        self.bad_numbers: set[str] = set()
        self.spans: dict[str, tuple[int, int]] = {}  # number -> (first line, last line)
        self.number: str | None = None
        self.head: OrderDraft | None = None
        self.head_raw: tuple[str, ...] = _BLANK_HEAD
        self.code: str | None = None
        self.first_line = self.last_line = 0
        self.sent = 0  # orders handed out by take_finished()

    def add(self, cells: list[str], line: int) -> None:
        errors = self.errors
        before = len(errors)
        layout = self.layout
        cells.append("")  # the cell that absent columns read
        number = cells[layout.number_at]
        if number != self.number:  # the common case, a repeated number, needs no check
            checked = parse_number(number, line, errors)
            if checked is None:
                return
            number = checked
        raw = layout.order_cells(cells)
        if number == self.number:
            if raw != self.head_raw and raw != _BLANK_HEAD:
                self._check_repeated(raw, line)
        else:
            self._start(number, raw, line)
        self.last_line = line
        item = parse_line(layout.line_cells(cells), self.code, line, errors)
        if item is not None and self.head is not None:
            self.head.lines.append(item)
        if len(errors) > before:
            self.bad_numbers.add(number)

    def _start(self, number: str, raw: tuple[str, ...], line: int) -> None:
        self._finish()
        if number in self.spans:
            first, last = self.spans[number]
            self.errors.append(RowError(
                line, "order_number", f"order {number} already appeared at lines {first}-"
                f"{last}; the rows of one order must be adjacent"))
        self.number, self.first_line, self.head_raw = number, line, raw
        self.head = parse_head([c.strip() for c in raw], number, line, self.errors)
        self.code = self.head.currency if self.head else _currency_or_none(raw[1].strip())

    def _check_repeated(self, raw: tuple[str, ...], line: int) -> None:
        for name, value, first in zip(ORDER_COLUMNS, raw, self.head_raw, strict=True):
            value, first = value.strip(), first.strip()
            if not value or value == first:
                continue
            if name == "currency":
                message = (f"mixed currencies in order {self.number}: {value!r} here, "
                           f"{first!r} on line {self.first_line}")
            else:
                message = (f"{value!r} differs from {first!r} on line {self.first_line}; repeat "
                           "order-level values exactly or give them only on the first row")
            self.errors.append(RowError(line, name, message))

    def _finish(self) -> None:
        number, head = self.number, self.head
        if number is None:
            return
        self.spans[number] = (self.first_line, self.last_line)
        self.number = self.head = None
        if head is None or number in self.bad_numbers:
            return
        problem = None
        if len(head.lines) > MAX_LINES_PER_ORDER:
            problem = f"{len(head.lines)} lines; at most {MAX_LINES_PER_ORDER}"
        elif head.subtotal_minor + head.shipping_minor + head.tax_minor > MAX_MINOR:
            problem = "the total is too large"
        if problem:
            self.errors.append(RowError(head.first_line, "order_number",
                                        f"order {number}: {problem}"))
            self.bad_numbers.add(number)
        else:
            self.orders.append(head)

    def taint(self, cells: Sequence[str]) -> None:
        """A row with the wrong number of cells still names its order, if it can."""
        at = self.layout.number_at
        number = cells[at].strip() if at < len(cells) else ""
        if number:
            self.bad_numbers.add(number)

    def take_finished(self) -> list[OrderDraft]:
        """Orders finished since the last call and without an error so far (a later row
        can still mark one bad: the final result is what counts)."""
        taken, self.sent = self.orders[self.sent:], len(self.orders)
        return taken

    def result(self, rows: int) -> ParseResult:
        self._finish()
        orders = [o for o in self.orders if o.number not in self.bad_numbers]
        self.errors.sort(key=lambda e: e.line)
        return ParseResult(orders, self.errors, self.bad_numbers, rows)


def _currency_or_none(raw: str) -> str | None:
    # The order's first row is bad, but its lines can still be checked against its currency.
    try:
        return currency(raw)[0]
    except ValueError:
        return None


def _lines(text: str) -> Iterator[str]:
    """The physical lines, ends kept. Leaner than io.StringIO, which copies the text
    into four bytes a character, and it numbers lines as decode() does: by \\n."""
    start, find = 0, text.find
    while True:
        end = find("\n", start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _csv_reason(exc: csv.Error) -> str:
    # The csv module's wording is about Python; say what is wrong with the file.
    reason = str(exc)
    if "new-line character" in reason:
        return "a bare carriage return ends a line; save with \\n or \\r\\n line ends"
    if "unexpected end of data" in reason:
        return "a quoted cell that starts here is never closed"
    return f"malformed CSV: {reason}"


OrdersFn = Callable[[list[OrderDraft], int, int], None]


def parse_orders(text: str, progress: ProgressFn | None = None,
                 every: int = 20_000, on_orders: OrdersFn | None = None) -> ParseResult:
    """Parse a whole file. Raises UnreadableFile (header, quoting); otherwise collects
    every row error and returns the orders that have none. With `on_orders`, every
    `every` rows hands over the orders finished so far (with the line reached and the
    number of errors so far), for a writer that starts before the parse ends."""
    total = text.count("\n") + 1
    reader = csv.reader(_lines(text), strict=True)
    next_line = 1  # where the record being read starts
    try:
        header = next(reader, None)
        if header is None or not "".join(header).strip():
            raise UnreadableFile([RowError(1, "file", "no header: the first line names the "
                                           "columns (" + ",".join(COLUMNS) + ")")])
        grouper = _Grouper(read_header(header))
        width, rows, next_line = len(header), 0, reader.line_num + 1
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if len(cells) == width and any(cells):
                grouper.add(cells, line)
            elif not "".join(cells).strip():
                continue  # blank lines and rows of empty cells are ignored
            else:
                grouper.errors.append(RowError(line, "row", f"{len(cells)} cells, the header "
                                               f"has {width}"))
                grouper.taint(cells)
            rows += 1
            if rows % every == 0:
                if progress is not None:
                    progress("reading", line, total)
                if on_orders is not None:
                    on_orders(grouper.take_finished(), line, len(grouper.errors))
    except csv.Error as exc:
        raise UnreadableFile([RowError(next_line, "file", _csv_reason(exc))]) from None
    if progress is not None:
        progress("reading", total, total)
    result = grouper.result(rows)
    if on_orders is not None:
        on_orders(grouper.take_finished(), total, len(result.errors))
    return result
