"""The schema's word for each field is the check's: a pattern reads the same in Python
and in JSON Schema (jsonschema_rs, as clients and schemathesis read it), and a value
the pattern allows is accepted."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from afterward.commerce import validation as v
from afterward.commerce.fields import NOT_BLANK, NOT_BLANK_FOR_STRIP, Day, Id, Moment
from afterward.commerce.paging import CURSOR_PATTERN, decode_cursor, encode_cursor

CHECKS = [(v.EMAIL_PATTERN, v.email_address), (v.PHONE_PATTERN, v.phone_e164),
          (v.WEB_URL_PATTERN, v.web_url)]
TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from([
    "ada@example.com", "a@b", "+49 30 901820", "+1 (555) 123-4567", "https://example.com/h",
    "HTTP://x", "/media/logo.svg", "//evil.example/x", "/\\x", "a@b.co\n", " ", "\x1c"])


def schema_allows(pattern: str, text: str) -> bool:
    return bool(jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
                .is_valid(text))


def accepts(check, text: str) -> bool:
    try:
        check(text)
    except v.InvalidValue:
        return False
    return True


@settings(max_examples=300)
@given(text=TEXT)
def test_a_check_accepts_exactly_what_its_pattern_allows(text):
    for pattern, check in CHECKS:
        assert schema_allows(pattern, text) == bool(re.fullmatch(pattern, text)), pattern
        if schema_allows(pattern, text):
            assert accepts(check, text), (pattern, text)
        elif text == text.strip():
            assert not accepts(check, text), (pattern, text)


# The schemas' maxLength beside each pattern (an email address: 254, RFC 5321's path
# limit, which no pattern states; fields.py).
MAX_LENGTHS = {v.EMAIL_PATTERN: v.EMAIL_MAX}


@pytest.mark.parametrize(("pattern", "check"), CHECKS, ids=["email", "phone", "web_url"])
@settings(max_examples=100)
@given(data=st.data())
def test_every_value_of_a_pattern_is_accepted(pattern, check, data):
    longest = MAX_LENGTHS.get(pattern)
    text = data.draw(st.from_regex(pattern, fullmatch=True).filter(
        lambda drawn: longest is None or len(drawn) <= longest))

    assert accepts(check, text)


def test_an_email_address_the_pattern_allows_but_longer_than_the_schema_s_limit_is_refused():
    address = "0@" + ".".join(["0"] * 130)

    assert re.fullmatch(v.EMAIL_PATTERN, address) and len(address) == 261
    assert not accepts(v.email_address, address)


class Trimmed(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    text: str


def test_not_blank_is_what_stripping_keeps():
    for code in (*range(0x3000 + 1), 0xFEFF, 0x2028, 0x2029, 0x205F):
        char = chr(code)
        assert bool(re.fullmatch(NOT_BLANK, char)) == (Trimmed(text=char).text != ""), code
        assert bool(re.fullmatch(NOT_BLANK_FOR_STRIP, char)) == (char.strip() != ""), code


@pytest.mark.parametrize("last_id", [1, 9, 10, 99, 100, 12345, 10**17, 10**18 - 1])
def test_every_cursor_given_out_matches_the_cursor_pattern(last_id):
    cursor = encode_cursor(last_id)

    assert schema_allows(CURSOR_PATTERN, cursor)
    assert decode_cursor(cursor) == last_id


@settings(max_examples=200)
@given(cursor=st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_the_pattern_allows_is_one_this_api_gives_out(cursor):
    last_id = decode_cursor(cursor)

    assert last_id is None or encode_cursor(last_id) == cursor


@pytest.mark.parametrize("tag", ["de", "pt-br", "PT_BR", "zh_TW", "en_US_POSIX", "sr_Latn"])
def test_a_known_locale_in_any_case_or_separator_is_taken(tag):
    assert v.locale_tag(tag) in {"de", "pt_BR", "zh_Hant_TW", "en_US_POSIX", "sr_Latn"}


@pytest.mark.parametrize("tag", ["iw", "und", "en_ZZ", "xx", "de-"])
def test_an_alias_or_unknown_locale_is_refused(tag):
    with pytest.raises(v.InvalidValue):
        v.locale_tag(tag)


class Typed(BaseModel):
    number: Id | None = None
    moment: Moment | None = None
    day: Day | None = None


@pytest.mark.parametrize("given_", [{"number": "5"}, {"number": True}, {"number": 5.5},
                                    {"moment": 0}, {"moment": "0"}, {"day": 20000},
                                    {"moment": "2026-01-01T10:00"}, {"day": "2026-01-01T00:00Z"}])
def test_a_value_of_another_json_type_is_refused(given_):
    with pytest.raises(ValidationError):
        Typed.model_validate(given_)


def test_a_whole_number_may_be_written_with_a_zero_fraction():
    assert Typed.model_validate({"number": 5.0}).number == 5
