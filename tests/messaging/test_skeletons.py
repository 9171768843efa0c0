"""The skeleton cache: an email body's HTML is MJML's output for the template's shape
with each message's values put in, and exactly what MJML gives for the message alone."""

from __future__ import annotations

import pytest

from afterward.commerce.models import Store
from afterward.messaging import builtin_templates, skeletons, templates
from afterward.messaging.context import sample_context
from afterward.messaging.html import mjml_to_html
from afterward.messaging.templates import TemplateSource

STORE = Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
              currency="EUR", timezone="Europe/Berlin", locale="en",
              support_email="help@acme.example")


def ordinary_html(source: TemplateSource, context: dict) -> str:
    return mjml_to_html(templates._render_part("body", source.body, True, context))


def context_for(first_name: str, *, lines: int = 2, colour: str = "#1f3a5f",
                link: str = "https://shop.example/preferences/a") -> dict:
    context = sample_context(STORE, public_url="https://shop.example")
    context["customer"]["first_name"] = first_name
    context["order"]["lines"] = context["order"]["lines"][:lines]
    context["store"]["brand_primary"] = colour
    context["links"]["preferences"] = link
    return context


@pytest.mark.parametrize("key", builtin_templates.KEYS)
@pytest.mark.parametrize("locale", builtin_templates.LOCALES)
def test_built_in_emails_come_out_as_mjml_alone_would_make_them(key, locale):
    # given
    subject, body, text_body = builtin_templates.source(key, "email", locale)
    source = TemplateSource(subject, body, text_body)
    contexts = [context_for(name, lines=lines, colour=colour, link=link)
                for name, lines, colour, link in [
                    ("Ada", 2, "#1f3a5f", "https://shop.example/p/1"),
                    ("Grace", 1, "#1f3a5f", "https://shop.example/p/2"),
                    ("O'Brien & Sons", 2, "red", "https://shop.example/p/3?a=1&b=2"),
                    ("Zoë", 1, "#ABCDEF", "https://shop.example/p/4"),
                    ("  padded", 2, "#1f3a5f", "https://shop.example/p/5"),
                    ("Ada", 2, "#1f3a5f", "https://shop.example/p/6")]]
    for context in contexts:
        # when
        rendered = templates.render("email", source, context)
        # then
        assert rendered.html == ordinary_html(source, context)


def test_a_value_in_a_style_becomes_part_of_the_skeleton():
    # given: the colour lands in a style attribute, the name in text
    source = TemplateSource("Hi", """<mjml><mj-body>
<mj-section background-color="{{ store.brand_primary }}"><mj-column>
<mj-text>Hello {{ customer.first_name }}</mj-text></mj-column></mj-section></mj-body></mjml>""")
    cache = skeletons.SkeletonCache(mjml_to_html)
    template = templates._compiled_marking(source.body)
    for colour, name in [("#111111", "Ada"), ("#222222", "Ada"), ("#111111", "Grace")]:
        context = context_for(name, colour=colour)
        skeleton, values = skeletons.render_marked(template, context)
        # when
        html = cache.html_for(skeleton, values)
        # then
        assert html == ordinary_html(source, context)
    assert [len(fixed) for fixed in cache.fixed.values()] == [1]
    assert len(cache.html) == 2  # one per colour; the names are filled in
    assert None not in cache.html.values()


def test_a_template_that_reworks_its_output_takes_the_ordinary_path():
    # given: a filter block would upper-case a marker, not the name
    body = """<mjml><mj-body><mj-section><mj-column><mj-text>
{% filter upper %}Hello {{ customer.first_name }}{% endfilter %}
</mj-text></mj-column></mj-section></mj-body></mjml>"""
    source = TemplateSource("Hi", body)
    # when
    rendered = templates.render("email", source, context_for("ada"))
    # then
    assert not skeletons.markable(templates._marking_environment(), body)
    assert "HELLO ADA" in rendered.html
    assert rendered.html == ordinary_html(source, context_for("ada"))


def test_a_broken_template_fails_as_before():
    source = TemplateSource("Hi", "<mjml><mj-body>{{ customer.nope.deeper }}</mj-body></mjml>")
    with pytest.raises(templates.TemplateInvalid) as failure:
        templates.render("email", source, context_for("Ada"))
    assert failure.value.part == "body"


def test_pieces_fill_a_text_as_substitute_does():
    o, c = skeletons.OPEN, skeletons.CLOSE
    text = f"<p>{o}1{c} and {o}0{c}</p>{o}1{c}"
    values = ["Ada", "€12.00"]

    assert skeletons.Pieces(text).fill(values) == skeletons.substitute(text, values) == (
        "<p>€12.00 and Ada</p>€12.00")
    assert skeletons.Pieces("no markers").fill([]) == "no markers"


def test_a_marked_value_is_recorded_as_escape_would_write_it_whatever_its_type():
    # given: plain and special strings, numbers, markup, None, and more outputs than
    # there are markers made in advance
    from markupsafe import Markup, escape
    outputs = ["Ada", "O'Brien & <Sons>", 'say "hi"', "", 7, -3, 2.5, None,
               Markup("<b>bold</b>"), True] * 8
    template = templates._compiled_marking("".join(
        f"{{{{ v[{i}] }}}}|" for i in range(len(outputs))))
    # when
    skeleton, values = skeletons.render_marked(template, {"v": outputs})
    # then
    assert values == [str(escape(value)) for value in outputs]
    assert skeleton == "".join(f"{skeletons.OPEN}{i}{skeletons.CLOSE}|"
                               for i in range(len(outputs)))
    assert skeletons.mark("outside a render") == "outside a render"
