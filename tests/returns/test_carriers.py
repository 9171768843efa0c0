"""The carrier adapter's pure parts: the cheapest rate, and what a missing key says."""

from __future__ import annotations

import pytest

from afterward.returns import carriers

REQUEST = carriers.LabelRequest(
    store_id=1, return_number="R12345678",
    from_address=carriers.Address("Ada", "Invalidenstrasse 5", "Berlin", "10115", "DE"),
    to_address=carriers.Address("Acme", "Lagerstrasse 1", "Hamburg", "20095", "DE"),
    parcel=carriers.Parcel(12, 10, 6, 32))


def test_the_cheapest_rate_is_compared_as_a_decimal_not_as_text():
    rates = [{"id": "rate_a", "rate": "10.00"}, {"id": "rate_b", "rate": "9.50"},
             {"id": "rate_c", "rate": "100.0"}]

    assert carriers.cheapest(rates) == "rate_b"


def test_rates_without_a_price_are_passed_over():
    assert carriers.cheapest([{"id": "rate_a"}, {"id": "rate_b", "rate": "x"},
                              {"id": "rate_c", "rate": "4.10"}]) == "rate_c"


def test_no_rate_at_all_is_a_refusal_a_retry_cannot_mend():
    with pytest.raises(carriers.CarrierError) as refused:
        carriers.cheapest([])

    assert refused.value.retry is False


def test_without_an_api_key_nothing_is_asked_and_nothing_retried():
    with pytest.raises(carriers.CarrierError) as refused:
        carriers.EasyPost("", "http://127.0.0.1:9").create_return_label(REQUEST)

    assert refused.value.retry is False
    assert "AFTERWARD_EASYPOST_API_KEY" in str(refused.value)


def test_a_shopper_address_leaves_out_what_is_empty():
    assert carriers.Address("Ada", "Main St 1", "Berlin", "10115", "DE",
                            phone="").as_json() == {
        "name": "Ada", "street1": "Main St 1", "city": "Berlin", "zip": "10115",
        "country": "DE"}
