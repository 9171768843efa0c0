"""SMS segment counting: GSM-7 (160 / 153) versus UCS-2 (70 / 67)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.messaging.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments, is_gsm7


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("", "gsm7", 0, 0),
    ("a" * 160, "gsm7", 160, 1),
    ("a" * 161, "gsm7", 161, 2),
    ("a" * 306, "gsm7", 306, 2),
    ("a" * 307, "gsm7", 307, 3),
    ("€" * 80, "gsm7", 160, 1),  # each extension character is two septets
    ("€" * 81, "gsm7", 162, 2),
    ("Grüße aus Köln, ÄÖÜ ß", "gsm7", 21, 1),
    ("ç" * 70, "ucs2", 70, 1),  # lower-case c-cedilla is not in GSM-7
    ("ç" * 71, "ucs2", 71, 2),
    ("x" * 134, "gsm7", 134, 1),
    ("x" * 134 + "\u00a0", "ucs2", 135, 3),  # a non-breaking space: 1 segment becomes 3
    ("😀" * 35, "ucs2", 70, 1),  # an emoji is a surrogate pair: two UTF-16 units
    ("😀" * 36, "ucs2", 72, 2),
])
def test_it_counts_segments(text, encoding, units, segments):
    result = count_segments(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_an_escape_pair_is_never_split_across_segments():
    # 152 plain septets, then '€' (2 septets) does not fit in part one's 153: it moves on
    text = "a" * 152 + "€" + "a" * 10
    assert count_segments(text).units == 164
    assert count_segments(text).segments == 2
    text = "a" * 152 + "€" + "a" * 152
    # part one: 152, part two: 2 + 151, part three: 1
    assert count_segments(text).segments == 3


def test_a_surrogate_pair_is_never_split():
    text = "a" * 66 + "😀" + "a" * 66  # 134 units: 66 + (2 + 65) + 1 would split nothing
    assert count_segments(text).segments == 3


@given(st.text(alphabet=sorted(GSM7_BASIC), max_size=600))
def test_plain_gsm7_costs_what_the_formula_says(text):
    n = len(text)
    expected = 0 if n == 0 else 1 if n <= 160 else -(-n // 153)
    assert is_gsm7(text)
    assert count_segments(text).segments == expected


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=600))
def test_segments_always_hold_every_septet(text):
    result = count_segments(text)
    capacity = 160 if result.segments <= 1 else result.segments * 153
    assert result.units <= capacity
    if result.segments > 1:  # and one segment fewer would not have done
        assert result.units > 160
        assert result.units > (result.segments - 1) * 153 - (result.segments - 1)
