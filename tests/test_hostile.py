"""The check the no-script-injection tests rely on (tests/hostile.py) sees each way
out of text that a page could give hostile input, and nothing in a clean page."""

from __future__ import annotations

import pytest

from tests.hostile import CORE, hostile, missing, parse, raw_forms_in

CLEAN = ('<!doctype html><html><head><title>a &lt;b&gt;</title></head><body>'
         '<a href="/t/x" title="&#34;&gt;&lt;script&gt;">Track</a>'
         '<input value="&#39; onmouseover=&#39;x">'
         '<iframe sandbox="" srcdoc="&lt;p&gt;hi&lt;/p&gt;"></iframe></body></html>')


def test_a_clean_page_has_no_problem_and_shows_its_text_and_attributes():
    document = parse(CLEAN)

    assert document.problems == []
    assert missing(document, ["a <b>", "\"><script>", "' onmouseover='x", "hi"]) == []
    assert raw_forms_in(CLEAN) == []


@pytest.mark.parametrize(("html", "problem"), [
    ("<p><script>alert(1)</script></p>", "<script type='text/javascript'>: a script"),
    ('<input value=""><img src=x onerror=alert(1)>">', "<img onerror=...>: an event handler"),
    ("<input value='' onmouseover='alert(1)'>", "<input onmouseover=...>: an event handler"),
    ('<a href=" javascript:alert(1)">x</a>', "<a href=' javascript:alert(1)'>: a URL"),
    ('<a href="java&#9;script:alert(1)">x</a>', "<a href='java\\tscript:alert(1)'>: a URL"),
    ("<p>x</p><script>alert(1)", "a script element left open to the end"),
    ('<img src="JAVASCRIPT:alert(1)">', "<img src='JAVASCRIPT:alert(1)'>: a URL"),
    ('<iframe src="data:text/html,x"></iframe>', "<iframe src='data:text/html,x'>: a URL"),
    ('<script type="application/ld+json">{"name": "</script><script>alert(1)//"}</script>',
     "<script type='application/ld+json'>: data that is not plain JSON"),
    ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
     "document > <iframe srcdoc>: <script type='text/javascript'>: a script"),
    ('<script src="https://evil.example/x.js"></script>', "<script type='text/javascript'>"),
    ('<script src="//evil.example/static/x.js"></script>', "<script type='text/javascript'>"),
    ('<script src="/static/admin-charts.js">alert(1)</script>', "with inline code: a script"),
])
def test_each_way_out_of_text_is_a_problem(html, problem):
    assert any(problem in found for found in parse(html).problems), parse(html).problems


def test_plain_json_data_in_a_page_is_no_problem():
    assert parse('<script type="application/ld+json">{"name": "a\\u003c/script"}</script>'
                 ).problems == []


def test_the_app_s_own_static_scripts_are_no_problem():
    page = ('<script src="/static/vendor/chart.js/chart.umd.min.js" defer></script>'
            '<script src="/static/admin-charts.js" defer></script>')

    assert parse(page).problems == []


def test_text_that_was_evaluated_or_cut_is_missing():
    value = hostile("name")
    shown = parse("<p>[name]&#34;&gt;49</p>")

    assert missing(shown, [value]) == [value]
    assert CORE in value and "{{7*7}}" in value
