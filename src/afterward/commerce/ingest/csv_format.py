"""The CSV order format (docs/csv-import.md): pure parsing and validation, no database.

One row per order line; the rows of one order are adjacent and share `order_number`.
Order-level cells are either repeated on every row of the order or given only on
its first row. Everything here is plain Python on strings (no pydantic per row):
the importer has to keep up with tens of thousands of orders a second, so values
that repeat (prices, emails, phones, currencies) are checked once and cached."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

import phonenumbers

from afterward.commerce import validation as v

LINE_COLUMNS = ("sku", "title", "quantity", "unit_price")
ORDER_COLUMNS = ("placed_at", "currency", "email", "phone", "first_name", "last_name",
                 "shipping", "tax", "discount", "ship_city", "ship_postal_code", "ship_country")
# The order the docs show; a file may list its columns in any order.
COLUMNS = ("order_number", *ORDER_COLUMNS[:6], *LINE_COLUMNS, *ORDER_COLUMNS[6:])
REQUIRED_COLUMNS = ("order_number", "placed_at", "currency", "title", "quantity", "unit_price")

MAX_LINES_PER_ORDER = 500
MAX_QUANTITY = 100_000
# Money columns are 32-bit integers on PostgreSQL: refuse here what the database would.
MAX_MINOR = 2**31 - 1
_TEXT_LIMITS = {"sku": 100, "title": 300, "first_name": 100, "last_name": 100,
                "ship_city": 100, "ship_postal_code": 20}

_NUMBER = re.compile(r"[^\s\x00-\x1f]{1,64}\Z")
_AMOUNT = re.compile(r"([0-9]{1,15})(?:\.([0-9]*))?\Z")
_COUNTRY = re.compile(r"[A-Za-z]{2}\Z")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}\Z")

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, at a physical line of the file (the header is line 1)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


class InvalidRow(ValueError):
    """A row that cannot be imported; `errors` lists every bad cell."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class UnreadableFile(InvalidRow):
    """The file as a whole cannot be read (encoding, header, quoting): nothing is imported."""


@dataclass(slots=True)
class LineDraft:
    line: int
    sku: str | None
    title: str
    quantity: int
    unit_price_minor: int

    def __reduce__(self) -> tuple[Any, ...]:
        # Drafts cross a pipe in bulk (csv_stream.py); the dataclass default pickles
        # through Python loops over fields(), this through one tuple.
        return LineDraft, _LINE_STATE(self)


@dataclass(slots=True)
class OrderDraft:
    number: str
    first_line: int
    placed_at: datetime
    currency: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    shipping_minor: int
    tax_minor: int
    discount_minor: int
    ship_city: str | None
    ship_postal_code: str | None
    ship_country: str | None
    lines: list[LineDraft] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        return OrderDraft, _ORDER_STATE(self)

    @property
    def subtotal_minor(self) -> int:
        return sum(ln.quantity * ln.unit_price_minor for ln in self.lines)

    @property
    def total_minor(self) -> int:
        return max(0, self.subtotal_minor + self.shipping_minor + self.tax_minor
                   - self.discount_minor)


_LINE_STATE = attrgetter("line", "sku", "title", "quantity", "unit_price_minor")
_ORDER_STATE = attrgetter(
    "number", "first_line", "placed_at", "currency", "email", "phone", "first_name",
    "last_name", "shipping_minor", "tax_minor", "discount_minor", "ship_city",
    "ship_postal_code", "ship_country", "lines")


@dataclass
class ParseResult:
    orders: list[OrderDraft]  # the orders without any error, in file order
    errors: list[RowError]  # sorted by line
    bad_numbers: set[str]  # order numbers with at least one error
    rows: int  # data rows read (blank rows not counted)


class Layout:
    """Where each column sits in a row. A column the file lacks reads from one
    extra empty cell that the parser appends to every row (index `width`)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.width = len(names)
        at = {n: names.index(n) if n in names else self.width for n in COLUMNS}
        self.number_at = at["order_number"]
        self.order_cells = itemgetter(*(at[n] for n in ORDER_COLUMNS))
        self.line_cells = itemgetter(*(at[n] for n in LINE_COLUMNS))


def read_header(header: Sequence[str]) -> Layout:
    names = [h.strip().lower() for h in header]
    errors = []
    for position, name in enumerate(names):
        if name not in COLUMNS:
            errors.append(RowError(1, name or f"(column {position + 1})",
                                   "unknown column; the columns are " + ", ".join(COLUMNS)))
        elif names.index(name) != position:
            errors.append(RowError(1, name, "the column appears twice"))
    errors += [RowError(1, name, "missing required column")
               for name in REQUIRED_COLUMNS if name not in names]
    if errors:
        raise UnreadableFile(errors)
    return Layout(names)


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or nothing: a wrong guess would corrupt names."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile([RowError(
            line, "file", f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start}; save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------- cells

@lru_cache(maxsize=65536)
def email(value: str) -> str:
    return v.email_address(value)


@lru_cache(maxsize=65536)
def phone(value: str) -> str:
    """E.164; '+4930...' takes a shortcut past phonenumbers' (slow) parser."""
    if _E164.match(value):
        digits = value[1:]
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                if digits[size] != "0":  # a leading zero needs the full parser
                    number = phonenumbers.PhoneNumber(country_code=code,
                                                      national_number=int(digits[size:]))
                    if phonenumbers.is_valid_number(number):
                        return value
                break
    return v.phone_e164(value)


@lru_cache(maxsize=512)
def currency(value: str) -> tuple[str, int]:
    """('EUR', 2): the code and its number of decimals."""
    code = v.currency_code(value)
    return code, v.minor_units_exponent(code)


@lru_cache(maxsize=65536)
def amount(text: str, exponent: int, code: str) -> int:
    """'12.50' -> 1250 for a 2-decimal currency; raises ValueError with the reason."""
    match = _AMOUNT.match(text)
    if match is None:
        if text.startswith("-"):
            raise ValueError("cannot be negative")
        raise ValueError(f"{text!r} is not an amount like 12.50")
    whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    if len(fraction) > exponent:
        raise ValueError(f"{text!r} has more decimals than {code} allows ({exponent})")
    minor = int(whole) * 10**exponent + (int(fraction.ljust(exponent, "0")) if fraction else 0)
    if minor > MAX_MINOR:
        raise ValueError(f"{text!r} is too large")
    return minor


def timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time such as "
                         "2026-03-01T10:00:00+01:00") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{text!r} has no time zone offset (add Z or +01:00)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


def _text(value: str, column: str, line: int, errors: list[RowError]) -> str | None:
    if not value:
        return None
    if len(value) > _TEXT_LIMITS[column]:
        errors.append(RowError(line, column, f"longer than {_TEXT_LIMITS[column]} characters"))
    elif "\x00" in value:
        errors.append(RowError(line, column, "contains a NUL character"))
    return value


def parse_head(raw: Sequence[str], number: str, line: int,
               errors: list[RowError]) -> OrderDraft | None:
    """The order-level cells (ORDER_COLUMNS order, stripped) of an order's first row."""
    (placed_raw, currency_raw, email_raw, phone_raw, first_raw, last_raw, shipping_raw,
     tax_raw, discount_raw, city_raw, postal_raw, country_raw) = raw
    before = len(errors)
    placed_at = _explain(timestamp, "placed_at", line, errors, placed_raw, required=True)
    code, exponent = _explain(currency, "currency", line, errors, currency_raw,
                              required=True) or (None, 0)
    mail = _explain(email, "email", line, errors, email_raw) or None
    tel = _explain(phone, "phone", line, errors, phone_raw) or None
    shipping = tax = discount = 0
    if code is not None:
        shipping = _explain(amount, "shipping", line, errors, shipping_raw, exponent, code) or 0
        tax = _explain(amount, "tax", line, errors, tax_raw, exponent, code) or 0
        discount = _explain(amount, "discount", line, errors, discount_raw, exponent, code) or 0
    country = country_raw.upper() if _COUNTRY.match(country_raw) else None
    if country_raw and country is None:
        errors.append(RowError(line, "ship_country",
                               f"{country_raw!r} is not a two-letter country code such as DE"))
    first = _text(first_raw, "first_name", line, errors)
    last = _text(last_raw, "last_name", line, errors)
    city = _text(city_raw, "ship_city", line, errors)
    postal = _text(postal_raw, "ship_postal_code", line, errors)
    if len(errors) > before or placed_at is None or code is None:
        return None
    return OrderDraft(number, line, placed_at, code, mail, tel, first, last, shipping, tax,
                      discount, city, postal, country)


def _explain(check: Callable[..., Any], column: str, line: int, errors: list[RowError],
             value: str, *args: Any, required: bool = False) -> Any:
    """check(value, *args), or None and an error. An empty cell is None (or 'required')."""
    if not value:
        if required:
            errors.append(RowError(line, column, "required"))
        return None
    try:
        return check(value, *args)
    except ValueError as exc:  # InvalidValue is a ValueError too
        errors.append(RowError(line, column, getattr(exc, "message", None) or str(exc)))
        return None


_PRICES: dict[tuple[str, str], int] = {}  # (cell, currency) -> minor units, for the fast path


def parse_line(raw: Sequence[str], code: str | None, line: int,
               errors: list[RowError]) -> LineDraft | None:
    """The line cells (LINE_COLUMNS order); `code` is the order's currency (None if bad)."""
    sku, title, quantity_raw, price_raw = raw
    sku, title, quantity_raw = sku.strip(), title.strip(), quantity_raw.strip()
    price = _PRICES.get((price_raw, code))  # type: ignore[arg-type]
    # Most rows are clean: check them in one expression, explain the rest slowly.
    if (price is not None and title and len(title) <= 300 and len(sku) <= 100
            and quantity_raw.isdigit() and quantity_raw.isascii() and len(quantity_raw) < 7
            and "\x00" not in title and "\x00" not in sku):
        quantity = int(quantity_raw)
        if 0 < quantity <= MAX_QUANTITY and quantity * price <= MAX_MINOR:
            return LineDraft(line, sku or None, title, quantity, price)
    return _explain_line(sku, title, quantity_raw, price_raw.strip(), code, line, errors)


def _explain_line(sku: str, title: str, quantity_raw: str, price_raw: str, code: str | None,
                  line: int, errors: list[RowError]) -> LineDraft | None:
    before = len(errors)
    if not title:
        errors.append(RowError(line, "title", "required"))
    else:
        _text(title, "title", line, errors)
    if sku:
        _text(sku, "sku", line, errors)
    quantity = price = 0
    if not quantity_raw:
        errors.append(RowError(line, "quantity", "required"))
    elif not (quantity_raw.isascii() and quantity_raw.isdigit() and len(quantity_raw) < 10):
        errors.append(RowError(line, "quantity", f"{quantity_raw!r} is not a whole number"))
    else:
        quantity = int(quantity_raw)
        if not 1 <= quantity <= MAX_QUANTITY:
            errors.append(RowError(line, "quantity", f"must be between 1 and {MAX_QUANTITY}"))
    if not price_raw:
        errors.append(RowError(line, "unit_price", "required"))
    elif code is not None:
        try:
            price = amount(price_raw, currency(code)[1], code)
        except ValueError as exc:
            errors.append(RowError(line, "unit_price", str(exc)))
        else:
            if len(_PRICES) > 100_000:
                _PRICES.clear()
            _PRICES[(price_raw, code)] = price
    if len(errors) > before:
        return None
    if quantity * price > MAX_MINOR:
        errors.append(RowError(line, "unit_price", "quantity x unit_price is too large"))
        return None
    return LineDraft(line, sku or None, title, quantity, price)


def parse_number(raw: str, line: int, errors: list[RowError]) -> str | None:
    number = raw.strip()
    if not number:
        errors.append(RowError(line, "order_number", "required"))
        return None
    if not _NUMBER.match(number):
        errors.append(RowError(line, "order_number",
                               "1-64 characters without spaces or control characters"))
        return None
    return number


def parse_row(cells: Sequence[str], layout: Layout, line: int) -> tuple[OrderDraft, LineDraft]:
    """One row on its own, as the first row of its order; raises InvalidRow only."""
    if len(cells) != layout.width:
        raise InvalidRow([RowError(line, "row", f"{len(cells)} cells, the header has "
                                   f"{layout.width}")])
    padded = [*cells, ""]
    errors: list[RowError] = []
    number = parse_number(padded[layout.number_at], line, errors)
    head = parse_head([c.strip() for c in layout.order_cells(padded)], number or "", line,
                      errors)
    item = parse_line(layout.line_cells(padded), head.currency if head else None, line, errors)
    if errors or head is None or item is None:
        raise InvalidRow(errors)
    return head, item
