"""Entities: order numbers, tracking numbers with their carrier (tracking's own
detection), emails, postal codes and dates, in the four languages, each exact."""

from __future__ import annotations

from datetime import date

import pytest

from afterward.assistant.entities import Entities, extract

TODAY = date(2026, 12, 6)


def test_order_numbers_are_found_after_a_hash_or_the_word_for_order():
    found = extract("#1042, order 1043, order no. 1044, Bestellung 1045, Bestellnummer "
                    "1046, commande n° 1047, pedido 1048, pedido nº 1049, #A2093")

    assert found.order_numbers == ("1042", "1043", "1044", "1045", "1046", "1047", "1048",
                                   "1049", "A2093")


def test_tracking_numbers_carry_the_carrier_tracking_detects():
    found = extract("UPS 1Z999AA10123456784, Post RR123456785DE and DHL "
                    "00340434161094042557, again 1Z999AA10123456784")

    assert found.tracking_numbers == (("1Z999AA10123456784", "ups"),
                                      ("RR123456785DE", "deutsche_post"),
                                      ("00340434161094042557", "deutsche_post"))


def test_a_number_called_tracking_is_kept_without_a_carrier_when_none_fits():
    found = extract("my tracking number is AB12345678XY")

    assert found.tracking_numbers == (("AB12345678XY", None),)


def test_digits_nobody_calls_tracking_are_not_tracking_even_when_a_check_digit_fits():
    assert extract("call me on 123456789012").tracking_numbers == ()  # FedEx-shaped
    assert extract("FedEx tracking: 123456789012").tracking_numbers == (
        ("123456789012", "fedex"),)


def test_emails_are_found_as_written():
    found = extract("write to Jane.Doe+shop@example.co.uk or joão@exemplo.com.br.")

    assert found.emails == ("Jane.Doe+shop@example.co.uk", "joão@exemplo.com.br")


def test_postal_codes_of_each_country():
    found = extract("zip 94103, 94103-1234, CEP 01310-100, SW1A 1AA, PLZ 10115, "
                    "75001 Paris, code postal 69002")

    assert found.postal_codes == ("94103", "94103-1234", "01310-100", "SW1A 1AA", "10115",
                                  "75001", "69002")


def test_an_order_number_is_not_a_postal_code():
    found = extract("Bestellung 10115 Berlin and #20001 Lisboa")

    assert (found.order_numbers, found.postal_codes) == (("10115", "20001"), ())


@pytest.mark.parametrize(("text", "expected"), [
    ("on 2026-03-12", (date(2026, 3, 12),)),
    ("by 12/03", (date(2027, 3, 12),)),  # day first; the year that is nearest today
    ("by 12/31", (date(2026, 12, 31),)),  # a 31st month cannot be: US order
    ("am 24.12.", (date(2026, 12, 24),)),
    ("le 5.1.2027", (date(2027, 1, 5),)),
    ("3 March", (date(2027, 3, 3),)),
    ("March 3rd, 2026", (date(2026, 3, 3),)),
    ("am 3. März", (date(2027, 3, 3),)),
    ("le 3 mars", (date(2027, 3, 3),)),
    ("dia 3 de março", (date(2027, 3, 3),)),
    ("on 1 December", (date(2026, 12, 1),)),
    ("tomorrow", (date(2026, 12, 7),)),
    ("morgen bitte", (date(2026, 12, 7),)),
    ("demain", (date(2026, 12, 7),)),
    ("amanhã", (date(2026, 12, 7),)),
    ("übermorgen", (date(2026, 12, 8),)),
    ("depois de amanhã", (date(2026, 12, 8),)),
    ("yesterday or today", (date(2026, 12, 5), date(2026, 12, 6))),
])
def test_dates_in_each_language(text, expected):
    assert extract(text, today=TODAY).dates == expected


def test_what_only_looks_like_a_date_is_not_one():
    found = extract("Guten Morgen, ich bin 1.80 groß, es kostet 12.99, 31/02", today=TODAY)

    assert found.dates == ()


def test_a_message_without_facts_gives_empty_entities():
    assert extract("where is my parcel?", today=TODAY) == Entities((), (), (), (), ())


def test_a_huge_message_is_read_from_its_start():
    found = extract("#1042 " + "x" * 100_000 + " #9999")

    assert found.order_numbers == ("1042",)


def test_a_pasted_list_gives_at_most_twenty_of_a_kind():
    found = extract(" ".join(f"#{n}" for n in range(1000, 1100)), today=TODAY)

    assert found.order_numbers == tuple(str(n) for n in range(1000, 1020))
