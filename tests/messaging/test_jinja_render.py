"""jinja_render.render gives what Template.render gives."""

from __future__ import annotations

import traceback

import pytest
from jinja2 import StrictUndefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from afterward.messaging import jinja_render

SOURCE = ("{% set ns = namespace(total=0) %}{% for i in range(n) %}{% set ns.total = "
          "ns.total + i %}{% endfor %}{{ greeting }} {{ ns.total }} {{ shop }}")


def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True)
    env.globals["shop"] = "Tea & Co"
    return env


def test_it_renders_what_jinja_renders_with_the_globals_and_the_callers_names():
    template = environment().from_string(SOURCE)
    context = {"greeting": "<Hi>", "n": 4}

    assert jinja_render.render(template, context) == template.render(context) == \
        "&lt;Hi&gt; 6 Tea &amp; Co"


def test_the_callers_names_win_over_the_globals_and_the_callers_dict_is_left_alone():
    template = environment().from_string(SOURCE)
    context = {"greeting": "Hi", "n": 1, "shop": "Mine"}

    assert jinja_render.render(template, context) == template.render(context) == "Hi 0 Mine"
    assert jinja_render.render(template, {"greeting": "Hi", "n": 1}) == "Hi 0 Tea &amp; Co"
    assert context == {"greeting": "Hi", "n": 1, "shop": "Mine"}


def test_an_error_comes_back_from_the_template_line_that_raised_it():
    env = environment()
    env.undefined = StrictUndefined
    template = env.from_string("line one\n{{ missing.name }}")

    with pytest.raises(UndefinedError) as caught:
        jinja_render.render(template, {})

    frames = traceback.extract_tb(caught.value.__traceback__)
    assert [f.lineno for f in frames if f.filename == "<template>"] == [2]
