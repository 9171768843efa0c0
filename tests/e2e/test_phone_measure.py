"""The phone measure (phone.py) sees what the phone-width walk looks for: a page wider
than the screen, text drawn over text, text spilling out of its box (as a responsive
table's wrapped label would over the next row); and nothing on a page without them."""

from __future__ import annotations

from pathlib import Path

import pytest

import afterward
from tests.e2e.conftest import PHONE
from tests.e2e.phone import problems_on

pytestmark = pytest.mark.e2e

STATIC = Path(afterward.__file__).parent / "web" / "static"
ADMIN_CSS = (STATIC / "base.css").read_text() + (STATIC / "admin.css").read_text()


def shown(new_page, body: str, style: str = "") -> list[str]:
    page = new_page(viewport=PHONE)
    page.set_content(f"<!doctype html><html><head><style>body {{ margin: 0 }} {style}</style>"
                     f"</head><body>{body}</body></html>")
    return problems_on(page)


def test_a_page_that_fits_has_no_problem(new_page):
    problems = shown(new_page, "<h1>Orders</h1><p>One order, short and sweet.</p>"
                     '<span class="visually-hidden" style="position:absolute;width:1px;'
                     'height:1px;overflow:hidden;clip:rect(0 0 0 0)">Hidden words here</span>'
                     "<p>Hidden words here</p>")

    assert problems == []


def test_a_page_wider_than_the_phone_names_what_sticks_out(new_page):
    problems = shown(new_page, '<div id="wide">x</div>', "#wide { width: 600px }")

    assert problems == ["600 px wide, sticking out: ['div#wide']"]


def test_text_drawn_over_text_is_named(new_page):
    problems = shown(new_page, '<p class="a">first</p><p class="b">second</p>',
                     ".a, .b { position: absolute; top: 10px; left: 10px; margin: 0 }")

    assert problems == ['text over text: [\'"first" / "second"\']']


LABELLED_ROW = ('<table class="responsive"><tbody><tr>'
                '<td data-label="A column name long enough to wrap onto four lines">1</td>'
                '<td data-label="Next">2</td></tr></tbody></table>')
# How the admin's phone tables labelled cells before: the label absolutely placed in
# the cell's padding, so a label that wraps hangs over the next row.
HANGING_LABELS = """
* { box-sizing: border-box; }
table.responsive, tbody, tr, td { display: block; width: 100%; }
td[data-label] { position: relative; padding-left: 8.5rem; }
td[data-label]::before { content: attr(data-label); position: absolute; left: .75rem;
  top: 0; width: 7rem; font-size: .75rem; }
"""


def test_a_wrapped_table_label_that_hangs_over_the_next_row_is_found(new_page):
    problems = shown(new_page, LABELLED_ROW, HANGING_LABELS)

    assert len(problems) == 1
    assert problems[0].startswith("text out of its box: [")
    assert "'td " in problems[0]


def test_the_admin_s_table_labels_make_their_cell_taller_instead(new_page):
    assert shown(new_page, LABELLED_ROW, ADMIN_CSS) == []
