"""The insights CSV files (insights/exports.py): figures written plainly (rates as
fractions, an empty field for what cannot be computed, never "-0" or "nan"), and text
from outside kept from being read as a spreadsheet formula."""

from __future__ import annotations

import math

from afterward.insights import exports
from afterward.insights.programs import Program
from afterward.journeys import results as measured


def test_numbers_are_written_plainly():
    assert [exports._number(v) for v in (None, math.nan, math.inf, 3, 0.5, 2 / 3, -1e-9,
                                          1234.0)] == ["", "", "", "3", "0.5", "0.6667", "0",
                                                       "1234"]


def test_a_journey_name_that_looks_like_a_formula_is_kept_as_text():
    group = measured.Group(3, 1, 3000, measured.wilson(1, 3))
    found = measured.Results("=cmd", 30, group, group, 0, measured.newcombe(1, 3, 1, 3),
                             measured.Interval(0.0, -500.0, 500.0), 200)
    program = Program("=cmd", "=HYPERLINK(\"x\")", True, found, [])

    lines = exports.programs_csv([program]).splitlines()

    assert lines[1].startswith("1,'=cmd,\"'=HYPERLINK(\"\"x\"\")\",3,3,0,-500,500,0,")
    assert lines[1].endswith(",no,")
