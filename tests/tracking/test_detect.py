"""Carrier detection from tracking numbers. Valid sample numbers are published
examples (carrier documentation and the MIT-licensed jkeen/tracking_number_data
test lists); the invalid ones differ from a valid number by its check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.tracking.carriers import checksums, registry
from afterward.tracking.carriers.detect import best_guess, detect, normalize


def carriers_of(number: str) -> list[str]:
    return [c.carrier for c in detect(number)]


@pytest.mark.parametrize(("number", "carrier", "fmt"), [
    ("1Z999AA10123456784", "ups", "1Z"),
    ("1Z5R89390357567127", "ups", "1Z"),
    ("1Z879E930346834440", "ups", "1Z"),
    ("9400 1112 0108 0805 4830 16", "usps", "IMpb"),
    ("9361289878700317633795", "usps", "IMpb"),
    ("9405803699300124287899", "usps", "IMpb"),
    ("92748931507708513018050063", "usps", "IMpb"),
    ("420 22153 9101026837331000039521", "usps", "IMpb"),
    ("4201002334249200190132607600833457", "usps", "IMpb"),
    ("0307 1790 0005 2348 3741", "usps", "USPS 20"),
    ("986578788855", "fedex", "Express 12"),
    ("0414 4176 0228 964", "fedex", "Ground 15"),
    ("9611020987654312345672", "fedex", "Ground 96"),
    ("1001921334250001000300779017972697", "fedex", "Express 34"),
    ("3318810025", "dhl_express", "Air waybill"),
    ("JJD0099999999", "dhl_express", "Piece ID"),
    ("GM2951173225174494", "dhl_ecommerce", "GM"),
    ("RR123456785GB", "royal_mail", "S10"),
    ("3SKAAG5995399", "postnl", "3S"),
    ("LS123456785NL", "postnl", "S10"),
    ("0073938000549297", "canada_post", "Domestic 16"),
    ("EE123456785CA", "canada_post", "S10"),
    ("CP123456785AU", "australia_post", "S10"),
    ("33LKZ500065901000935003", "australia_post", "eParcel article"),
    ("6A12345678901", "la_poste", "Colissimo"),
    ("CJ123456785FR", "la_poste", "S10"),
    ("RR123456785DE", "deutsche_post", "S10"),
    ("00340434161094042557", "deutsche_post", "SSCC"),
    ("EE123456785US", "usps", "S10"),
])
def test_it_names_the_carrier_of_a_valid_number_first(number, carrier, fmt):
    top = detect(number)[0]

    assert (top.carrier, top.format) == (carrier, fmt)


@pytest.mark.parametrize("number", [
    "1Z999AA10123456785",  # UPS, wrong check digit
    "1Z1111111111111111",
    "9400111201080805483017",  # USPS IMpb, wrong check digit
    "996578788855",  # FedEx Express 12, wrong check digit
    "3318810010",  # DHL Express mod 7, wrong check digit
    "RR123456784GB",  # S10, wrong check digit
    "0073938000549292",  # Canada Post, wrong check digit
])
def test_a_wrong_check_digit_is_not_that_carrier(number):
    assert detect(number) == []


@pytest.mark.parametrize("number", ["", "   ", "abc", "hello world", "EZ1000000001",
                                    "٣٣١٨٨١٠٠٢٥", "1Z999AA1012345678\uff14", "X" * 65,
                                    "!!!!!!!!", "\x00\x01", "1" * 1000])
def test_an_unknown_format_yields_no_candidates(number):
    assert detect(number) == []


def test_a_number_two_carriers_share_is_ranked_with_the_likeliest_first():
    # 92... IMpb numbers are printed by USPS, FedEx Ground Economy and DHL eCommerce.
    ranked = detect("9261292700768711948021")

    assert [c.carrier for c in ranked] == ["usps", "fedex", "dhl_ecommerce"]
    assert [c.confidence for c in ranked] == sorted((c.confidence for c in ranked), reverse=True)
    assert all(c.check_digit for c in ranked)


def test_numbers_are_read_as_labels_print_them():
    assert normalize(" 1z 999-aa1.012 345 6784 ") == "1Z999AA10123456784"
    assert carriers_of("1z999aa10123456784") == ["ups"]


def test_an_s10_number_of_an_unlisted_post_is_international_post_with_its_country():
    top = detect("RR123456785CN")[0]

    assert (top.carrier, top.country, top.name) == ("upu", "CN", "International post")


def test_best_guess_is_none_when_unsure():
    assert best_guess("1Z999AA10123456784").carrier == "ups"
    assert best_guess("33LKZ500065901000935003") is None  # no check digit, low confidence
    assert best_guess("not a number") is None


def test_the_s10_check_digit_follows_the_upu_weights():
    # 1*8 + 2*6 + 3*4 + 4*2 + 5*3 + 6*5 + 7*9 + 8*7 = 204; 204 mod 11 = 6; 11 - 6 = 5
    assert checksums.s10("12345678") == 5
    assert checksums.s10("00000001") == 4  # 7 mod 11 = 7; 11 - 7 = 4
    assert checksums.s10("00000000") == 5  # remainder 0: 11 becomes 5
    assert checksums.s10("00000008") == 0  # remainder 1: 10 becomes 0


def test_the_registry_links_each_carrier_to_its_public_tracking_page():
    assert registry.tracking_url("ups", "1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784")
    assert registry.tracking_url("UPS", "a b/c") == "https://www.ups.com/track?tracknum=a%20b%2Fc"
    assert registry.tracking_url("upu", "RR123456785CN") is None
    assert registry.tracking_url("nobody", "123") is None
    assert all(c.url_template is None or "{number}" in c.url_template
               for c in registry.CARRIERS.values())


@pytest.mark.parametrize(("raw", "code"), [
    ("USPS", "usps"), ("UPS", "ups"), ("FedEx", "fedex"), ("DHLExpress", "dhl_express"),
    ("dhl_express", "dhl_express"), ("DHL eCommerce", "dhl_ecommerce"), ("postnl-3s", "postnl"),
    ("royal-mail", "royal_mail"), ("canada_post", "canada_post"),
    ("la-poste-colissimo", "la_poste"), ("deutsch-post", "deutsche_post"),
    ("Some Local Courier!", "some_local_courier"), ("", None), (None, None),
])
def test_provider_spellings_normalise_to_registry_codes(raw, code):
    assert registry.normalize_code(raw) == code


# --- properties -------------------------------------------------------------

def s10_number(serial: str, country: str) -> str:
    return f"XY{serial}{checksums.s10(serial)}{country}"


@given(st.text(max_size=200))
def test_detection_never_raises_and_ranks_by_confidence(text):
    ranked = detect(text)

    assert [c.confidence for c in ranked] == sorted((c.confidence for c in ranked), reverse=True)
    assert len({c.carrier for c in ranked}) == len(ranked)
    assert all(c.carrier in registry.CARRIERS for c in ranked)


@given(st.from_regex(r"[0-9A-Za-z \-]{0,70}", fullmatch=True))
def test_detection_never_raises_on_label_like_strings(text):
    detect(text)


@given(serial=st.from_regex(r"[0-9]{8}", fullmatch=True),
       country=st.from_regex(r"[A-Z]{2}", fullmatch=True))
def test_every_valid_s10_number_is_detected_with_its_country(serial, country):
    s10 = [c for c in detect(s10_number(serial, country)) if c.format == "S10"]

    assert len(s10) == 1
    assert s10[0].country == country
    assert s10[0].carrier == registry.S10_OPERATORS.get(country, "upu")


@given(serial=st.from_regex(r"[0-9]{8}", fullmatch=True), wrong=st.integers(1, 9))
def test_an_s10_number_with_any_other_check_digit_is_not_s10(serial, wrong):
    check = (checksums.s10(serial) + wrong) % 10

    assert not [c for c in detect(f"RR{serial}{check}GB") if c.format == "S10"]


@given(st.from_regex(r"[0-9A-Z]{15}", fullmatch=True))
def test_every_valid_ups_number_is_detected(body):
    assert detect(f"1Z{body}{checksums.ups(body)}")[0].carrier == "ups"


@given(st.from_regex(r"9[1-5][0-9]{19}", fullmatch=True))
def test_every_valid_impb_number_is_usps_first(serial):
    assert detect(serial + str(checksums.mod10_31(serial)))[0].carrier == "usps"
