from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.commerce import validation as v


@pytest.mark.parametrize("amount,currency,minor", [
    ("12.34", "EUR", 1234), ("1200", "JPY", 1200), ("0.5", "USD", 50), ("7.125", "BHD", 7125)])
def test_amounts_become_exact_minor_units(amount, currency, minor):
    assert v.to_minor(amount, currency) == minor


def test_more_decimals_than_the_currency_allows_are_refused():
    with pytest.raises(v.InvalidValue, match="more decimals than JPY allows"):
        v.to_minor("10.5", "JPY")


@given(minor=st.integers(-(10**12), 10**12), currency=st.sampled_from(["EUR", "JPY", "BHD"]))
def test_minor_units_round_trip(minor, currency):
    assert v.to_minor(str(v.from_minor(minor, currency)), currency) == minor


@given(text=st.text(max_size=30))
def test_to_minor_refuses_garbage_with_invalid_value_only(text):
    try:
        result = v.to_minor(text, "EUR")
    except v.InvalidValue:
        return
    assert Decimal(text.strip()) * 100 == result


@pytest.mark.parametrize("bad", ["XYZ", "", "eu", "EURO"])
def test_unknown_currencies_are_refused(bad):
    with pytest.raises(v.InvalidValue):
        v.currency_code(bad)


def test_phones_normalise_to_e164():
    assert v.phone_e164("+49 30 901820") == "+4930901820"
    with pytest.raises(v.InvalidValue):
        v.phone_e164("12345")


@given(text=st.text(max_size=40))
def test_email_and_phone_checks_refuse_with_invalid_value_only(text):
    for check in (v.email_address, v.phone_e164, v.timezone_name, v.locale_tag):
        try:
            check(text)
        except v.InvalidValue:
            pass


@pytest.mark.parametrize("address", [
    "https://cdn.example/p.png", "http://cdn.example/p.png?w=200&h=200",
    "https://cdn.example/p.png?\"><script>alert(1)</script>", "/media/stores/acme/logo.svg"])
def test_a_picture_s_address_is_http_or_a_path_on_this_site(address):
    assert v.web_url(address, "image_url") == address


@pytest.mark.parametrize("address", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "//evil.example/p.png", "/\\evil.example/p.png", "https://",
    "https://cdn.example/a b.png", "https://cdn.example/p.png\n", "ftp://cdn.example/p.png",
    "p.png", ""])
def test_any_other_picture_address_is_refused(address):
    with pytest.raises(v.InvalidValue, match="is not an http"):
        v.web_url(address, "image_url")
