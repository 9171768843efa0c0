"""The CSV order format, without a database: cells, rows, grouping, line numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterward.commerce.ingest.csv_format import (
    COLUMNS,
    InvalidRow,
    UnreadableFile,
    amount,
    decode,
    parse_row,
    read_header,
)
from afterward.commerce.ingest.csv_orders import parse_orders

HEADER = ",".join(COLUMNS)


def row(number: str = "1001", **cells: str) -> str:
    values = {"order_number": number, "placed_at": "2026-03-01T10:00:00+01:00",
              "currency": "EUR", "email": "ada@example.com", "phone": "", "first_name": "Ada",
              "last_name": "Lovelace", "sku": "TEA-1", "title": "Green tea", "quantity": "2",
              "unit_price": "4.50", "shipping": "4.95", "tax": "", "discount": "",
              "ship_city": "Berlin", "ship_postal_code": "10115", "ship_country": "de"}
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([values[c] for c in COLUMNS])
    return out.getvalue().removesuffix("\n")


def text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


def test_it_groups_adjacent_rows_into_orders_with_exact_amounts():
    result = parse_orders(text(row("1001"), row("1001", sku="MUG-1", title="Mug", quantity="1",
                                                    unit_price="12"), row("1002")))

    assert result.errors == []
    first, second = result.orders
    assert first.number == "1001"
    assert first.placed_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert [(ln.sku, ln.quantity, ln.unit_price_minor, ln.line) for ln in first.lines] == [
        ("TEA-1", 2, 450, 2), ("MUG-1", 1, 1200, 3)]
    assert first.subtotal_minor == 2100
    assert first.total_minor == 2100 + 495
    assert first.ship_country == "DE"
    assert second.first_line == 4


def test_order_level_cells_may_be_given_only_on_the_first_row():
    later = row("1001", placed_at="", currency="", email="", first_name="", last_name="",
                shipping="", ship_city="", ship_postal_code="", ship_country="")

    result = parse_orders(text(row("1001"), later))

    assert result.errors == []
    assert len(result.orders[0].lines) == 2


def test_it_reports_each_bad_cell_with_its_physical_line():
    result = parse_orders(text(
        row("1001"),
        row("1002", placed_at="2026-03-01 10:00", unit_price="1,50"),
        row("1003", currency="EURO", quantity="0"),
        row("1004", email="not-an-email", phone="12", unit_price="4.505"),
        row("1005", unit_price="-1", shipping="abc")))

    assert messages(result) == [
        "line 3: placed_at: '2026-03-01 10:00' has no time zone offset (add Z or +01:00)",
        "line 3: unit_price: '1,50' is not an amount like 12.50",
        "line 4: currency: unknown currency 'EURO': use an ISO 4217 code such as EUR",
        "line 4: quantity: must be between 1 and 100000",
        "line 5: email: 'not-an-email' is not a valid email address",
        "line 5: phone: '12' is not a phone number in international form, like +49 30 901820",
        "line 5: unit_price: '4.505' has more decimals than EUR allows (2)",
        "line 6: shipping: 'abc' is not an amount like 12.50",
        "line 6: unit_price: cannot be negative",
    ]
    assert [o.number for o in result.orders] == ["1001"]
    assert result.bad_numbers == {"1002", "1003", "1004", "1005"}


def test_line_numbers_count_physical_lines_of_quoted_multiline_cells():
    result = parse_orders(text(row("1001", title="two\nlines"), row("1002", quantity="x")))

    assert messages(result) == ["line 4: quantity: 'x' is not a whole number"]
    assert result.orders[0].lines[0].title == "two\nlines"


def test_it_refuses_mixed_currencies_and_changed_order_cells():
    result = parse_orders(text(row("1001"), row("1001", currency="USD"),
                               row("1001", discount="3")))

    assert messages(result) == [
        "line 3: currency: mixed currencies in order 1001: 'USD' here, 'EUR' on line 2",
        "line 4: discount: '3' differs from '' on line 2; repeat order-level values exactly "
        "or give them only on the first row",
    ]
    assert result.orders == []


def test_an_order_number_that_comes_back_later_is_an_error_for_the_whole_order():
    result = parse_orders(text(row("1001"), row("1002"), row("1001")))

    assert messages(result) == [
        "line 4: order_number: order 1001 already appeared at lines 2-2; the rows of one "
        "order must be adjacent"]
    assert [o.number for o in result.orders] == ["1002"]
    assert result.bad_numbers == {"1001"}


def test_currencies_decide_the_number_of_decimals():
    assert amount("1200", 0, "JPY") == 1200
    assert amount("12.500", 2, "EUR") == 1250
    assert amount("1.234", 3, "KWD") == 1234
    with pytest.raises(ValueError, match="more decimals than JPY allows"):
        amount("12.5", 0, "JPY")
    with pytest.raises(ValueError, match="too large"):
        amount("21474836.48", 2, "EUR")


def test_missing_and_unknown_columns_make_the_file_unreadable():
    with pytest.raises(UnreadableFile) as caught:
        parse_orders("order_number,placed_at,currency,titel,quantity\nx\n")

    assert [str(e) for e in caught.value.errors] == [
        "line 1: titel: unknown column; the columns are " + ", ".join(COLUMNS),
        "line 1: title: missing required column",
        "line 1: unit_price: missing required column",
    ]


def test_a_row_with_the_wrong_number_of_cells_taints_its_order():
    result = parse_orders(text(row("1001"), "1001,too,few", row("1002")))

    assert messages(result) == [f"line 3: row: 3 cells, the header has {len(COLUMNS)}"]
    assert [o.number for o in result.orders] == ["1002"]


def test_blank_rows_are_ignored_and_optional_columns_may_be_absent():
    header = "Order_Number,placed_at,currency,title,quantity,unit_price"
    result = parse_orders(text("A-1,2026-01-01T00:00:00Z,JPY,Tea,1,500", "", ",,,,,",
                               "A-2,2026-01-01T00:00:00Z,JPY,Tea,3,500", header=header))

    assert result.errors == []
    assert [(o.number, o.total_minor, o.email) for o in result.orders] == [
        ("A-1", 500, None), ("A-2", 1500, None)]


def test_non_utf8_bytes_are_reported_with_line_and_byte_offset():
    data = (HEADER + "\n" + row("1001") + "\n").encode() + b"1002,caf\xe9\n"

    with pytest.raises(UnreadableFile) as caught:
        decode(data)

    offset = data.index(b"\xe9")
    assert [str(e) for e in caught.value.errors] == [
        f"line 3: file: not UTF-8: invalid byte 0xe9 at byte offset {offset}; "
        "save the file as UTF-8"]


def test_a_byte_order_mark_is_dropped():
    assert decode("\ufefforder_number".encode()) == "order_number"


def test_a_phone_in_international_format_is_stored_as_e164():
    result = parse_orders(text(row("1001", phone="+49 30 1234567"),
                               row("1002", phone="+4930901820")))

    assert [o.phone for o in result.orders] == ["+49301234567", "+4930901820"]


LAYOUT = read_header(list(COLUMNS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_the_row_parser_raises_only_invalid_row_on_arbitrary_text(cells):
    try:
        head, line = parse_row(cells, LAYOUT, 2)
    except InvalidRow as exc:
        assert exc.errors
        assert all(e.line == 2 and e.column in COLUMNS for e in exc.errors)
    else:
        assert line.quantity >= 1
        assert head.placed_at.tzinfo is not None


_CELL = st.sampled_from(["", "1", "0.5", "EUR", "2026-01-01T00:00:00Z", "a@b.co", "+4930901820",
                         "x", "-1", "1e3", "\x00", " ", "9" * 20])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_CELL, st.text(max_size=12)), min_size=len(COLUMNS),
                max_size=len(COLUMNS)))
def test_the_row_parser_raises_only_invalid_row_on_plausible_cells(cells):
    try:
        parse_row(cells, LAYOUT, 5)
    except InvalidRow:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_a_whole_file_of_arbitrary_text_raises_only_unreadable_file(body):
    try:
        result = parse_orders(HEADER + "\n" + body)
    except UnreadableFile as exc:
        assert exc.errors
    else:
        assert all(e.line >= 2 for e in result.errors)


def test_broken_quoting_is_reported_where_the_record_starts():
    broken = text(row("1001"), '1002,"unclosed', row("1003"), row("1004"))

    with pytest.raises(UnreadableFile) as caught:
        parse_orders(broken)

    assert [str(e) for e in caught.value.errors] == [
        "line 3: file: a quoted cell that starts here is never closed"]


def test_bare_carriage_returns_are_refused_with_a_hint():
    with pytest.raises(UnreadableFile) as caught:
        parse_orders(text(row("1001")).replace("\n", "\r"))

    assert "bare carriage return" in caught.value.errors[0].message
